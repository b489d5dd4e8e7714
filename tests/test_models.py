"""The specification's model tests: fields, defaults, properties, ordering, soft delete, __str__."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from django_catalog.models import (
    Basket,
    BasketItem,
    BasketStatus,
    CatalogItem,
    DispenseLog,
    WorkItem,
    WorkItemStatus,
)
from tests.models import Organization

pytestmark = pytest.mark.django_db


# --- CatalogItem -------------------------------------------------------------------------


def test_catalog_item_creation(organization):
    item = CatalogItem.objects.create(owner=organization, name="Blood Test")
    item.refresh_from_db()
    assert item.name == "Blood Test"
    assert item.code == ""
    assert item.currency == "USD"
    assert item.created_at is not None


def test_catalog_item_has_uuid_pk(catalog_item):
    assert isinstance(catalog_item.pk, uuid.UUID)
    assert catalog_item.pk.version == 4


def test_catalog_item_owner_generic_fk(catalog_item, organization):
    item = CatalogItem.objects.get(pk=catalog_item.pk)
    assert item.owner == organization
    assert item.owner_content_type == ContentType.objects.get_for_model(Organization)
    assert item.owner_id == str(organization.pk)


def test_catalog_item_price_optional(organization):
    item = CatalogItem.objects.create(owner=organization, name="Advice", unit_price=None)
    item.refresh_from_db()
    assert item.unit_price is None


def test_catalog_item_is_available_default(organization):
    item = CatalogItem.objects.create(owner=organization, name="Blood Test")
    assert item.is_available is True


def test_catalog_item_soft_delete(catalog_item):
    catalog_item.delete()
    assert catalog_item.is_deleted
    assert not CatalogItem.objects.filter(pk=catalog_item.pk).exists()
    assert CatalogItem.all_objects.get(pk=catalog_item.pk).deleted_at is not None


def test_catalog_item_ordering(make_catalog_item):
    make_catalog_item(name="B", sort_order=1)
    make_catalog_item(name="A", sort_order=1)
    make_catalog_item(name="Z", sort_order=0)
    assert [i.name for i in CatalogItem.objects.all()] == ["Z", "A", "B"]


def test_catalog_item_for_owner_query(make_catalog_item, organization):
    other = Organization.objects.create(name="Other")
    mine = make_catalog_item(name="Mine")
    make_catalog_item(name="Theirs", owner=other)
    assert list(CatalogItem.objects.for_owner(organization)) == [mine]


def test_catalog_item_available_query(make_catalog_item):
    available = make_catalog_item(name="On")
    make_catalog_item(name="Off", is_available=False)
    assert list(CatalogItem.objects.available()) == [available]


def test_catalog_item_by_category_query(make_catalog_item):
    lab = make_catalog_item(name="CBC", category="laboratory")
    make_catalog_item(name="MRI", category="imaging")
    assert list(CatalogItem.objects.by_category("laboratory")) == [lab]


def test_catalog_item_metadata_json(organization):
    item = CatalogItem.objects.create(
        owner=organization, name="CBC", metadata={"tube": "lavender", "volume_ml": 3}
    )
    item.refresh_from_db()
    assert item.metadata == {"tube": "lavender", "volume_ml": 3}


def test_catalog_item_str_representation(catalog_item):
    assert str(catalog_item) == "Blood Test"


# --- Basket ------------------------------------------------------------------------------


def test_basket_creation():
    basket = Basket.objects.create(notes="morning round")
    basket.refresh_from_db()
    assert basket.notes == "morning round"
    assert basket.metadata == {}
    assert basket.created_at is not None


def test_basket_has_uuid_pk(basket):
    assert isinstance(basket.pk, uuid.UUID)


def test_basket_status_default_draft(basket):
    assert basket.status == BasketStatus.DRAFT


def test_basket_context_generic_fk(visit):
    basket = Basket.objects.create(context=visit)
    basket = Basket.objects.get(pk=basket.pk)
    assert basket.context == visit
    assert basket.context_id == str(visit.pk)


def test_basket_context_optional():
    basket = Basket.objects.create()
    basket.refresh_from_db()
    assert basket.context is None
    assert basket.context_content_type is None
    assert basket.context_id == ""


def test_basket_is_committed_property(basket_item):
    basket = basket_item.basket
    assert basket.is_committed is False
    basket.commit()
    assert basket.is_committed is True


def test_basket_is_draft_property(basket_item):
    basket = basket_item.basket
    assert basket.is_draft is True
    basket.commit()
    assert basket.is_draft is False


def test_basket_total_items_property(basket, catalog_item):
    assert basket.total_items == 0
    BasketItem.objects.create(basket=basket, catalog_item=catalog_item)
    BasketItem.objects.create(basket=basket, catalog_item=catalog_item)
    assert basket.total_items == 2


def test_basket_total_quantity_property(basket, catalog_item):
    assert basket.total_quantity == 0
    BasketItem.objects.create(basket=basket, catalog_item=catalog_item, quantity=Decimal("1.5"))
    BasketItem.objects.create(basket=basket, catalog_item=catalog_item, quantity=2)
    assert basket.total_quantity == Decimal("3.5")


def test_basket_idempotency_key_unique():
    Basket.objects.create(idempotency_key="visit-1-orders")
    with pytest.raises(IntegrityError), transaction.atomic():
        Basket.objects.create(idempotency_key="visit-1-orders")
    assert Basket.objects.filter(idempotency_key="visit-1-orders").count() == 1


def test_basket_soft_delete(basket):
    basket.delete()
    assert not Basket.objects.filter(pk=basket.pk).exists()
    assert Basket.all_objects.get(pk=basket.pk).is_deleted


def test_basket_ordering():
    first = Basket.objects.create()
    second = Basket.objects.create()
    Basket.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert list(Basket.objects.all()) == [second, first]


def test_basket_committed_at_nullable(basket_item):
    basket = basket_item.basket
    assert basket.committed_at is None
    basket.commit()
    assert basket.committed_at is not None


def test_basket_str_representation(basket):
    assert str(basket) == f"Basket {basket.pk} (draft)"


# --- BasketItem --------------------------------------------------------------------------


def test_basket_item_creation(basket, catalog_item):
    line = BasketItem.objects.create(basket=basket, catalog_item=catalog_item)
    line.refresh_from_db()
    assert line.basket == basket
    assert line.catalog_item == catalog_item
    assert line.instructions == ""


def test_basket_item_has_uuid_pk(basket_item):
    assert isinstance(basket_item.pk, uuid.UUID)


def test_basket_item_basket_fk(basket_item, basket):
    assert basket_item.basket_id == basket.pk
    assert list(basket.items.all()) == [basket_item]


def test_basket_item_catalog_item_fk(basket_item, catalog_item):
    assert basket_item.catalog_item_id == catalog_item.pk
    assert list(catalog_item.basket_items.all()) == [basket_item]


def test_basket_item_quantity_default(basket, catalog_item):
    line = BasketItem.objects.create(basket=basket, catalog_item=catalog_item)
    line.refresh_from_db()
    assert line.quantity == Decimal("1")


def test_basket_item_price_snapshot(basket, catalog_item):
    line = BasketItem.objects.create(
        basket=basket, catalog_item=catalog_item, unit_price=catalog_item.unit_price
    )
    CatalogItem.objects.filter(pk=catalog_item.pk).update(unit_price=Decimal("99.00"))
    line.refresh_from_db()
    assert line.unit_price == Decimal("50.00")


def test_basket_item_line_total_property(basket, catalog_item):
    line = BasketItem(
        basket=basket, catalog_item=catalog_item, quantity=Decimal("3"), unit_price=Decimal("2.50")
    )
    assert line.line_total == Decimal("7.50")


def test_basket_item_line_total_null_price(basket, catalog_item):
    line = BasketItem(basket=basket, catalog_item=catalog_item, quantity=2, unit_price=None)
    assert line.line_total is None


def test_basket_item_instructions_optional(basket, catalog_item):
    plain = BasketItem.objects.create(basket=basket, catalog_item=catalog_item)
    noted = BasketItem.objects.create(
        basket=basket, catalog_item=catalog_item, instructions="Fasting required"
    )
    assert plain.instructions == ""
    noted.refresh_from_db()
    assert noted.instructions == "Fasting required"


def test_basket_item_str_representation(basket, catalog_item):
    line = BasketItem.objects.create(basket=basket, catalog_item=catalog_item, quantity=2)
    line.refresh_from_db()
    assert str(line) == "2.00x Blood Test"


# --- WorkItem ----------------------------------------------------------------------------


@pytest.fixture
def work_item(basket_item):
    return WorkItem.objects.create(
        basket_item=basket_item, work_type="collect", spawn_role="collect"
    )


def test_work_item_creation(basket_item):
    work = WorkItem.objects.create(basket_item=basket_item, work_type="collect")
    work.refresh_from_db()
    assert work.work_type == "collect"
    assert work.spawn_role == ""
    assert work.priority == 0


def test_work_item_has_uuid_pk(work_item):
    assert isinstance(work_item.pk, uuid.UUID)


def test_work_item_basket_item_fk(work_item, basket_item):
    assert work_item.basket_item == basket_item
    assert list(basket_item.work_items.all()) == [work_item]


def test_work_item_status_default_pending(work_item):
    assert work_item.status == WorkItemStatus.PENDING


def test_work_item_assigned_to_optional(work_item, user):
    assert work_item.assigned_to is None
    work_item.assigned_to = user
    work_item.save()
    work_item.refresh_from_db()
    assert work_item.assigned_to == user


def test_work_item_is_complete_property(work_item):
    assert work_item.is_complete is False
    work_item.start()
    work_item.complete()
    assert work_item.is_complete is True


def test_work_item_start_method(work_item, user):
    work_item.start(user)
    work_item.refresh_from_db()
    assert work_item.status == WorkItemStatus.IN_PROGRESS
    assert work_item.started_at is not None
    assert work_item.assigned_to == user


def test_work_item_complete_method(work_item):
    work_item.start()
    work_item.complete()
    work_item.refresh_from_db()
    assert work_item.status == WorkItemStatus.COMPLETED
    assert work_item.completed_at is not None


def test_work_item_unique_constraint(work_item, basket_item):
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkItem.objects.create(basket_item=basket_item, work_type="again", spawn_role="collect")
    assert WorkItem.objects.filter(basket_item=basket_item).count() == 1


def test_work_item_ordering(basket_item):
    low = WorkItem.objects.create(
        basket_item=basket_item, work_type="a", spawn_role="a", priority=0
    )
    high = WorkItem.objects.create(
        basket_item=basket_item, work_type="b", spawn_role="b", priority=5
    )
    later_low = WorkItem.objects.create(
        basket_item=basket_item, work_type="c", spawn_role="c", priority=0
    )
    WorkItem.objects.filter(pk=low.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert list(WorkItem.objects.all()) == [high, low, later_low]


def test_work_item_soft_delete(work_item):
    work_item.delete()
    assert not WorkItem.objects.filter(pk=work_item.pk).exists()
    assert WorkItem.all_objects.get(pk=work_item.pk).is_deleted


def test_work_item_str_representation(work_item):
    work_item = WorkItem.objects.get(pk=work_item.pk)
    assert str(work_item) == "collect for 1.00x Blood Test"


# --- DispenseLog -------------------------------------------------------------------------


def test_dispense_log_creation(basket_item, user):
    log = DispenseLog.objects.create(
        basket_item=basket_item, quantity_dispensed=Decimal("1"), dispensed_by=user
    )
    log.refresh_from_db()
    assert log.quantity_dispensed == Decimal("1.00")
    assert log.dispensed_by == user


def test_dispense_log_has_uuid_pk(basket_item):
    log = DispenseLog.objects.create(basket_item=basket_item, quantity_dispensed=1)
    assert isinstance(log.pk, uuid.UUID)


def test_dispense_log_basket_item_fk(basket_item):
    log = DispenseLog.objects.create(basket_item=basket_item, quantity_dispensed=1)
    assert list(basket_item.dispense_logs.all()) == [log]


def test_dispense_log_dispensed_by_optional(basket_item):
    log = DispenseLog.objects.create(basket_item=basket_item, quantity_dispensed=1)
    log.refresh_from_db()
    assert log.dispensed_by is None


def test_dispense_log_dispensed_at_default(basket_item):
    before = timezone.now()
    log = DispenseLog.objects.create(basket_item=basket_item, quantity_dispensed=1)
    assert before <= log.dispensed_at <= timezone.now()


def test_dispense_log_lot_number_optional(basket_item):
    plain = DispenseLog.objects.create(basket_item=basket_item, quantity_dispensed=1)
    lot = DispenseLog.objects.create(
        basket_item=basket_item, quantity_dispensed=1, lot_number="LOT-42"
    )
    assert plain.lot_number == ""
    lot.refresh_from_db()
    assert lot.lot_number == "LOT-42"


def test_dispense_log_ordering(basket_item):
    now = timezone.now()
    old = DispenseLog.objects.create(
        basket_item=basket_item, quantity_dispensed=1, dispensed_at=now - timedelta(days=1)
    )
    new = DispenseLog.objects.create(
        basket_item=basket_item, quantity_dispensed=1, dispensed_at=now
    )
    assert list(DispenseLog.objects.all()) == [new, old]


def test_dispense_log_str_representation(basket_item):
    log = DispenseLog.objects.create(basket_item=basket_item, quantity_dispensed=Decimal("2"))
    log.refresh_from_db()
    assert str(log) == "Dispensed 2.00 of Blood Test"
