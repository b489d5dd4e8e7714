"""A basket that is no longer a draft is frozen: its lines, its request, its existence.

Every door of the model layer is tried (instance methods, querysets, a stale copy); each
refusal is a catalog error and leaves every catalog row as it was. Runs on SQLite and
PostgreSQL (where the triggers of tests/basket/test_frozen_triggers.py back it).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from django_catalog import BasketFrozenError, BasketStateError, DispensedLineError
from django_catalog.models import Basket, BasketItem, BasketStatus, DispenseLog
from django_catalog.services import add_item, commit_basket, create_basket

pytestmark = pytest.mark.django_db


def assert_refused(catalog_rows, write, error=BasketFrozenError):
    before = catalog_rows()
    with pytest.raises(error) as refused:
        write()
    assert catalog_rows() == before
    return refused.value


def assert_names_line(error, line):
    assert isinstance(error, BasketStateError)
    assert error.basket_id == line.basket_id
    assert error.status == Basket.all_objects.get(pk=line.basket_id).status
    assert error.basket_item_id == line.pk
    assert str(line.basket_id) in str(error) and error.status in str(error)


# --- lines of a frozen basket: instance methods ---------------------------------------------


def test_a_frozen_line_cannot_be_changed(frozen_line, catalog_rows):
    frozen_line.quantity = Decimal("1")
    error = assert_refused(catalog_rows, frozen_line.save)
    assert_names_line(error, frozen_line)
    assert error.action == "change"


@pytest.mark.parametrize(
    "field, value",
    [("unit_price", Decimal("1.00")), ("currency", "USD"), ("instructions", "x"), ("metadata", {})],
)
def test_no_field_of_a_frozen_line_can_be_changed(frozen_line, catalog_rows, field, value):
    setattr(frozen_line, field, value)
    assert_refused(catalog_rows, frozen_line.save)


def test_a_line_cannot_be_added_to_a_frozen_basket(frozen_line, catalog_rows):
    line = BasketItem(basket_id=frozen_line.basket_id, catalog_item=frozen_line.catalog_item)
    error = assert_refused(catalog_rows, line.save)
    assert error.action == "add a line to"


def test_a_line_cannot_be_created_in_a_frozen_basket(frozen_line, catalog_rows):
    assert_refused(
        catalog_rows,
        lambda: BasketItem.objects.create(
            basket_id=frozen_line.basket_id, catalog_item=frozen_line.catalog_item
        ),
    )


def test_a_draft_line_cannot_move_into_a_frozen_basket(frozen_line, basket_item, catalog_rows):
    basket_item.basket_id = frozen_line.basket_id
    error = assert_refused(catalog_rows, basket_item.save)
    assert error.basket_id == frozen_line.basket_id


def test_a_frozen_line_cannot_move_out_to_a_draft(frozen_line, basket, catalog_rows):
    frozen_line.basket = basket
    error = assert_refused(catalog_rows, frozen_line.save)
    assert error.basket_id != basket.pk  # the frozen basket it leaves is named


def test_a_frozen_line_cannot_be_deleted(frozen_line, catalog_rows):
    error = assert_refused(catalog_rows, frozen_line.delete)
    assert error.action == "delete"


def test_a_frozen_line_cannot_be_hard_deleted(frozen_line, catalog_rows):
    error = assert_refused(catalog_rows, frozen_line.hard_delete)
    assert error.action == "hard-delete"


def test_a_deleted_line_of_a_committed_basket_cannot_be_restored(draft_with_lines, catalog_rows):
    removed = draft_with_lines.items.first()
    removed.delete()
    commit_basket(draft_with_lines, work_types=["collect"])
    removed = BasketItem.all_objects.get(pk=removed.pk)

    error = assert_refused(catalog_rows, removed.restore)

    assert error.action == "restore"
    assert BasketItem.all_objects.get(pk=removed.pk).is_deleted


def test_a_stale_copy_loaded_while_draft_cannot_change_the_line_after_the_commit(
    draft_with_lines, catalog_rows
):
    stale = BasketItem.objects.filter(basket=draft_with_lines).first()
    commit_basket(draft_with_lines, work_types=["collect"])
    stale.quantity = Decimal("7")

    error = assert_refused(catalog_rows, stale.save)

    assert error.status == BasketStatus.COMMITTED


# --- lines of a frozen basket: querysets ----------------------------------------------------


def lines_of(line):
    return BasketItem.all_objects.filter(pk=line.pk)


@pytest.mark.parametrize(
    "write",
    [
        lambda lines: lines.update(quantity=Decimal("1")),
        lambda lines: lines.delete(),
        lambda lines: lines.hard_delete(),
        lambda lines: lines.restore(),
    ],
    ids=["update", "delete", "hard_delete", "restore"],
)
def test_queryset_writes_to_frozen_lines_are_refused(frozen_line, catalog_rows, write):
    error = assert_refused(catalog_rows, lambda: write(lines_of(frozen_line)))
    assert error.basket_id == frozen_line.basket_id


def test_queryset_update_cannot_move_draft_lines_into_a_frozen_basket(
    frozen_line, basket_item, catalog_rows
):
    assert_refused(
        catalog_rows, lambda: lines_of(basket_item).update(basket_id=frozen_line.basket_id)
    )


def test_bulk_update_of_frozen_lines_is_refused(frozen_line, catalog_rows):
    frozen_line.quantity = Decimal("1")

    def bulk_update():
        # bulk_update() opens a transaction without a savepoint: give it one inside the test's.
        with transaction.atomic():
            BasketItem.objects.bulk_update([frozen_line], ["quantity"])

    assert_refused(catalog_rows, bulk_update)


def test_bulk_create_into_a_frozen_basket_is_refused(frozen_line, basket, catalog_rows):
    lines = [
        BasketItem(basket=basket, catalog_item=frozen_line.catalog_item),
        BasketItem(basket_id=frozen_line.basket_id, catalog_item=frozen_line.catalog_item),
    ]
    assert_refused(catalog_rows, lambda: BasketItem.objects.bulk_create(lines))


def test_a_refusal_inside_the_callers_transaction_leaves_it_usable(frozen_line, basket):
    with transaction.atomic():
        frozen_line.quantity = Decimal("1")
        with pytest.raises(BasketFrozenError):
            frozen_line.save()
        basket.notes = "still usable"
        basket.save()
    assert Basket.objects.get(pk=basket.pk).notes == "still usable"


# --- lines of a draft basket stay free ------------------------------------------------------


def test_lines_of_a_draft_basket_can_be_changed_moved_deleted_and_restored(
    basket_item, visit, catalog_item
):
    other = create_basket(context=visit)
    basket_item.quantity = Decimal("3")
    basket_item.basket = other
    basket_item.save()
    basket_item.delete()
    basket_item.restore()
    BasketItem.objects.filter(pk=basket_item.pk).update(instructions="fasting")
    BasketItem.objects.bulk_create([BasketItem(basket=other, catalog_item=catalog_item)])

    line = BasketItem.objects.get(pk=basket_item.pk)
    assert (line.quantity, line.basket_id, line.instructions) == (3, other.pk, "fasting")
    assert other.items.count() == 2
    line.hard_delete()
    assert not BasketItem.all_objects.filter(pk=line.pk).exists()


# --- the basket's request is read-only once it is not a draft --------------------------------


@pytest.fixture
def frozen_basket(frozen_line):
    return Basket.objects.get(pk=frozen_line.basket_id)


@pytest.mark.parametrize(
    "field, value",
    [("notes", "edited"), ("metadata", {"x": 1}), ("idempotency_key", "other-key")],
)
def test_a_frozen_baskets_request_fields_cannot_change(frozen_basket, catalog_rows, field, value):
    setattr(frozen_basket, field, value)
    error = assert_refused(catalog_rows, frozen_basket.save)
    assert error.fields == [field]
    assert error.status == frozen_basket.status


def test_a_frozen_baskets_context_cannot_change(frozen_basket, organization, catalog_rows):
    frozen_basket.context = organization
    error = assert_refused(catalog_rows, frozen_basket.save)
    assert "context_content_type" in error.fields


def test_saving_a_frozen_basket_unchanged_is_harmless(frozen_basket, catalog_rows):
    before = catalog_rows()
    frozen_basket.save()
    frozen_basket.save(update_fields=["notes", "metadata"])
    after = catalog_rows()
    for rows in (before, after):  # only updated_at may move
        for row in rows["django_catalog.Basket"]:
            row.pop("updated_at")
    assert after == before


def test_queryset_update_of_a_frozen_baskets_request_is_refused(frozen_basket, catalog_rows):
    assert_refused(
        catalog_rows, lambda: Basket.objects.filter(pk=frozen_basket.pk).update(notes="edited")
    )


def test_a_draft_baskets_request_can_change(basket):
    basket.notes = "call first"
    basket.save()
    Basket.objects.filter(pk=basket.pk).update(metadata={"ward": "B"})
    basket.refresh_from_db()
    assert (basket.notes, basket.metadata) == ("call first", {"ward": "B"})


# --- a committed basket is kept; dispensed lines are kept ------------------------------------


@pytest.fixture
def committed_basket(make_committed_line):
    return Basket.objects.get(pk=make_committed_line().basket_id)


@pytest.mark.parametrize(
    "write, action",
    [
        (lambda basket: basket.delete(), "delete"),
        (lambda basket: basket.hard_delete(), "hard-delete"),
        (lambda basket: Basket.objects.filter(pk=basket.pk).delete(), "delete"),
        (lambda basket: Basket.objects.filter(pk=basket.pk).hard_delete(), "hard-delete"),
    ],
    ids=["delete", "hard_delete", "queryset_delete", "queryset_hard_delete"],
)
def test_a_committed_basket_cannot_be_deleted(committed_basket, catalog_rows, write, action):
    error = assert_refused(catalog_rows, lambda: write(committed_basket))
    assert (error.basket_id, error.status, error.action) == (
        committed_basket.pk,
        BasketStatus.COMMITTED,
        action,
    )


def test_a_plain_queryset_update_cannot_mark_a_committed_basket_deleted(
    committed_basket, catalog_rows
):
    assert_refused(
        catalog_rows,
        lambda: Basket.objects.filter(pk=committed_basket.pk).update(deleted_at=timezone.now()),
    )


def test_a_stale_draft_copy_cannot_write_its_request_over_the_committed_basket(
    draft_with_lines, catalog_rows
):
    stale = Basket.objects.get(pk=draft_with_lines.pk)
    commit_basket(draft_with_lines, work_types=["collect"])
    stale.notes = "edited in another tab"

    def save():
        with transaction.atomic():  # django-fsm's refusal breaks the transaction it is in
            stale.save()

    assert_refused(catalog_rows, save, ConcurrentTransition)


def test_a_cancelled_basket_can_be_deleted_and_hard_deleted_with_its_lines(cancelled_line):
    basket = Basket.objects.get(pk=cancelled_line.basket_id)
    basket.delete()
    assert Basket.all_objects.get(pk=basket.pk).is_deleted
    Basket.all_objects.get(pk=basket.pk).hard_delete()
    assert not Basket.all_objects.filter(pk=basket.pk).exists()
    assert not BasketItem.all_objects.filter(pk=cancelled_line.pk).exists()


def test_a_draft_basket_can_be_hard_deleted_with_its_lines(draft_with_lines):
    Basket.objects.filter(pk=draft_with_lines.pk).hard_delete()
    assert not BasketItem.all_objects.filter(basket_id=draft_with_lines.pk).exists()


@pytest.fixture
def dispensed_draft_line(basket_item):
    """A draft line with a (voided) dispense log written straight through the ORM."""
    DispenseLog.objects.create(basket_item=basket_item, quantity_dispensed=1).delete()
    return basket_item


@pytest.mark.parametrize(
    "write",
    [
        lambda line: line.hard_delete(),
        lambda line: BasketItem.objects.filter(pk=line.pk).hard_delete(),
        lambda line: line.basket.hard_delete(),
        lambda line: Basket.objects.filter(pk=line.basket_id).hard_delete(),
    ],
    ids=["line", "line_queryset", "basket", "basket_queryset"],
)
def test_a_line_with_dispense_logs_cannot_be_hard_deleted(
    dispensed_draft_line, catalog_rows, write
):
    error = assert_refused(catalog_rows, lambda: write(dispensed_draft_line), DispensedLineError)
    assert (error.basket_item_id, error.basket_id) == (
        dispensed_draft_line.pk,
        dispensed_draft_line.basket_id,
    )


def test_the_commit_transition_still_saves_a_frozen_basket(visit, catalog_item):
    basket = create_basket(context=visit, notes="ward B")
    add_item(basket, catalog_item)
    basket.commit(work_types=["collect"])
    basket.save()  # the django-fsm habit
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.COMMITTED
