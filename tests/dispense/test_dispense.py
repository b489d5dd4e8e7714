"""Guarded dispensing: only committed lines, never more than ordered, never an expired lot."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

import django_catalog
from django_catalog.exceptions import (
    BasketNotCommittedError,
    CatalogError,
    DispenseError,
    ExpiredLotError,
    OverDispenseError,
)
from django_catalog.models import DispenseLog
from django_catalog.services import add_item, cancel_basket, create_basket, dispense
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(make_committed_line):
    return make_committed_line(quantity="5")


def test_dispense_is_exported_from_the_package():
    assert django_catalog.dispense is dispense
    for name in (
        "DispenseError",
        "BasketNotCommittedError",
        "OverDispenseError",
        "ExpiredLotError",
    ):
        assert issubclass(getattr(django_catalog, name), CatalogError)


def test_dispense_records_a_log(line, user):
    expiry = timezone.localdate() + timedelta(days=90)
    log = dispense(
        line,
        2,
        dispensed_by=user,
        lot_number="LOT-42",
        expiry_date=expiry,
        notes="with food",
        metadata={"station": "pharmacy"},
    )
    stored = DispenseLog.objects.get(pk=log.pk)
    assert stored.basket_item == line
    assert stored.quantity_dispensed == Decimal("2")
    assert stored.dispensed_by == user
    assert (stored.lot_number, stored.expiry_date) == ("LOT-42", expiry)
    assert (stored.notes, stored.metadata) == ("with food", {"station": "pharmacy"})
    assert stored.dispensed_at is not None


def test_quantity_dispensed_and_remaining_follow_the_logs(line):
    assert (line.quantity_dispensed, line.quantity_remaining) == (Decimal("0"), Decimal("5"))
    dispense(line, "1.5")
    dispense(line, 2)
    assert (line.quantity_dispensed, line.quantity_remaining) == (Decimal("3.5"), Decimal("1.5"))
    # Two decimal places, as the fields have, on every database.
    assert (str(line.quantity_dispensed), str(line.quantity_remaining)) == ("3.50", "1.50")


def test_a_soft_deleted_log_no_longer_counts(line):
    voided = dispense(line, 4)
    voided.delete()
    assert line.quantity_dispensed == Decimal("0")
    dispense(line, 5)
    assert line.quantity_remaining == Decimal("0")


def test_the_exact_remaining_quantity_can_be_dispensed(line):
    dispense(line, 3)
    dispense(line, 2)
    assert line.quantity_remaining == Decimal("0")


@pytest.mark.parametrize(
    ("already", "requested", "remaining"),
    [(0, "5.01", "5.00"), (3, "3", "2.00")],
)
def test_over_dispensing_is_refused_with_the_remaining_quantity(
    line, already, requested, remaining
):
    if already:
        dispense(line, already)
    logs_before = DispenseLog.objects.count()
    with pytest.raises(OverDispenseError) as caught:
        dispense(line, requested)
    error = caught.value
    assert isinstance(error, DispenseError)
    assert (error.basket_item_id, error.requested, error.remaining) == (
        line.pk,
        Decimal(requested),
        Decimal(remaining),
    )
    assert str(error) == (
        f"Cannot dispense {requested} of line {line.pk}: only {remaining} remaining"
    )
    assert DispenseLog.objects.count() == logs_before


def test_a_fully_dispensed_line_refuses_more(line):
    dispense(line, 5)
    with pytest.raises(OverDispenseError) as caught:
        dispense(line, "0.01")
    assert caught.value.remaining == Decimal("0")


def test_a_draft_basket_cannot_be_dispensed(basket, catalog_item):
    draft_line = add_item(basket, catalog_item, quantity=2)
    with pytest.raises(BasketNotCommittedError) as caught:
        dispense(draft_line, 1)
    error = caught.value
    assert (error.basket_item_id, error.basket_id, error.status) == (
        draft_line.pk,
        basket.pk,
        "draft",
    )
    assert str(error) == (
        f"Cannot dispense line {draft_line.pk}: basket {basket.pk} is draft, not committed"
    )
    assert not DispenseLog.objects.exists()


def test_a_cancelled_basket_cannot_be_dispensed(catalog_item):
    basket = create_basket()
    cancelled_line = add_item(basket, catalog_item, quantity=2)
    cancel_basket(basket)
    with pytest.raises(BasketNotCommittedError) as caught:
        dispense(cancelled_line, 1)
    assert caught.value.status == "cancelled"
    assert not DispenseLog.objects.exists()


def test_an_expired_lot_is_refused(line):
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ExpiredLotError) as caught:
        dispense(line, 1, lot_number="LOT-7", expiry_date=yesterday)
    error = caught.value
    assert (error.basket_item_id, error.lot_number, error.expiry_date) == (
        line.pk,
        "LOT-7",
        yesterday,
    )
    assert str(error) == (
        f"Cannot dispense line {line.pk}: lot 'LOT-7' expired on {yesterday.isoformat()}"
    )
    assert not DispenseLog.objects.exists()


@pytest.mark.parametrize("days_left", [0, 1, 365])
def test_a_lot_expiring_today_or_later_is_accepted(line, days_left):
    expiry = timezone.localdate() + timedelta(days=days_left)
    assert dispense(line, 1, expiry_date=expiry).expiry_date == expiry


def test_today_is_the_local_date(line, monkeypatch):
    # The boundary is timezone.localdate(), not the server's or UTC's date.
    local_today = date(2031, 3, 15)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: local_today)
    with pytest.raises(ExpiredLotError):
        dispense(line, 1, expiry_date=date(2031, 3, 14))
    assert dispense(line, 1, expiry_date=date(2031, 3, 15)).expiry_date == local_today


def test_an_expiry_date_may_be_given_as_iso_text(line):
    later = timezone.localdate() + timedelta(days=30)
    log = dispense(line, 1, expiry_date=later.isoformat())
    assert DispenseLog.objects.get(pk=log.pk).expiry_date == later


def test_an_unreadable_expiry_date_is_a_validation_error(line):
    with pytest.raises(ValidationError):
        dispense(line, 1, expiry_date="next spring")
    assert not DispenseLog.objects.exists()


def test_not_committed_is_reported_before_an_expired_lot(basket, catalog_item):
    draft_line = add_item(basket, catalog_item, quantity=2)
    with pytest.raises(BasketNotCommittedError):
        dispense(draft_line, 1, expiry_date=timezone.localdate() - timedelta(days=1))


@pytest.mark.parametrize("quantity", [0, -1, "abc", "1.234", None, 10**8])
def test_a_bad_quantity_is_refused_like_add_item(line, quantity):
    with pytest.raises(ValidationError) as caught:
        dispense(line, quantity)
    assert "quantity" in caught.value.message_dict
    assert not DispenseLog.objects.exists()


def test_a_too_long_lot_number_is_refused(line):
    with pytest.raises(ValidationError) as caught:
        dispense(line, 1, lot_number="L" * 101)
    assert "lot_number" in caught.value.message_dict
    assert not DispenseLog.objects.exists()


def test_metadata_must_be_a_dict(line):
    with pytest.raises(ValueError, match="metadata must be a dict"):
        dispense(line, 1, metadata=["not", "a", "dict"])
    assert not DispenseLog.objects.exists()


def test_a_stale_line_object_is_checked_against_the_database(line):
    stale = type(line).objects.get(pk=line.pk)
    dispense(line, 4)
    with pytest.raises(OverDispenseError) as caught:
        dispense(stale, 2)
    assert caught.value.remaining == Decimal("1")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_dispensers_never_exceed_the_line_quantity(make_committed_line, user):
    line = make_committed_line(quantity="5")

    def dispense_one(_):
        return dispense(type(line).objects.get(pk=line.pk), 1, dispensed_by=user)

    outcomes = run_concurrently(dispense_one, workers=8)

    succeeded = [o for o in outcomes if o.ok]
    refused = [o for o in outcomes if not o.ok]
    assert len(succeeded) == 5
    assert len(refused) == 3
    assert all(isinstance(o.error, OverDispenseError) for o in refused), [o.error for o in refused]
    assert all(o.error.remaining == Decimal("0") for o in refused)
    assert DispenseLog.objects.filter(basket_item=line).count() == 5
    assert line.quantity_dispensed == Decimal("5")
