"""Several workers delivering at once (PostgreSQL, real threads on their own connections)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict

import pytest
from django.db import transaction

from django_catalog.events import Event, EventDelivery, deliver_due, record_event
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
