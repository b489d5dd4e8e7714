"""Database check constraints: even ``QuerySet.update()`` cannot store a bad value.

Runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from django_catalog.models import BasketItem, CatalogItem, DispenseLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispense_log(basket_item):
    return DispenseLog.objects.create(basket_item=basket_item, quantity_dispensed=1)


def assert_update_refused(queryset, catalog_rows, **values) -> None:
    before = catalog_rows()

    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**values)

    assert catalog_rows() == before


@pytest.mark.parametrize("quantity", [Decimal("0"), Decimal("-1")])
def test_basket_item_quantity_must_be_positive(basket_item, catalog_rows, quantity):
    assert_update_refused(
        BasketItem.objects.filter(pk=basket_item.pk), catalog_rows, quantity=quantity
    )


@pytest.mark.parametrize("quantity", [Decimal("0"), Decimal("-0.5")])
def test_dispensed_quantity_must_be_positive(dispense_log, catalog_rows, quantity):
    # DispenseLog.objects refuses the change itself (a log is read-only); the base manager's
    # plain queryset does not, so the statement reaches the constraint.
    assert_update_refused(
        DispenseLog._base_manager.filter(pk=dispense_log.pk),
        catalog_rows,
        quantity_dispensed=quantity,
    )


def test_catalog_item_price_must_not_be_negative(catalog_item, catalog_rows):
    assert_update_refused(
        CatalogItem.objects.filter(pk=catalog_item.pk), catalog_rows, unit_price=Decimal("-1")
    )


def test_basket_item_price_must_not_be_negative(basket_item, catalog_rows):
    assert_update_refused(
        BasketItem.objects.filter(pk=basket_item.pk), catalog_rows, unit_price=Decimal("-0.01")
    )


@pytest.mark.parametrize("length", [timedelta(0), timedelta(days=-1)])
def test_availability_window_must_end_after_it_starts(catalog_item, catalog_rows, length):
    start = timezone.now()
    assert_update_refused(
        CatalogItem.objects.filter(pk=catalog_item.pk),
        catalog_rows,
        available_from=start,
        available_to=start + length,
    )


def test_constraints_allow_no_price_zero_prices_and_open_windows(catalog_item, basket_item):
    now = timezone.now()

    CatalogItem.objects.filter(pk=catalog_item.pk).update(unit_price=None, available_from=now)
    CatalogItem.objects.filter(pk=catalog_item.pk).update(
        unit_price=Decimal("0"), available_from=None, available_to=now
    )
    BasketItem.objects.filter(pk=basket_item.pk).update(unit_price=None, quantity=Decimal("0.01"))

    catalog_item.refresh_from_db()
    basket_item.refresh_from_db()
    assert (catalog_item.unit_price, catalog_item.available_from) == (Decimal("0"), None)
    assert (basket_item.unit_price, basket_item.quantity) == (None, Decimal("0.01"))
