"""Delivery: after the commit, through the Tasks backend; retried, in order, at least once."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from django_catalog import events
from django_catalog.events import (
    Event,
    EventDelivery,
    deliver_due,
    deliver_event,
    prune_delivered,
    retry_delay,
    retry_now,
)
from django_catalog.models import Basket, WorkItem
from django_catalog.services import commit_basket, complete_work_item, start_work_item
from django_catalog.states import DeliveryStatus
from tests.events import handlers
from tests.events.handlers import (
    BILLING,
    FAILING,
    FLAKY,
    LAB,
    WRITES_THEN_FAILS,
    received,
)
from tests.models import Organization

pytestmark = pytest.mark.django_db


def delivery(handler):
    return EventDelivery.objects.get(handler=handler)


# --- after the commit ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_default_tasks_backend_delivers_right_after_the_commit(
    draft_with_lines, event_handlers
):
    event_handlers({"basket.committed": [LAB]})

    commit_basket(draft_with_lines)

    event = Event.objects.for_(draft_with_lines).get()
    assert received() == [("lab", str(event.id), "basket.committed")]
    done = delivery(LAB)
    assert (done.status, done.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert done.delivered_at is not None


@pytest.mark.django_db(transaction=True)
def test_nothing_is_delivered_before_the_commit(draft_with_lines, event_handlers):
    event_handlers({"*": [LAB]})

    with transaction.atomic():
        commit_basket(draft_with_lines)
        assert received() == []

    assert len(received("lab")) == 1


@pytest.mark.django_db(transaction=True)
def test_nothing_is_delivered_for_work_rolled_back(draft_with_lines, event_handlers):
    event_handlers({"*": [LAB]})

    with pytest.raises(RuntimeError), transaction.atomic():
        commit_basket(draft_with_lines)
        raise RuntimeError("the request failed")

    assert received() == []
    assert not Event.objects.exists()


def test_the_handler_gets_the_event(draft_with_lines, event_handlers, monkeypatch, user):
    seen = []
    monkeypatch.setattr(handlers, "lab", seen.append)
    event_handlers({"*": [LAB]})
    commit_basket(draft_with_lines, committed_by=user)

    deliver_due()

    (event,) = seen
    assert isinstance(event, Event)
    assert event.content_object == draft_with_lines
    assert event.payload["by"] == str(user.pk)


# --- recovery --------------------------------------------------------------------------------


def test_deliver_due_delivers_what_was_recorded_when_on_commit_callbacks_never_ran(
    draft_with_lines, event_handlers, django_capture_on_commit_callbacks
):
    event_handlers({"*": [LAB, BILLING]})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        basket = commit_basket(draft_with_lines, work_types=["collect"])
        start_work_item(WorkItem.objects.for_basket(basket).first())
    assert callbacks  # they were registered, and are dropped: the process "died"
    assert received() == []

    assert deliver_due() == 4

    assert sorted(received()) == sorted(
        (handler, str(event.id), event.name)
        for event in Event.objects.all()
        for handler in ("lab", "billing")
    )
    assert deliver_due() == 0
    assert len(received()) == 4


def test_deliver_due_delivers_an_enqueue_the_backend_lost(
    draft_with_lines, event_handlers, lost_enqueues, django_capture_on_commit_callbacks
):
    event_handlers({"*": [LAB]})
    with django_capture_on_commit_callbacks(execute=True):
        commit_basket(draft_with_lines)
    assert received() == []

    assert deliver_due() == 1
    assert len(received("lab")) == 1


def test_deliver_due_honours_its_limit(work_item, event_handlers, lost_enqueues):
    event_handlers({"*": [LAB]})
    start_work_item(work_item)
    complete_work_item(work_item)
    Basket.objects.get(pk=work_item.basket_item.basket_id).cancel()

    assert deliver_due(limit=2) == 2
    assert EventDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 1
    assert deliver_due(limit=0) == 0
    assert deliver_due() == 1


@pytest.mark.parametrize("limit", [-1, 1.5, "2", True])
def test_deliver_due_refuses_a_bad_limit(limit):
    with pytest.raises(ValueError, match="limit"):
        deliver_due(limit=limit)


# --- failures ------------------------------------------------------------------------------


def test_a_raising_handler_is_retried_after_its_backoff_then_delivered_once(
    draft_with_lines, event_handlers, settings, clock, django_capture_on_commit_callbacks
):
    settings.CATALOG_EVENT_BACKOFF_SECONDS = 10
    handlers.flaky_failures_left = 1
    event_handlers({"*": [FLAKY]})
    with django_capture_on_commit_callbacks(execute=True):
        commit_basket(draft_with_lines)

    failed = delivery(FLAKY)
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 1)
    assert "HandlerDown: timed out" in failed.last_error
    wait = failed.next_attempt_at - timezone.now()
    assert timedelta(seconds=4) < wait <= timedelta(seconds=10)

    assert deliver_due() == 0  # not due yet
    assert len(received("flaky")) == 1

    clock.advance(10)
    assert deliver_due() == 1
    assert deliver_due() == 0

    assert len(received("flaky")) == 2
    done = delivery(FLAKY)
    assert (done.status, done.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_a_delivery_is_dead_after_the_maximum_attempts(
    draft_with_lines, event_handlers, settings, clock, lost_enqueues
):
    settings.CATALOG_EVENT_MAX_ATTEMPTS = 3
    event_handlers({"*": [FAILING]})
    commit_basket(draft_with_lines)

    for _ in range(5):
        deliver_due()
        clock.advance(3600)

    dead = delivery(FAILING)
    assert (dead.status, dead.attempts) == (DeliveryStatus.DEAD, 3)
    assert "the lab interface is down" in dead.last_error
    assert len(received("failing")) == 3


def test_the_backoff_doubles_per_attempt_with_jitter_and_is_capped_at_an_hour(settings):
    settings.CATALOG_EVENT_BACKOFF_SECONDS = 10

    for attempts, upper in [(1, 10), (2, 20), (3, 40), (9, 2560), (10, 3600), (30, 3600)]:
        delays = [retry_delay(attempts) for _ in range(50)]
        assert all(upper / 2 <= delay <= upper for delay in delays), (attempts, delays)
        assert len(set(delays)) > 1  # jitter


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CATALOG_EVENT_BACKOFF_SECONDS", -1),
        ("CATALOG_EVENT_BACKOFF_SECONDS", "10"),
        ("CATALOG_EVENT_MAX_ATTEMPTS", 0),
        ("CATALOG_EVENT_MAX_ATTEMPTS", 2.5),
    ],
)
def test_bad_retry_settings_are_refused(settings, name, value):
    from django.core.exceptions import ImproperlyConfigured

    setattr(settings, name, value)

    with pytest.raises(ImproperlyConfigured, match=name):
        events.backoff_seconds() if "BACKOFF" in name else events.max_attempts()


def test_a_failing_handler_affects_neither_the_other_handlers_nor_the_committed_work(
    draft_with_lines, event_handlers, django_capture_on_commit_callbacks
):
    event_handlers({"basket.committed": [FAILING, LAB], "*": [BILLING]})

    with django_capture_on_commit_callbacks(execute=True):
        basket = commit_basket(draft_with_lines, work_types=["collect"])

    assert Basket.objects.get(pk=basket.pk).is_committed
    assert WorkItem.objects.for_basket(basket).count() == 2
    assert delivery(LAB).status == DeliveryStatus.DELIVERED
    assert delivery(BILLING).status == DeliveryStatus.DELIVERED
    assert delivery(FAILING).status == DeliveryStatus.PENDING
    assert len(received("lab")) == len(received("billing")) == 1


def test_what_a_failing_handler_wrote_is_undone(draft_with_lines, event_handlers, lost_enqueues):
    event_handlers({"*": [WRITES_THEN_FAILS]})
    commit_basket(draft_with_lines)

    assert deliver_due() == 0

    assert len(received("writes_then_fails")) == 1
    assert not Organization.objects.filter(name__startswith="written by").exists()
    assert delivery(WRITES_THEN_FAILS).attempts == 1


def test_a_handler_that_cannot_be_imported_is_a_failed_attempt(
    draft_with_lines, event_handlers, lost_enqueues
):
    event_handlers({"*": ["tests.events.handlers.missing", LAB]})
    commit_basket(draft_with_lines)

    assert deliver_due() == 1

    missing = delivery("tests.events.handlers.missing")
    assert (missing.status, missing.attempts) == (DeliveryStatus.PENDING, 1)
    assert "ImportError" in missing.last_error


def test_a_failing_enqueue_is_logged_and_leaves_the_work_committed(
    draft_with_lines, event_handlers, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def queue_down(*args, **kwargs):
        raise ConnectionError("the queue is down")

    monkeypatch.setattr(type(deliver_event), "enqueue", queue_down)
    event_handlers({"*": [LAB]})

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        basket = commit_basket(draft_with_lines)

    assert basket.is_committed
    assert "Could not enqueue" in caplog.text
    assert received() == []
    monkeypatch.undo()
    assert deliver_due() == 1


def test_a_retry_is_scheduled_on_a_backend_that_can_defer(
    draft_with_lines, event_handlers, lost_enqueues, django_capture_on_commit_callbacks
):
    event_handlers({"*": [FAILING]})
    commit_basket(draft_with_lines)
    backend = deliver_event.get_backend()
    backend.clear()

    with django_capture_on_commit_callbacks(execute=True):
        deliver_due()

    (retry,) = backend.results
    failed = delivery(FAILING)
    assert retry.args == [str(failed.event_id)]
    assert retry.task.run_after == failed.next_attempt_at


# --- order per object ------------------------------------------------------------------------


def test_a_later_event_waits_while_an_earlier_one_of_the_same_object_is_pending(
    work_item, event_handlers, clock, lost_enqueues
):
    handlers.flaky_failures_left = 1
    event_handlers({"*": [FLAKY]})
    start_work_item(work_item)
    complete_work_item(work_item)
    started, completed = (str(e.id) for e in Event.objects.for_(work_item).order_by("created_at"))

    assert deliver_due() == 0  # the first failed; the second waits behind it
    assert [call[1] for call in received()] == [started]

    clock.advance(10)
    assert deliver_due() == 2

    assert [call[1] for call in received()] == [started, started, completed]


def test_the_order_is_per_handler(work_item, event_handlers, lost_enqueues):
    handlers.flaky_failures_left = 1
    event_handlers({"*": [FLAKY, LAB]})
    start_work_item(work_item)
    complete_work_item(work_item)

    assert deliver_due() == 2  # both to the lab; neither to the flaky handler

    assert len(received("lab")) == 2
    assert EventDelivery.objects.filter(handler=FLAKY, status=DeliveryStatus.PENDING).count() == 2


def test_other_objects_are_not_held_back(work_item, basket_item, event_handlers, lost_enqueues):
    handlers.flaky_failures_left = 1
    event_handlers({"*": [FLAKY]})
    other = WorkItem.objects.create(basket_item=basket_item, work_type="report")
    start_work_item(work_item)
    start_work_item(other)

    assert deliver_due() == 1

    assert [call[1] for call in received()] == [
        str(Event.objects.for_(work_item).get().id),
        str(Event.objects.for_(other).get().id),
    ]


def test_a_dead_delivery_no_longer_holds_the_later_ones_back(
    work_item, event_handlers, settings, lost_enqueues
):
    settings.CATALOG_EVENT_MAX_ATTEMPTS = 1
    handlers.flaky_failures_left = 1
    event_handlers({"*": [FLAKY]})
    start_work_item(work_item)
    complete_work_item(work_item)

    assert deliver_due() == 1

    first, second = EventDelivery.objects.order_by("pk")
    assert (first.status, second.status) == (DeliveryStatus.DEAD, DeliveryStatus.DELIVERED)


def test_the_task_delivers_the_deliveries_waiting_behind_its_event(
    work_item, event_handlers, lost_enqueues, clock
):
    handlers.flaky_failures_left = 1
    event_handlers({"*": [FLAKY]})
    start_work_item(work_item)
    complete_work_item(work_item)
    first = Event.objects.for_(work_item).order_by("created_at").first()
    deliver_due()
    clock.advance(10)

    assert deliver_event.call(str(first.id)) == 2

    assert not EventDelivery.objects.filter(status=DeliveryStatus.PENDING).exists()


def test_the_task_of_a_pruned_event_does_nothing(db):
    assert deliver_event.call("00000000-0000-0000-0000-000000000000") == 0


# --- operating -------------------------------------------------------------------------------


def test_retry_now_gives_dead_and_waiting_deliveries_an_attempt_now(
    draft_with_lines, basket, event_handlers, settings, django_capture_on_commit_callbacks
):
    settings.CATALOG_EVENT_MAX_ATTEMPTS = 1
    handlers.flaky_failures_left = 1
    event_handlers({"basket.committed": [FLAKY], "basket.cancelled": [LAB]})
    with django_capture_on_commit_callbacks(execute=True):
        commit_basket(draft_with_lines)
        basket.cancel()
    assert delivery(FLAKY).status == DeliveryStatus.DEAD

    with django_capture_on_commit_callbacks(execute=True):
        count = retry_now(EventDelivery.objects.all())

    assert count == 1  # the delivered one is left alone
    assert delivery(FLAKY).status == DeliveryStatus.DELIVERED
    assert len(received("flaky")) == 2
    assert len(received("lab")) == 1


def test_prune_drops_old_delivered_rows_and_keeps_the_rest(
    draft_with_lines, basket, event_handlers, lost_enqueues, clock
):
    event_handlers({"basket.committed": [LAB, FAILING]})
    commit_basket(draft_with_lines)
    basket.cancel()  # no handler: an event without deliveries
    deliver_due()
    EventDelivery.objects.filter(status=DeliveryStatus.DELIVERED).update(
        delivered_at=timezone.now() - timedelta(days=40)
    )
    Event.objects.update(created_at=timezone.now() - timedelta(days=40))

    assert prune_delivered(timedelta(days=30)) == (1, 1)

    assert list(EventDelivery.objects.values_list("handler", flat=True)) == [FAILING]
    assert [e.name for e in Event.objects.all()] == ["basket.committed"]
    assert prune_delivered(timedelta(days=30)) == (0, 0)


def test_prune_refuses_a_negative_age(db):
    with pytest.raises(ValueError, match="negative"):
        prune_delivered(timedelta(days=-1))
