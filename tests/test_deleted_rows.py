"""Services called for a deleted row get a catalog error carrying its id, and write nothing.

"Deleted" is both a soft delete and a row that no longer exists (a hard delete, or a
stale object whose row went away).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from django_catalog.exceptions import (
    BasketError,
    BasketItemNotFoundError,
    BasketNotFoundError,
    CatalogError,
    DispenseError,
    IdempotencyKeyRetiredError,
    ItemNotAvailableError,
    NotFoundError,
    WorkItemError,
    WorkItemNotFoundError,
)
from django_catalog.models import BasketItem, CatalogItem
from django_catalog.services import (
    add_item,
    block_work_item,
    cancel_basket,
    cancel_work_item,
    commit_basket,
    complete_work_item,
    create_basket,
    dispense,
    start_work_item,
    unblock_work_item,
)
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db

BASKET_SERVICES = {
    "commit_basket": lambda basket, item: commit_basket(basket, work_types=["collect"]),
    "cancel_basket": lambda basket, item: cancel_basket(basket),
    "add_item": lambda basket, item: add_item(basket, item),
}
WORK_ITEM_SERVICES = {
    "start_work_item": start_work_item,
    "complete_work_item": complete_work_item,
    "block_work_item": lambda work: block_work_item(work, "no sample"),
    "unblock_work_item": unblock_work_item,
    "cancel_work_item": cancel_work_item,
}


def remove(row, how: str):
    """Soft-delete ``row`` or delete it for good; return when it was soft-deleted (or None)."""
    if how == "soft":
        row.delete()
        return type(row).all_objects.get(pk=row.pk).deleted_at
    row.hard_delete()
    return None


@pytest.mark.parametrize("how", ["soft", "hard"])
@pytest.mark.parametrize("service", BASKET_SERVICES)
def test_a_deleted_basket_is_a_catalog_error(
    draft_with_lines, catalog_item, catalog_rows, service, how
):
    deleted_at = remove(draft_with_lines, how)
    before = catalog_rows()

    with pytest.raises(BasketNotFoundError) as caught:
        BASKET_SERVICES[service](draft_with_lines, catalog_item)

    assert caught.value.basket_id == caught.value.object_id == draft_with_lines.pk
    assert caught.value.deleted_at == deleted_at
    assert isinstance(caught.value, BasketError)
    state = "was deleted at" if how == "soft" else "does not exist"
    assert str(caught.value).startswith(f"Basket {draft_with_lines.pk} {state}")
    assert catalog_rows() == before


@pytest.mark.parametrize("how", ["soft", "hard"])
@pytest.mark.parametrize("service", WORK_ITEM_SERVICES)
def test_a_deleted_work_item_is_a_catalog_error(work_item, catalog_rows, service, how):
    deleted_at = remove(work_item, how)
    before = catalog_rows()

    with pytest.raises(WorkItemNotFoundError) as caught:
        WORK_ITEM_SERVICES[service](work_item)

    assert caught.value.work_item_id == work_item.pk
    assert caught.value.deleted_at == deleted_at
    assert isinstance(caught.value, WorkItemError)
    assert catalog_rows() == before


@pytest.mark.parametrize("how", ["soft", "hard"])
def test_dispensing_a_deleted_line_is_a_catalog_error(visit, make_catalog_item, catalog_rows, how):
    # The line is removed while its basket is a draft; the basket is then committed.
    basket = create_basket(context=visit)
    removed = add_item(basket, make_catalog_item(name="Amoxicillin 500 mg"), quantity=5)
    add_item(basket, make_catalog_item(name="Paracetamol"), quantity=1)
    deleted_at = remove(removed, how)
    commit_basket(basket, spawn_work=False)
    before = catalog_rows()

    with pytest.raises(BasketItemNotFoundError) as caught:
        dispense(removed, 1)

    assert caught.value.basket_item_id == removed.pk
    assert caught.value.deleted_at == deleted_at
    assert isinstance(caught.value, DispenseError)
    assert catalog_rows() == before


def test_not_found_errors_share_one_family():
    for error in (BasketNotFoundError, WorkItemNotFoundError, BasketItemNotFoundError):
        assert issubclass(error, NotFoundError)
        assert issubclass(error, CatalogError)


def test_replaying_the_key_of_a_deleted_basket_names_it_and_writes_nothing(visit, catalog_rows):
    basket = create_basket(context=visit, idempotency_key="visit-1-orders")
    basket.delete()
    before = catalog_rows()

    with pytest.raises(IdempotencyKeyRetiredError) as caught:
        create_basket(context=visit, idempotency_key="visit-1-orders")

    assert (caught.value.idempotency_key, caught.value.basket_id) == ("visit-1-orders", basket.pk)
    assert str(caught.value) == (
        f"Idempotency key 'visit-1-orders' belongs to basket {basket.pk}, which was deleted"
    )
    assert catalog_rows() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_add_item_racing_a_hard_delete_of_the_item_is_not_available(basket, catalog_item):
    """The item is deleted (not yet committed) while add_item runs in another connection."""
    deleted = threading.Event()
    deleter_committed = threading.Event()
    item_pk = catalog_item.pk
    deleters_copy = CatalogItem.objects.get(pk=item_pk)  # hard_delete() clears its pk

    def delete_the_item():
        with transaction.atomic():
            deleters_copy.hard_delete()
            deleted.set()
            time.sleep(0.5)  # add_item reads the item meanwhile
        deleter_committed.set()

    def order_the_item():
        assert deleted.wait(10)
        with transaction.atomic():
            add_item(basket, catalog_item)
            deleter_committed.wait(10)  # commit only after the delete did

    deleter, adder = run_concurrently([delete_the_item, order_the_item])

    assert deleter.ok, deleter.error
    assert isinstance(adder.error, ItemNotAvailableError), adder.error
    assert adder.error.item_id == item_pk
    assert not BasketItem.all_objects.exists()
