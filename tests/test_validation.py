"""Bad input gets a clear error naming the field, and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from django_catalog.exceptions import ItemNotAvailableError
from django_catalog.models import (
    Basket,
    BasketItem,
    BasketStatus,
    CatalogItem,
    CatalogStateLog,
    DispenseLog,
    WorkItem,
)
from django_catalog.services import add_item, commit_basket, create_basket

pytestmark = pytest.mark.django_db

TOO_BIG = Decimal("100000000")  # DecimalField(max_digits=10, decimal_places=2) holds < 10**8


def assert_refused(error: ValidationError, field: str) -> None:
    assert field in error.message_dict, error.message_dict
    assert error.message_dict[field]


# --- quantities --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (3, Decimal("3")),
        (Decimal("2.50"), Decimal("2.5")),
        ("4", Decimal("4")),
        (" 0.25 ", Decimal("0.25")),
        (Decimal("99999999.99"), Decimal("99999999.99")),
    ],
)
def test_add_item_accepts_ints_decimals_and_numeric_strings(basket, catalog_item, given, stored):
    line = add_item(basket, catalog_item, quantity=given)

    assert BasketItem.objects.get(pk=line.pk).quantity == stored


@pytest.mark.parametrize(
    "quantity",
    [
        0,
        Decimal("0.00"),
        -1,
        Decimal("-0.01"),
        "-3",
        "abc",
        "",
        "1,5",
        None,
        True,
        [1],
        float("nan"),
        Decimal("NaN"),
        "NaN",
        float("inf"),
        "-Infinity",
        Decimal("1.001"),
        "0.005",
        TOO_BIG,
        "1e9",
    ],
)
def test_add_item_refuses_bad_quantities_and_writes_nothing(
    basket, catalog_item, catalog_rows, quantity
):
    before = catalog_rows()

    with pytest.raises(ValidationError) as refused:
        add_item(basket, catalog_item, quantity=quantity)

    assert_refused(refused.value, "quantity")
    assert catalog_rows() == before


# --- prices ------------------------------------------------------------------------------


@pytest.mark.parametrize("price", [0, "0.00", Decimal("12.30"), "99999999.99"])
def test_add_item_accepts_zero_and_positive_line_prices(basket, catalog_item, price):
    line = add_item(basket, catalog_item, unit_price=price)

    assert BasketItem.objects.get(pk=line.pk).unit_price == Decimal(str(price).strip())


@pytest.mark.parametrize(
    "price", [-1, "-0.01", Decimal("0.001"), TOO_BIG, "free", float("nan"), "Infinity", True]
)
def test_add_item_refuses_bad_line_prices_and_writes_nothing(
    basket, catalog_item, catalog_rows, price
):
    before = catalog_rows()

    with pytest.raises(ValidationError) as refused:
        add_item(basket, catalog_item, unit_price=price)

    assert_refused(refused.value, "unit_price")
    assert catalog_rows() == before


@pytest.mark.parametrize("price", [Decimal("-0.01"), Decimal("1.001"), TOO_BIG])
def test_catalog_item_full_clean_refuses_a_bad_price(catalog_item, catalog_rows, price):
    before = catalog_rows()
    catalog_item.unit_price = price

    with pytest.raises(ValidationError) as refused:
        catalog_item.full_clean()

    assert_refused(refused.value, "unit_price")
    assert catalog_rows() == before


@pytest.mark.parametrize("price", [None, Decimal("0"), Decimal("0.01"), Decimal("99999999.99")])
def test_catalog_item_full_clean_accepts_no_price_zero_and_positive_prices(catalog_item, price):
    catalog_item.unit_price = price

    catalog_item.full_clean()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", Decimal("0")),
        ("quantity", Decimal("-2")),
        ("quantity", Decimal("0.001")),
        ("unit_price", Decimal("-5")),
        ("unit_price", TOO_BIG),
    ],
)
def test_basket_item_full_clean_refuses_bad_quantities_and_prices(
    basket_item, catalog_rows, field, value
):
    before = catalog_rows()
    setattr(basket_item, field, value)

    with pytest.raises(ValidationError) as refused:
        basket_item.full_clean()

    assert_refused(refused.value, field)
    assert catalog_rows() == before


@pytest.mark.parametrize("quantity", [Decimal("0"), Decimal("-1")])
def test_dispense_log_full_clean_refuses_a_quantity_that_is_not_positive(
    basket_item, catalog_rows, quantity
):
    before = catalog_rows()
    log = DispenseLog(basket_item=basket_item, quantity_dispensed=quantity)

    with pytest.raises(ValidationError) as refused:
        log.full_clean()

    assert_refused(refused.value, "quantity_dispensed")
    assert catalog_rows() == before


# --- currency ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["USD", "EUR", "JPY", "CHF", "KES"])
def test_catalog_item_full_clean_accepts_iso_4217_codes(catalog_item, code):
    catalog_item.currency = code

    catalog_item.full_clean()


@pytest.mark.parametrize("code", ["XYZ", "usd", "US", "DOLLAR", "", "€", "123"])
def test_catalog_item_full_clean_refuses_what_is_not_an_iso_4217_code(
    catalog_item, catalog_rows, code
):
    before = catalog_rows()
    catalog_item.currency = code

    with pytest.raises(ValidationError) as refused:
        catalog_item.full_clean()

    assert_refused(refused.value, "currency")
    assert catalog_rows() == before


def test_basket_item_full_clean_refuses_an_unknown_currency(basket_item):
    basket_item.currency = "ABC"

    with pytest.raises(ValidationError) as refused:
        basket_item.full_clean()

    assert_refused(refused.value, "currency")


# --- availability window -----------------------------------------------------------------


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def windowed_items(make_catalog_item, now):
    hour = timedelta(hours=1)
    return {
        "open": make_catalog_item(name="Open"),
        "started": make_catalog_item(name="Started", available_from=now - hour),
        "until_later": make_catalog_item(name="Until later", available_to=now + hour),
        "inside": make_catalog_item(
            name="Inside", available_from=now - hour, available_to=now + hour
        ),
        "not_yet": make_catalog_item(name="Not yet", available_from=now + hour),
        "over": make_catalog_item(name="Over", available_to=now - hour),
        "flagged_off": make_catalog_item(name="Flagged off", is_available=False),
    }


def test_available_respects_the_window_and_treats_an_open_end_as_no_limit(windowed_items):
    names = set(CatalogItem.objects.available().values_list("name", flat=True))

    assert names == {"Open", "Started", "Until later", "Inside"}


def test_available_window_includes_its_start_and_excludes_its_end(make_catalog_item, now):
    item = make_catalog_item(available_from=now, available_to=now + timedelta(minutes=1))

    assert item in CatalogItem.objects.available(at=now)
    assert item not in CatalogItem.objects.available(at=now + timedelta(minutes=1))
    assert item not in CatalogItem.objects.available(at=now - timedelta(microseconds=1))


@pytest.mark.parametrize("name", ["not_yet", "over", "flagged_off"])
def test_add_item_refuses_an_item_outside_its_window_and_writes_nothing(
    basket, windowed_items, catalog_rows, name
):
    before = catalog_rows()

    with pytest.raises(ItemNotAvailableError) as refused:
        add_item(basket, windowed_items[name])

    assert refused.value.item_id == windowed_items[name].pk
    assert catalog_rows() == before


@pytest.mark.parametrize("name", ["open", "started", "until_later", "inside"])
def test_add_item_accepts_an_item_inside_its_window(basket, windowed_items, name):
    line = add_item(basket, windowed_items[name])

    assert line.catalog_item == windowed_items[name]


@pytest.mark.parametrize("length", [timedelta(0), timedelta(hours=-1)])
def test_catalog_item_full_clean_refuses_a_window_that_ends_before_it_starts(
    catalog_item, catalog_rows, now, length
):
    before = catalog_rows()
    catalog_item.available_from = now
    catalog_item.available_to = now + length

    with pytest.raises(ValidationError) as refused:
        catalog_item.full_clean()

    assert_refused(refused.value, "available_to")
    assert catalog_rows() == before


# --- work types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "work_types",
    ["collect", b"collect", [""], ["   "], [None], [1], ["collect", ""], ["x" * 101]],
)
def test_commit_refuses_bad_work_types_and_writes_nothing(
    draft_with_lines, catalog_rows, work_types
):
    before = catalog_rows()

    with pytest.raises(ValueError, match="work_types"):
        commit_basket(draft_with_lines, work_types=work_types)

    assert catalog_rows() == before
    assert Basket.objects.get(pk=draft_with_lines.pk).status == BasketStatus.DRAFT


def test_commit_accepts_work_types_that_fill_the_field(draft_with_lines):
    commit_basket(draft_with_lines, work_types=["x" * 100])

    assert WorkItem.objects.for_basket(draft_with_lines).count() == 2


@pytest.mark.parametrize("work_types", [["collect", "collect", "report"], ("collect", "report")])
def test_duplicate_work_types_collapse_into_one_work_item_per_role(draft_with_lines, work_types):
    commit_basket(draft_with_lines, work_types=work_types)

    for line in draft_with_lines.items.all():
        roles = sorted(line.work_items.values_list("spawn_role", flat=True))
        assert roles == ["collect", "report"]


def test_work_types_may_be_any_iterable_such_as_a_generator(draft_with_lines):
    commit_basket(draft_with_lines, work_types=(role for role in ["collect", "report"]))

    assert WorkItem.objects.for_basket(draft_with_lines).count() == 4


# --- a catalog item's default work types ----------------------------------------------------

BAD_ITEM_WORK_TYPES = [
    "collect",
    {"collect": 1},
    3,
    None,
    "",
    {},
    [""],
    ["  "],
    [7],
    ["x" * 101],
]


@pytest.mark.parametrize("work_types", BAD_ITEM_WORK_TYPES)
def test_catalog_item_full_clean_refuses_bad_work_types(catalog_item, catalog_rows, work_types):
    before = catalog_rows()
    catalog_item.work_types = work_types

    with pytest.raises(ValidationError) as refused:
        catalog_item.full_clean()

    assert_refused(refused.value, "work_types")
    assert catalog_rows() == before


@pytest.mark.parametrize("work_types", BAD_ITEM_WORK_TYPES)
def test_saving_a_catalog_item_refuses_bad_work_types(catalog_item, catalog_rows, work_types):
    """The plain ORM door: save() and create() check the list a commit will read."""
    before = catalog_rows()
    catalog_item.work_types = work_types

    with pytest.raises(ValidationError, match="work_types"):
        catalog_item.save()
    with pytest.raises(ValidationError, match="work_types"):
        CatalogItem.objects.create(owner=catalog_item.owner, name="Bad", work_types=work_types)

    assert catalog_rows() == before


def test_a_catalog_items_work_types_are_stored_once_each(catalog_item):
    catalog_item.work_types = ("collect", "report", "collect")
    catalog_item.full_clean()
    catalog_item.save()

    assert CatalogItem.objects.get(pk=catalog_item.pk).work_types == ["collect", "report"]


def test_a_catalog_item_has_no_work_types_by_default(catalog_item):
    assert CatalogItem.objects.get(pk=catalog_item.pk).work_types == []


# --- idempotency key and basket parameters ----------------------------------------------


def test_empty_idempotency_key_means_no_key_so_keyless_baskets_never_collide(visit):
    first = create_basket(context=visit, idempotency_key="")
    second = create_basket(context=visit, idempotency_key="")

    assert first.pk != second.pk
    assert list(Basket.objects.values_list("idempotency_key", flat=True)) == [None, None]


def test_a_basket_saved_with_an_empty_key_stores_no_key():
    Basket.objects.create(idempotency_key="")
    Basket.objects.create(idempotency_key="")

    assert list(Basket.objects.values_list("idempotency_key", flat=True)) == [None, None]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"idempotency_key": 42}, "idempotency_key"),
        ({"metadata": ["not", "a", "dict"]}, "metadata"),
    ],
)
def test_create_basket_refuses_bad_parameters_and_writes_nothing(catalog_rows, kwargs, field):
    before = catalog_rows()

    with pytest.raises(ValueError, match=field):
        create_basket(**kwargs)

    assert catalog_rows() == before


def test_refused_commit_leaves_no_audit_row(draft_with_lines):
    with pytest.raises(ValueError):
        commit_basket(draft_with_lines, work_types="collect")

    assert CatalogStateLog.objects.count() == 0
