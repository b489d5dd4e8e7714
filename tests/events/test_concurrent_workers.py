"""Several workers delivering at once (PostgreSQL, real threads on their own connections)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict

import pytest
from django.db import transaction

from django_catalog.events import Event, EventDelivery, deliver_due, record_event, retry_now
from django_catalog.states import DeliveryStatus
from tests.concurrency import run_concurrently
from tests.events import handlers
from tests.events.handlers import BILLING, LAB
from tests.models import Organization, Visit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VISITS = 50
EVENTS_PER_VISIT = 3
WORKERS = 4


@pytest.fixture
def slow_handlers(monkeypatch):
    """The handlers take a moment, so that the workers really overlap."""
    for name in ("lab", "billing"):
        record = getattr(handlers, name)

        def slow(event, record=record):
            time.sleep(0.001)
            record(event)

        monkeypatch.setattr(handlers, name, slow)


def test_four_workers_call_each_handler_exactly_once_per_delivery_in_order_per_object(
    event_handlers, lost_enqueues, slow_handlers
):
    event_handlers({"*": [LAB, BILLING]})
    organization = Organization.objects.create(name="Clinic")
    visits = [
        Visit.objects.create(organization=organization, patient=f"patient {n}")
        for n in range(VISITS)
    ]
    for step in range(EVENTS_PER_VISIT):
        for visit in visits:
            with transaction.atomic():
                record_event("visit.updated", visit, {"step": step})
    due = EventDelivery.objects.count()
    assert due == VISITS * EVENTS_PER_VISIT * 2

    outcomes = run_concurrently(lambda _: deliver_due(), workers=WORKERS, timeout=120)

    assert [o.error for o in outcomes] == [None] * WORKERS
    assert sum(o.value for o in outcomes) == due
    assert sum(1 for o in outcomes if o.value) > 1  # the work was shared
    calls = Counter((handler, event_id) for handler, event_id, _ in handlers.calls)
    expected = {
        (handler, str(event_id))
        for event_id in Event.objects.values_list("id", flat=True)
        for handler in ("lab", "billing")
    }
    assert set(calls) == expected
    assert set(calls.values()) == {1}
    assert not EventDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
    steps = {str(e.id): (e.object_id, e.payload["step"]) for e in Event.objects.all()}
    seen = defaultdict(list)
    for handler, event_id, _ in handlers.calls:
        visit_id, step = steps[event_id]
        seen[(handler, visit_id)].append(step)
    assert all(order == list(range(EVENTS_PER_VISIT)) for order in seen.values()), seen


def test_a_delivery_being_attempted_is_skipped_by_other_workers_and_not_retried_twice(
    event_handlers, lost_enqueues
):
    handlers.release.clear()
    handlers.started.clear()
    event_handlers({"visit.held": [handlers.BLOCKING], "visit.updated": [LAB]})
    organization = Organization.objects.create(name="Clinic")
    first, second = (
        Visit.objects.create(organization=organization, patient=name) for name in ("A", "B")
    )
    with transaction.atomic():
        record_event("visit.held", first, {})
    with transaction.atomic():
        record_event("visit.updated", second, {})
    held = EventDelivery.objects.get(handler=handlers.BLOCKING)

    def hold_the_first():
        return deliver_due()

    def meanwhile():
        assert handlers.started.wait(30)
        delivered = deliver_due()  # skips the held row instead of waiting for it
        still_held = not handlers.release.is_set()
        handlers.release.set()
        retried = retry_now(EventDelivery.objects.filter(pk=held.pk))  # waits for the lock
        return delivered, still_held, retried

    outcomes = run_concurrently([hold_the_first, meanwhile], timeout=60)

    assert [o.error for o in outcomes] == [None, None]
    assert outcomes[0].value == 1
    assert outcomes[1].value == (1, True, 0)  # the held one was delivered by then: left alone
    assert [call[0] for call in handlers.calls] == ["blocking", "lab"]
    assert not EventDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
