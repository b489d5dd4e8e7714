"""A dispense log is a record: read-only once written, voided by a soft delete, and restored
only while the line has room for it (the over-dispense rule, re-checked under the line's lock).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from django_catalog import DispenseLogReadOnlyError, OverDispenseError
from django_catalog.models import DispenseLog
from django_catalog.services import dispense
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(make_committed_line):
    return make_committed_line(quantity="5")


@pytest.fixture
def log(line):
    return dispense(line, 2, lot_number="LOT-1", expiry_date=date(2031, 1, 1), notes="with food")


def assert_refused(catalog_rows, write, error):
    before = catalog_rows()
    with pytest.raises(error) as refused:
        write()
    assert catalog_rows() == before
    return refused.value


# --- read-only ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("quantity_dispensed", Decimal("1")),
        ("lot_number", "LOT-2"),
        ("expiry_date", date(2032, 1, 1)),
        ("notes", "edited"),
        ("metadata", {"x": 1}),
    ],
)
def test_a_written_log_cannot_be_changed(log, catalog_rows, field, value):
    setattr(log, field, value)
    error = assert_refused(catalog_rows, log.save, DispenseLogReadOnlyError)
    assert (error.dispense_log_id, error.basket_item_id, error.fields) == (
        log.pk,
        log.basket_item_id,
        [field],
    )


def test_a_log_cannot_be_moved_to_another_line(log, make_committed_line, catalog_rows):
    log.basket_item = make_committed_line()
    assert_refused(catalog_rows, log.save, DispenseLogReadOnlyError)


def test_a_queryset_update_of_a_log_is_refused(log, catalog_rows):
    assert_refused(
        catalog_rows,
        lambda: DispenseLog.objects.filter(pk=log.pk).update(lot_number="LOT-2"),
        DispenseLogReadOnlyError,
    )


def test_saving_a_log_unchanged_is_harmless_and_voiding_works(log):
    log.save()
    log.delete()
    assert DispenseLog.all_objects.get(pk=log.pk).is_deleted
    assert DispenseLog.all_objects.get(pk=log.pk).notes == "with food"


def test_a_stale_copy_cannot_void_with_changes(log):
    stale = DispenseLog.objects.get(pk=log.pk)
    stale.notes = "sneaked in"
    stale.delete()  # writes only the void marker
    assert DispenseLog.all_objects.get(pk=log.pk).notes == "with food"


# --- restore re-checks the over-dispense rule -----------------------------------------------


@pytest.fixture
def voided_then_redispensed(line):
    """Dispense 5 of 5, void it, dispense 5 again: the first log has no room left."""
    first = dispense(line, 5)
    first.delete()
    dispense(line, 5)
    return DispenseLog.all_objects.get(pk=first.pk)


@pytest.mark.parametrize(
    "restore",
    [
        lambda log: log.restore(),
        lambda log: DispenseLog.all_objects.filter(pk=log.pk).restore(),
        lambda log: DispenseLog.all_objects.filter(basket_item=log.basket_item_id).restore(),
    ],
    ids=["instance", "queryset", "queryset_of_the_line"],
)
def test_restoring_a_log_that_would_over_dispense_is_refused(
    voided_then_redispensed, line, catalog_rows, restore
):
    error = assert_refused(
        catalog_rows, lambda: restore(voided_then_redispensed), OverDispenseError
    )
    assert (error.basket_item_id, error.requested, error.remaining) == (
        line.pk,
        Decimal("5.00"),
        Decimal("0.00"),
    )
    assert line.quantity_dispensed == Decimal("5.00")


def test_restoring_two_logs_that_together_over_dispense_is_refused(line, catalog_rows):
    first, second = dispense(line, 3), dispense(line, 2)
    DispenseLog.objects.filter(pk__in=[first.pk, second.pk]).delete()
    dispense(line, 1)

    assert_refused(
        catalog_rows, lambda: DispenseLog.all_objects.deleted_only().restore(), OverDispenseError
    )


def test_a_log_that_still_fits_is_restored(line):
    log = dispense(line, 3)
    log.delete()
    second = dispense(line, 3)
    with pytest.raises(OverDispenseError):
        log.restore()
    second.delete()
    log.restore()
    assert line.quantity_dispensed == Decimal("3.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_restore_racing_a_dispense_never_over_dispenses(line):
    """The restore and the dispense take the same line lock: one of them is refused."""
    voided = dispense(line, 5)
    voided.delete()

    outcomes = run_concurrently(
        [
            lambda: DispenseLog.all_objects.get(pk=voided.pk).restore(),
            *[lambda: dispense(line, 5) for _ in range(7)],
        ]
    )

    assert sum(outcome.ok for outcome in outcomes) == 1
    assert all(isinstance(o.error, OverDispenseError) for o in outcomes if not o.ok)
    assert line.quantity_dispensed == Decimal("5.00")
