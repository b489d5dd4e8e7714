"""The specification's dispense-log model tests: fields, defaults, ordering, __str__."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from django_catalog.models import (
    DispenseLog,
)

pytestmark = pytest.mark.django_db


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
