"""The specification's basket and line model tests: fields, defaults, properties, __str__."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from django_catalog.models import (
    Basket,
    BasketItem,
    BasketStatus,
    CatalogItem,
)

pytestmark = pytest.mark.django_db


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
    assert str(basket) == f"Basket {str(basket.pk)[:8]} · draft"


def test_basket_str_names_its_context(visit):
    basket = Basket.objects.create(context=visit)

    assert str(Basket.objects.get(pk=basket.pk)) == "Basket for Visit of Ada · draft"


def test_basket_str_falls_back_to_the_id_when_the_context_is_gone(visit):
    basket = Basket.objects.create(context=visit)
    visit.delete()

    assert str(Basket.objects.get(pk=basket.pk)) == f"Basket {str(basket.pk)[:8]} · draft"


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
    assert str(line) == "2 x Blood Test"


def test_basket_item_str_names_the_baskets_context(visit, catalog_item):
    line = BasketItem.objects.create(
        basket=Basket.objects.create(context=visit), catalog_item=catalog_item, quantity="2.5"
    )

    assert str(BasketItem.objects.get(pk=line.pk)) == "2.5 x Blood Test · Visit of Ada"
