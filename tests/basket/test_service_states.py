"""Services read the state from the locked row and answer with the catalog's errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from django_catalog.exceptions import (
    BasketAlreadyCommittedError,
    BasketCancelledError,
    BasketEmptyError,
    BasketStateError,
    ItemNotAvailableError,
)
from django_catalog.models import Basket, BasketItem, BasketStatus, CatalogStateLog, WorkItem
from django_catalog.services import add_item, cancel_basket, commit_basket

pytestmark = pytest.mark.django_db


def test_add_item_to_a_cancelled_basket_names_the_state(basket, catalog_item):
    cancel_basket(basket)
    with pytest.raises(BasketCancelledError) as raised:
        add_item(basket, catalog_item)
    assert isinstance(raised.value, BasketStateError)
    assert raised.value.status == BasketStatus.CANCELLED
    assert str(raised.value) == f"Basket {basket.pk} is cancelled"
    assert not BasketItem.objects.exists()


def test_commit_of_a_cancelled_basket_names_the_state(draft_with_lines):
    cancel_basket(draft_with_lines)
    with pytest.raises(BasketCancelledError) as raised:
        commit_basket(draft_with_lines, work_types=["collect"])
    assert raised.value.basket_id == draft_with_lines.pk
    assert Basket.objects.get(pk=draft_with_lines.pk).status == BasketStatus.CANCELLED
    assert not WorkItem.objects.exists()


def test_add_item_to_a_stale_draft_copy_of_a_committed_basket_is_refused(
    draft_with_lines, catalog_item
):
    stale = Basket.objects.get(pk=draft_with_lines.pk)
    commit_basket(draft_with_lines)
    assert stale.status == BasketStatus.DRAFT
    with pytest.raises(BasketAlreadyCommittedError):
        add_item(stale, catalog_item)
    assert draft_with_lines.items.count() == 2


def test_commit_of_a_stale_copy_returns_the_committed_basket_and_refreshes_it(
    draft_with_lines, user
):
    stale = Basket.objects.get(pk=draft_with_lines.pk)
    commit_basket(draft_with_lines, committed_by=user)
    result = commit_basket(stale)
    assert result is stale
    assert stale.status == BasketStatus.COMMITTED
    assert stale.committed_by == user
    assert CatalogStateLog.objects.for_(stale).count() == 1


def test_cancel_of_a_stale_copy_of_a_committed_basket_is_refused(draft_with_lines):
    stale = Basket.objects.get(pk=draft_with_lines.pk)
    commit_basket(draft_with_lines)
    with pytest.raises(BasketAlreadyCommittedError):
        cancel_basket(stale)
    assert Basket.objects.get(pk=stale.pk).status == BasketStatus.COMMITTED


def test_commit_empty_basket_error_message(basket):
    with pytest.raises(BasketEmptyError, match=f"Cannot commit empty basket {basket.pk}"):
        commit_basket(basket)


def test_commit_basket_refreshes_the_callers_object(draft_with_lines, user):
    result = commit_basket(draft_with_lines, committed_by=user)
    assert result is draft_with_lines
    assert draft_with_lines.status == BasketStatus.COMMITTED
    assert draft_with_lines.committed_by == user


def test_commit_without_spawn_work_creates_no_work(draft_with_lines):
    commit_basket(draft_with_lines, spawn_work=False, work_types=["collect"])
    assert Basket.objects.get(pk=draft_with_lines.pk).is_committed
    assert not WorkItem.objects.exists()


def test_add_item_refuses_a_soft_deleted_catalog_item(basket, catalog_item):
    catalog_item.delete()
    with pytest.raises(ItemNotAvailableError, match="removed from the catalog"):
        add_item(basket, catalog_item)
    assert not BasketItem.objects.exists()


def test_add_item_reads_availability_from_the_database(basket, catalog_item):
    type(catalog_item).objects.filter(pk=catalog_item.pk).update(is_available=False)
    assert catalog_item.is_available  # the caller's copy is stale
    with pytest.raises(ItemNotAvailableError):
        add_item(basket, catalog_item)
    assert not BasketItem.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (timedelta(days=1), None),
        (None, -timedelta(days=1)),
        (timedelta(hours=1), timedelta(days=2)),
    ],
)
def test_add_item_refuses_items_outside_their_window(basket, make_catalog_item, start, end):
    now = timezone.now()
    item = make_catalog_item(
        available_from=now + start if start is not None else None,
        available_to=now + end if end is not None else None,
    )
    with pytest.raises(ItemNotAvailableError, match="availability window"):
        add_item(basket, item)
    assert not BasketItem.objects.exists()
