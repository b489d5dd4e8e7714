"""Events are written with the change they describe, at every door, and never without it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from django_catalog.events import Event, EventDelivery, EventName, record_event
from django_catalog.exceptions import (
    BasketEmptyError,
    BasketNotCommittedError,
    OverDispenseError,
    WorkItemStateError,
)
from django_catalog.models import Basket, WorkItem
from django_catalog.services import (
    block_work_item,
    cancel_basket,
    cancel_work_item,
    commit_basket,
    complete_work_item,
    create_basket,
    dispense,
    start_work_item,
)
from django_catalog.states import DeliveryStatus
from tests.events.handlers import BILLING, LAB

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_delivery(lost_enqueues):
    """These tests look at what is recorded; nothing is delivered."""


def events_of(obj):
    return list(Event.objects.for_(obj).order_by("created_at"))


# --- what is written -----------------------------------------------------------------------


def test_commit_writes_one_event_and_one_delivery_per_handler(
    draft_with_lines, user, event_handlers
):
    event_handlers({"basket.committed": [LAB], "*": [BILLING]})

    commit_basket(draft_with_lines, committed_by=user, work_types=["collect", "report"])

    (event,) = events_of(draft_with_lines)
    assert event.name == EventName.BASKET_COMMITTED
    assert event.content_object == draft_with_lines
    assert sorted(event.deliveries.values_list("handler", "status", "attempts")) == [
        (BILLING, DeliveryStatus.PENDING, 0),
        (LAB, DeliveryStatus.PENDING, 0),
    ]
    assert Event.objects.count() == 1  # not one per spawned work item


def test_commit_payload_says_what_a_consumer_needs(draft_with_lines, visit, user):
    basket = commit_basket(draft_with_lines, committed_by=user, work_types=["collect", "report"])

    payload = Event.objects.for_(basket).get().payload

    assert payload == {
        "basket": str(basket.pk),
        "context": {"type": "tests.visit", "id": str(visit.pk)},
        "transition": "commit",
        "source": "draft",
        "target": "committed",
        "by": str(user.pk),
        "at": payload["at"],
        "committed_at": basket.committed_at.isoformat(),
        "work_items_created": 4,
    }
    assert payload["at"] == Event.objects.for_(basket).get().created_at.isoformat()


def test_no_handler_configured_still_records_the_event_without_deliveries(draft_with_lines):
    commit_basket(draft_with_lines)

    assert len(events_of(draft_with_lines)) == 1
    assert not EventDelivery.objects.exists()


def test_a_handler_listed_for_the_name_and_for_every_event_is_delivered_once(
    draft_with_lines, event_handlers
):
    event_handlers({"basket.committed": [LAB], "*": [LAB, BILLING]})

    commit_basket(draft_with_lines)

    assert sorted(EventDelivery.objects.values_list("handler", flat=True)) == [BILLING, LAB]


def test_handlers_of_other_events_get_no_delivery(draft_with_lines, event_handlers):
    event_handlers({"basket.cancelled": [LAB]})

    commit_basket(draft_with_lines)

    assert not EventDelivery.objects.exists()


def test_cancel_writes_basket_cancelled(basket, user):
    cancel_basket(basket, by=user)

    (event,) = events_of(basket)
    assert event.name == EventName.BASKET_CANCELLED
    assert (event.payload["source"], event.payload["target"]) == ("draft", "cancelled")
    assert event.payload["by"] == str(user.pk)
    assert event.payload["context"] is None


def test_every_work_item_transition_writes_work_item_status_changed(work_item, user):
    start_work_item(work_item, by=user)
    block_work_item(work_item, "sample haemolysed", by=user)
    work_item.unblock(by=user)
    complete_work_item(work_item, by=user)

    found = events_of(work_item)
    assert {event.name for event in found} == {EventName.WORK_ITEM_STATUS_CHANGED}
    assert [(e.payload["source"], e.payload["target"]) for e in found] == [
        ("pending", "in_progress"),
        ("in_progress", "blocked"),
        ("blocked", "in_progress"),
        ("in_progress", "completed"),
    ]
    blocked = found[1].payload
    assert blocked["description"] == "sample haemolysed"
    assert blocked["work_item"] == str(work_item.pk)
    assert blocked["basket_item"] == str(work_item.basket_item_id)
    assert blocked["assigned_to"] == str(user.pk)
    assert blocked["by"] == str(user.pk)


def test_dispense_writes_item_dispensed_about_the_line(make_committed_line, user):
    line = make_committed_line(quantity="5")

    log = dispense(line, "2", dispensed_by=user, lot_number="LOT-42", expiry_date="2031-06-30")

    (event,) = events_of(line)
    assert event.name == EventName.ITEM_DISPENSED
    assert event.payload == {
        "dispense_log": str(log.pk),
        "basket_item": str(line.pk),
        "basket": str(line.basket_id),
        "catalog_item": str(line.catalog_item_id),
        "quantity": "2.00",
        "line_quantity": "5.00",
        "remaining": "3.00",
        "lot_number": "LOT-42",
        "expiry_date": "2031-06-30",
        "by": str(user.pk),
        "at": event.created_at.isoformat(),
    }


# --- every door ------------------------------------------------------------------------------


def test_a_direct_model_transition_records_the_event_too(draft_with_lines, work_item, user):
    draft_with_lines.commit(by=user, work_types=["collect"])
    work_item.start(user)

    assert [e.name for e in events_of(draft_with_lines)] == [EventName.BASKET_COMMITTED]
    assert [e.name for e in events_of(work_item)] == [EventName.WORK_ITEM_STATUS_CHANGED]


def test_a_stale_copy_that_loses_records_nothing(work_item, user):
    stale = WorkItem.objects.get(pk=work_item.pk)
    work_item.start(user)

    with pytest.raises(ConcurrentTransition):
        stale.start(user)

    assert len(events_of(work_item)) == 1


def test_a_plain_orm_insert_of_a_work_item_is_not_a_transition(basket_item):
    WorkItem.objects.create(basket_item=basket_item, work_type="collect")

    assert not Event.objects.exists()


# --- never without the change ----------------------------------------------------------------


def test_nothing_is_recorded_when_the_surrounding_transaction_rolls_back(
    draft_with_lines, work_item, make_committed_line, event_handlers
):
    event_handlers({"*": [LAB]})
    line = make_committed_line(quantity="5")
    Event.objects.all().delete()

    with pytest.raises(RuntimeError), transaction.atomic():
        commit_basket(draft_with_lines)
        start_work_item(work_item)
        dispense(line, 1)
        raise RuntimeError("the request failed later")

    assert not Event.objects.exists()
    assert not EventDelivery.objects.exists()


def test_a_failing_commit_records_nothing(draft_with_lines, spawn_fails_after_insert):
    with pytest.raises(RuntimeError):
        commit_basket(draft_with_lines, work_types=["collect"])

    assert not Event.objects.exists()


def test_refused_calls_record_nothing(visit, work_item, basket_item, make_committed_line):
    empty = create_basket(context=visit)
    line = make_committed_line(quantity="1")
    Event.objects.all().delete()

    with pytest.raises(BasketEmptyError):
        commit_basket(empty)
    with pytest.raises(WorkItemStateError):
        complete_work_item(work_item)
    with pytest.raises(TransitionNotAllowed):
        work_item.unblock()
    with pytest.raises(OverDispenseError):
        dispense(line, 2)
    with pytest.raises(ValidationError):
        dispense(line, 0)
    with pytest.raises(BasketNotCommittedError):
        dispense(basket_item, 1)  # its basket is a draft

    assert not Event.objects.exists()


def test_replays_record_nothing(draft_with_lines, work_item, basket, make_committed_line):
    other_work = WorkItem.objects.create(basket_item=work_item.basket_item, work_type="report")
    commit_basket(draft_with_lines)
    start_work_item(work_item)
    complete_work_item(work_item)
    cancel_work_item(other_work)
    cancel_basket(basket)
    recorded = Event.objects.count()

    commit_basket(draft_with_lines)
    complete_work_item(work_item)
    cancel_work_item(other_work)
    cancel_basket(basket)

    assert recorded == 5
    assert Event.objects.count() == recorded


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mapping",
    [
        ["tests.events.handlers.lab"],
        {"basket.committed": "tests.events.handlers.lab"},
        {"basket.committed": ["not a dotted path"]},
        {"basket.committed": [42]},
        {"": ["tests.events.handlers.lab"]},
    ],
)
def test_malformed_handler_setting_refuses_the_change_and_writes_nothing(
    draft_with_lines, event_handlers, mapping, catalog_rows
):
    event_handlers(mapping)
    before = catalog_rows()

    with pytest.raises(ImproperlyConfigured, match="CATALOG_EVENT_HANDLERS"):
        commit_basket(draft_with_lines)

    assert catalog_rows() == before
    assert Basket.objects.get(pk=draft_with_lines.pk).is_draft


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("", {}, "non-empty string"),
        (None, {}, "non-empty string"),
        ("*", {}, "every event"),
        ("x" * 101, {}, "longer than 100"),
        ("lab.result", ["not", "a", "dict"], "must be a dict"),
        ("lab.result", {"amount": Decimal("1.5")}, "plain JSON"),
        ("lab.result", {"when": date(2030, 1, 1)}, "plain JSON"),
        ("lab.result", {"ratio": float("nan")}, "plain JSON"),
    ],
)
def test_record_event_refuses_bad_input_and_writes_nothing(visit, name, payload, message):
    with pytest.raises(ValueError, match=message):
        record_event(name, visit, payload)

    assert not Event.objects.exists()


def test_record_event_refuses_an_unsaved_object(visit):
    unsaved = type(visit)(organization=visit.organization, patient="Bo")

    with pytest.raises(ValueError, match="saved object"):
        record_event("visit.opened", unsaved, {})

    assert not Event.objects.exists()


def test_record_event_of_the_host_is_about_any_model(visit, event_handlers):
    event_handlers({"visit.discharged": [LAB]})

    with transaction.atomic():
        event = record_event("visit.discharged", visit, {"visit": str(visit.pk)})

    assert event.content_type == ContentType.objects.get_for_model(visit)
    assert event.object_id == str(visit.pk)
    assert list(event.deliveries.values_list("handler", flat=True)) == [LAB]
