"""Money: a line's total and a basket's total, in their currency, never across currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_catalog.exceptions import CatalogError, MixedCurrencyError
from django_catalog.models import Basket, BasketItem
from django_catalog.money import Money
from django_catalog.services import add_item, create_basket

pytestmark = pytest.mark.django_db


def test_a_line_total_has_the_prices_two_decimals_and_its_currency(basket, catalog_item):
    line = BasketItem(
        basket=basket, catalog_item=catalog_item, quantity=Decimal("21"), unit_price=Decimal("0.8")
    )
    line.currency = "EUR"

    assert line.line_total == Decimal("16.80")
    assert str(line.line_money) == "16.80 EUR"


def test_a_line_total_is_rounded_half_up_to_cents(basket, catalog_item):
    line = BasketItem(
        basket=basket,
        catalog_item=catalog_item,
        quantity=Decimal("0.50"),
        unit_price=Decimal("0.25"),
    )

    assert line.line_total == Decimal("0.13")  # 0.125


def test_a_line_without_a_price_has_no_total(basket, catalog_item):
    line = BasketItem(basket=basket, catalog_item=catalog_item, unit_price=None)

    assert line.line_total is None
    assert line.line_money is None


def test_a_basket_total_adds_its_lines_in_their_currency(draft_with_lines):
    assert draft_with_lines.total() == Money(Decimal("290.00"), "USD")  # 50.00 + 2 x 120.00
    assert str(draft_with_lines.total()) == "290.00 USD"


def test_a_basket_total_is_the_sum_of_the_rounded_line_totals(visit, make_catalog_item):
    basket = create_basket(context=visit)
    for _ in range(3):
        add_item(basket, make_catalog_item(unit_price=Decimal("0.25")), quantity="0.50")

    assert basket.total() == Money(Decimal("0.39"), "USD")  # 3 x 0.13, not 0.375 -> 0.38


def test_lines_without_a_price_and_deleted_lines_are_left_out(draft_with_lines, make_catalog_item):
    add_item(draft_with_lines, make_catalog_item(name="Leaflet", unit_price=None))
    draft_with_lines.items.get(catalog_item__name="Blood Test").delete()

    assert draft_with_lines.total() == Money(Decimal("240.00"), "USD")


def test_a_basket_without_priced_lines_has_no_total(basket, make_catalog_item):
    assert basket.total() is None
    add_item(basket, make_catalog_item(unit_price=None))

    assert basket.total() is None


def test_a_mixed_currency_basket_says_so_instead_of_adding_them(
    draft_with_lines, make_catalog_item
):
    add_item(draft_with_lines, make_catalog_item(unit_price=Decimal("9.99"), currency="EUR"))

    with pytest.raises(MixedCurrencyError) as refused:
        draft_with_lines.total()

    assert isinstance(refused.value, CatalogError)
    assert refused.value.currencies == ["EUR", "USD"]
    assert refused.value.basket_id == draft_with_lines.pk
    assert "EUR, USD" in str(refused.value)
    assert draft_with_lines.totals_by_currency() == [
        Money(Decimal("9.99"), "EUR"),
        Money(Decimal("290.00"), "USD"),
    ]


def test_a_basket_total_is_one_query_or_none_with_prefetched_lines(draft_with_lines):
    with CaptureQueriesContext(connection) as fresh:
        draft_with_lines.total()
    prefetched = Basket.objects.prefetch_related("items").get(pk=draft_with_lines.pk)
    with CaptureQueriesContext(connection) as cached:
        total = prefetched.total()

    assert (len(fresh), len(cached)) == (1, 0)
    assert total == Money(Decimal("290.00"), "USD")
