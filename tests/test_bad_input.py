"""Input at the edges (huge numbers, values JSON cannot hold, NUL characters, None, odd dates,
too many work types) is a clear error before any row is written."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from django_catalog.models import Basket, DispenseLog
from django_catalog.services import (
    add_item,
    block_work_item,
    cancel_basket,
    cancel_work_item,
    commit_basket,
    create_basket,
    dispense,
)
from django_catalog.validation import MAX_WORK_TYPES
from tests.admin.pages import change_form_data, url

pytestmark = pytest.mark.django_db

HUGE = ["1e30", "1e9999", 10**30, Decimal("1E+100"), "-1e30"]


@pytest.fixture
def line(make_committed_line):
    return make_committed_line("5")


# --- numbers too large for the column ------------------------------------------------------


@pytest.mark.parametrize("huge", HUGE)
def test_a_huge_quantity_is_a_validation_error_naming_it(basket, catalog_item, catalog_rows, huge):
    before = catalog_rows()
    with pytest.raises(ValidationError) as caught:
        add_item(basket, catalog_item, quantity=huge)
    assert list(caught.value.message_dict) == ["quantity"]
    assert catalog_rows() == before


@pytest.mark.parametrize("huge", [value for value in HUGE if value != "-1e30"])
def test_a_huge_line_price_is_a_validation_error_naming_it(
    basket, catalog_item, catalog_rows, huge
):
    before = catalog_rows()
    with pytest.raises(ValidationError) as caught:
        add_item(basket, catalog_item, unit_price=huge)
    assert list(caught.value.message_dict) == ["unit_price"]
    assert catalog_rows() == before


@pytest.mark.parametrize("huge", HUGE)
def test_a_huge_dispensed_quantity_is_a_validation_error_naming_it(line, catalog_rows, huge):
    before = catalog_rows()
    with pytest.raises(ValidationError) as caught:
        dispense(line, huge)
    assert list(caught.value.message_dict) == ["quantity"]
    assert catalog_rows() == before


# --- metadata ------------------------------------------------------------------------------


class Opaque:
    pass


NOT_JSON = {
    "decimal": {"price": Decimal("1.50")},
    "datetime": {"at": datetime(2030, 1, 1, 12, 0)},
    "date": {"on": date(2030, 1, 1)},
    "set": {"tags": {"a", "b"}},
    "uuid": {"ref": uuid.uuid4()},
    "object": {"thing": Opaque()},
    "nan": {"value": math.nan},
    "infinity": {"value": math.inf},
    "nested nan": {"values": [1, {"deep": -math.inf}]},
    "tuple key": {(1, 2): "pair"},
}
HOLDS_NUL = {
    "value": {"note": "a\x00b"},
    "key": {"k\x00": "v"},
    "nested": {"lines": [{"text": "\x00"}]},
}
BAD_METADATA = {**NOT_JSON, **{f"NUL in {name}": value for name, value in HOLDS_NUL.items()}}


def call_with_metadata(service, metadata, *, basket, catalog_item, line):
    if service == "create_basket":
        return create_basket(metadata=metadata)
    if service == "add_item":
        return add_item(basket, catalog_item, metadata=metadata)
    return dispense(line, 1, metadata=metadata)


@pytest.mark.parametrize("service", ["create_basket", "add_item", "dispense"])
@pytest.mark.parametrize("metadata", BAD_METADATA.values(), ids=BAD_METADATA)
def test_metadata_json_cannot_hold_is_a_validation_error(
    basket, catalog_item, line, catalog_rows, service, metadata
):
    before = catalog_rows()
    with pytest.raises(ValidationError) as caught:
        call_with_metadata(service, metadata, basket=basket, catalog_item=catalog_item, line=line)
    assert list(caught.value.message_dict) == ["metadata"]
    assert catalog_rows() == before


@pytest.mark.parametrize("service", ["create_basket", "add_item", "dispense"])
@pytest.mark.parametrize("metadata", [["a", "list"], "text", 42, ("a", "tuple")])
def test_metadata_that_is_not_a_dict_is_a_value_error(
    basket, catalog_item, line, catalog_rows, service, metadata
):
    before = catalog_rows()
    with pytest.raises(ValueError, match="metadata must be a dict"):
        call_with_metadata(service, metadata, basket=basket, catalog_item=catalog_item, line=line)
    assert catalog_rows() == before


def test_metadata_is_stored_as_json_gives_it_back(basket, catalog_item):
    added = add_item(basket, catalog_item, metadata={1: ("a", 2.5), "n": None})
    assert added.metadata == {"1": ["a", 2.5], "n": None}
    assert type(added).objects.get(pk=added.pk).metadata == added.metadata


def test_a_replay_compares_metadata_as_json(visit):
    first = create_basket(context=visit, idempotency_key="k-1", metadata={1: "a"})
    again = create_basket(context=visit, idempotency_key="k-1", metadata={1: "a"})
    assert again.pk == first.pk
    assert Basket.objects.count() == 1


# --- text ----------------------------------------------------------------------------------


def nul_text_calls(basket, catalog_item, line, work_item):
    return {
        "notes": lambda: create_basket(notes="a\x00b"),
        "idempotency_key": lambda: create_basket(idempotency_key="key\x00"),
        "instructions": lambda: add_item(basket, catalog_item, instructions="\x00"),
        "lot_number": lambda: dispense(line, 1, lot_number="LOT\x00"),
        "dispense notes": lambda: dispense(line, 1, notes="\x00"),
        "description": lambda: cancel_basket(basket, description="\x00"),
        "cancel reason": lambda: cancel_work_item(work_item, "why\x00"),
        "block reason": lambda: block_work_item(work_item, "why\x00"),
        "work type": lambda: commit_basket(basket, work_types=["coll\x00ect"]),
    }


NUL_CALLS = [
    "notes",
    "idempotency_key",
    "instructions",
    "lot_number",
    "dispense notes",
    "description",
    "cancel reason",
    "block reason",
    "work type",
]


@pytest.mark.parametrize("call", NUL_CALLS)
def test_nul_characters_in_text_are_refused(
    basket, basket_item, catalog_item, line, work_item, catalog_rows, call
):
    calls = nul_text_calls(basket, catalog_item, line, work_item)
    before = catalog_rows()
    with pytest.raises((ValueError, ValidationError), match="must not contain NUL characters"):
        calls[call]()
    assert catalog_rows() == before


def test_none_for_text_means_empty_text_everywhere(visit, catalog_item, line, work_item):
    basket = create_basket(context=visit, notes=None)
    added = add_item(basket, catalog_item, instructions=None)
    log = dispense(line, 1, lot_number=None, notes=None)
    cancel_basket(basket, description=None)
    cancel_work_item(work_item, None)

    assert Basket.objects.get(pk=basket.pk).notes == ""
    assert type(added).objects.get(pk=added.pk).instructions == ""
    stored = DispenseLog.objects.get(pk=log.pk)
    assert (stored.lot_number, stored.notes) == ("", "")


@pytest.mark.parametrize("call", ["notes", "instructions", "lot_number"])
def test_text_that_is_not_text_is_a_value_error(basket, catalog_item, line, catalog_rows, call):
    calls = {
        "notes": lambda: create_basket(notes=42),
        "instructions": lambda: add_item(basket, catalog_item, instructions=["x"]),
        "lot_number": lambda: dispense(line, 1, lot_number=7),
    }
    before = catalog_rows()
    with pytest.raises(ValueError, match=f"{call} must be text"):
        calls[call]()
    assert catalog_rows() == before


def test_an_idempotency_key_longer_than_its_column_is_refused_before_any_query(
    django_assert_num_queries,
):
    limit = Basket._meta.get_field("idempotency_key").max_length
    with django_assert_num_queries(0), pytest.raises(ValidationError) as caught:
        create_basket(idempotency_key="k" * (limit + 1))
    assert list(caught.value.message_dict) == ["idempotency_key"]


def test_an_idempotency_key_that_fills_its_column_is_accepted():
    limit = Basket._meta.get_field("idempotency_key").max_length
    assert create_basket(idempotency_key="k" * limit).idempotency_key == "k" * limit


# --- expiry dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expiry",
    [
        20300101,
        2030.5,
        "2030-02-30",
        "01/02/2030",
        "2030-01-01T00:00",
        b"2030-01-01",
        ["2030-01-01"],
        datetime(2030, 1, 1, 9, 30),
        "",
    ],
    ids=repr,
)
def test_an_expiry_date_that_is_not_a_date_is_a_validation_error(line, catalog_rows, expiry):
    before = catalog_rows()
    with pytest.raises(ValidationError) as caught:
        dispense(line, 1, expiry_date=expiry)
    assert list(caught.value.message_dict) == ["expiry_date"]
    assert catalog_rows() == before


def test_an_expiry_date_may_be_iso_text_with_surrounding_spaces(line):
    later = date(timezone.localdate().year + 2, 1, 31)
    assert dispense(line, 1, expiry_date=f" {later.isoformat()} ").expiry_date == later


# --- work types per commit -----------------------------------------------------------------


def test_too_many_work_types_are_refused_before_the_basket_is_locked(
    draft_with_lines, catalog_rows, django_assert_num_queries
):
    before = catalog_rows()
    types = (f"type-{n}" for n in range(10_000))
    with django_assert_num_queries(0), pytest.raises(ValueError, match=f"at most {MAX_WORK_TYPES}"):
        commit_basket(draft_with_lines, work_types=types)
    assert catalog_rows() == before


def test_the_maximum_number_of_work_types_is_accepted(draft_with_lines):
    types = [f"type-{n}" for n in range(MAX_WORK_TYPES)]
    commit_basket(draft_with_lines, work_types=[*types, *types])  # a repeated type counts once
    assert draft_with_lines.work_items().count() == 2 * MAX_WORK_TYPES


def test_the_admin_commit_form_shows_too_many_work_types_as_a_form_error(
    admin_client, draft_with_lines, catalog_rows
):
    before = catalog_rows()
    names = ", ".join(f"type-{n}" for n in range(10_000))

    response = admin_client.post(
        url("basket_transition", draft_with_lines.pk, "commit"), {"work_types": names}
    )

    assert response.status_code == 200
    assert (
        f"at most {MAX_WORK_TYPES}" in response.context["transition_form"].errors["work_types"][0]
    )
    assert catalog_rows() == before


# --- the same metadata rules in full_clean() and the admin --------------------------------


@pytest.mark.parametrize(
    "metadata", [*BAD_METADATA.values(), ["a", "list"]], ids=[*BAD_METADATA, "list"]
)
def test_full_clean_refuses_the_metadata_the_services_refuse(catalog_item, metadata):
    catalog_item.metadata = metadata
    with pytest.raises(ValidationError) as caught:
        catalog_item.full_clean()
    assert list(caught.value.message_dict) == ["metadata"]


@pytest.mark.parametrize("typed", ['{"reading": NaN}', '{"note": "a\\u0000b"}', '{"x": Infinity}'])
def test_the_admin_form_shows_bad_metadata_as_a_form_error(
    admin_client, catalog_item, catalog_rows, typed
):
    change = url("catalogitem_change", catalog_item.pk)
    before = catalog_rows()

    response = admin_client.post(change, change_form_data(admin_client, change, metadata=typed))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["metadata"]
    assert catalog_rows() == before
