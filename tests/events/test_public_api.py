"""What ``django_catalog`` exports for events."""

from __future__ import annotations

import django_catalog
from django_catalog import events, models, states


def test_the_event_api_is_exported_from_the_package():
    assert django_catalog.record_event is events.record_event
    assert django_catalog.deliver_due is events.deliver_due
    assert django_catalog.Event is models.Event
    assert django_catalog.EventDelivery is models.EventDelivery
    assert django_catalog.DeliveryStatus is states.DeliveryStatus
    assert {"record_event", "deliver_due", "Event", "EventDelivery"} <= set(django_catalog.__all__)


def test_the_delivery_task_uses_djangos_tasks_framework_or_its_backport_before_6_0():
    import django

    expected = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"

    assert type(events.deliver_event).__module__.startswith(f"{expected}.")
    assert events.deliver_event.name == "deliver_event"
