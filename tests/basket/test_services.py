"""The specification's service tests: create_basket, add_item, commit_basket, cancel_basket."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_catalog.exceptions import (
    BasketAlreadyCommittedError,
    BasketEmptyError,
    BasketStateError,
    ItemNotAvailableError,
)
from django_catalog.models import (
    Basket,
    BasketItem,
    BasketStatus,
    CatalogStateLog,
    WorkItem,
    WorkItemStatus,
)
from django_catalog.services import add_item, cancel_basket, commit_basket, create_basket

pytestmark = pytest.mark.django_db

WORK_TYPES = ["collect", "process", "report"]


# --- create_basket -----------------------------------------------------------------------


def test_create_basket_basic():
    basket = create_basket()
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.DRAFT
    assert basket.idempotency_key is None


def test_create_basket_with_context(visit):
    basket = create_basket(context=visit)
    assert Basket.objects.get(pk=basket.pk).context == visit


def test_create_basket_idempotent(visit):
    first = create_basket(context=visit, idempotency_key="visit-1-orders")
    second = create_basket(context=visit, idempotency_key="visit-1-orders")
    assert second.pk == first.pk
    assert Basket.objects.count() == 1


def test_create_basket_different_keys():
    first = create_basket(idempotency_key="a")
    second = create_basket(idempotency_key="b")
    assert first.pk != second.pk
    assert Basket.objects.count() == 2


def test_create_basket_with_notes():
    basket = create_basket(notes="Patient is fasting")
    assert Basket.objects.get(pk=basket.pk).notes == "Patient is fasting"


def test_create_basket_with_metadata():
    basket = create_basket(metadata={"ward": "3B"})
    assert Basket.objects.get(pk=basket.pk).metadata == {"ward": "3B"}


# --- add_item ----------------------------------------------------------------------------


def test_add_item_basic(basket, catalog_item):
    line = add_item(basket, catalog_item)
    assert list(basket.items.all()) == [line]
    assert line.catalog_item == catalog_item
    assert line.quantity == Decimal("1")


def test_add_item_with_quantity(basket, catalog_item):
    line = add_item(basket, catalog_item, quantity=3)
    line.refresh_from_db()
    assert line.quantity == Decimal("3")


def test_add_item_price_snapshot(basket, catalog_item):
    line = add_item(basket, catalog_item)
    catalog_item.unit_price = Decimal("75.00")
    catalog_item.save()
    line.refresh_from_db()
    assert line.unit_price == Decimal("50.00")
    assert line.currency == catalog_item.currency


def test_add_item_price_override(basket, catalog_item):
    line = add_item(basket, catalog_item, unit_price=Decimal("10.00"))
    line.refresh_from_db()
    assert line.unit_price == Decimal("10.00")


def test_add_item_with_instructions(basket, catalog_item):
    line = add_item(basket, catalog_item, instructions="Fasting required")
    line.refresh_from_db()
    assert line.instructions == "Fasting required"


def test_add_item_to_committed_raises(draft_with_lines, catalog_item):
    commit_basket(draft_with_lines)
    with pytest.raises(BasketAlreadyCommittedError) as raised:
        add_item(draft_with_lines, catalog_item)
    assert raised.value.basket_id == draft_with_lines.pk
    assert draft_with_lines.items.count() == 2


def test_add_item_unavailable_raises(basket, make_catalog_item):
    item = make_catalog_item(is_available=False)
    with pytest.raises(ItemNotAvailableError) as raised:
        add_item(basket, item)
    assert raised.value.item_id == item.pk
    assert str(raised.value) == f"Item {item.pk} is not available: Item is not available"
    assert not BasketItem.objects.exists()


def test_add_item_multiple_same_item(basket, catalog_item):
    first = add_item(basket, catalog_item)
    second = add_item(basket, catalog_item, quantity=2)
    assert first.pk != second.pk
    assert basket.total_items == 2
    assert basket.total_quantity == Decimal("3")


# --- commit_basket -----------------------------------------------------------------------


def test_commit_basket_sets_status(draft_with_lines):
    result = commit_basket(draft_with_lines)
    assert result.status == BasketStatus.COMMITTED
    assert Basket.objects.get(pk=draft_with_lines.pk).status == BasketStatus.COMMITTED


def test_commit_basket_sets_committed_at(draft_with_lines):
    result = commit_basket(draft_with_lines)
    assert result.committed_at is not None
    assert Basket.objects.get(pk=result.pk).committed_at == result.committed_at


def test_commit_basket_sets_committed_by(draft_with_lines, user):
    result = commit_basket(draft_with_lines, committed_by=user)
    assert Basket.objects.get(pk=result.pk).committed_by == user


def test_commit_basket_idempotent(draft_with_lines, user, other_user):
    first = commit_basket(draft_with_lines, committed_by=user, work_types=WORK_TYPES)
    second = commit_basket(draft_with_lines, committed_by=other_user, work_types=WORK_TYPES)
    assert second.pk == first.pk
    assert second.committed_at == first.committed_at
    assert second.committed_by == user
    assert WorkItem.objects.count() == 6


def test_commit_basket_spawns_work(draft_with_lines):
    commit_basket(draft_with_lines, work_types=WORK_TYPES)
    spawned = WorkItem.objects.filter(basket_item__basket=draft_with_lines)
    assert spawned.count() == 2 * 3
    assert {w.spawn_role for w in spawned} == set(WORK_TYPES)
    assert {w.work_type for w in spawned} == set(WORK_TYPES)
    assert {w.status for w in spawned} == {WorkItemStatus.PENDING}


def test_commit_basket_work_unique(draft_with_lines):
    line = draft_with_lines.items.first()
    existing = WorkItem.objects.create(basket_item=line, work_type="collect", spawn_role="collect")
    commit_basket(draft_with_lines, work_types=["collect", "collect", "process"])
    assert WorkItem.objects.filter(basket_item=line, spawn_role="collect").get() == existing
    assert WorkItem.objects.count() == 2 * 2


def test_commit_basket_empty_raises(basket):
    with pytest.raises(BasketEmptyError) as raised:
        commit_basket(basket, work_types=WORK_TYPES)
    assert raised.value.basket_id == basket.pk
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.DRAFT
    assert not CatalogStateLog.objects.exists()


def test_commit_basket_already_committed_returns(draft_with_lines):
    commit_basket(draft_with_lines)
    stale = Basket.objects.get(pk=draft_with_lines.pk)
    result = commit_basket(stale)
    assert result.status == BasketStatus.COMMITTED
    assert CatalogStateLog.objects.for_(draft_with_lines).count() == 1


def test_commit_basket_atomic(draft_with_lines, spawn_fails_after_insert):
    """A failure while spawning work rolls back the status, timestamps and audit row."""
    with pytest.raises(RuntimeError):
        commit_basket(draft_with_lines, work_types=WORK_TYPES)
    fresh = Basket.objects.get(pk=draft_with_lines.pk)
    assert fresh.status == BasketStatus.DRAFT
    assert fresh.committed_at is None
    assert not WorkItem.objects.exists()
    assert not CatalogStateLog.objects.exists()


# --- cancel_basket -----------------------------------------------------------------------


def test_cancel_basket_sets_status(basket):
    cancel_basket(basket)
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.CANCELLED


def test_cancel_basket_committed_raises(draft_with_lines):
    commit_basket(draft_with_lines)
    with pytest.raises(BasketAlreadyCommittedError):
        cancel_basket(draft_with_lines)
    assert Basket.objects.get(pk=draft_with_lines.pk).status == BasketStatus.COMMITTED


def test_cancel_basket_returns_basket(basket):
    result = cancel_basket(basket)
    assert isinstance(result, Basket)
    assert result.pk == basket.pk
    assert result.status == BasketStatus.CANCELLED


def test_cancel_basket_draft_only(draft_with_lines, basket):
    cancel_basket(basket)
    assert cancel_basket(basket).status == BasketStatus.CANCELLED  # replay: unchanged
    assert CatalogStateLog.objects.for_(basket).count() == 1
    commit_basket(draft_with_lines)
    with pytest.raises(BasketStateError) as raised:
        cancel_basket(draft_with_lines)
    assert raised.value.status == BasketStatus.COMMITTED
