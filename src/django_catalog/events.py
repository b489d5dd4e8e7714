"""Events for other systems: delivery, at least once and in order per object.

Recording is in :mod:`django_catalog.models.events` (:func:`record_event`, re-exported here):
an event and one delivery per configured handler are written with the change. This module
delivers them:

* after the recording transaction commits, :func:`enqueue_delivery` enqueues the task
  :data:`deliver_event` on the host's Tasks backend (``django.tasks`` on Django 6.0, the
  ``django-tasks`` backport before). With no ``TASKS`` setting, Django's immediate backend
  runs it in-process right after the commit;
* :func:`deliver_due` attempts every due delivery: it is the recovery for an enqueue that
  was lost (a crash after the commit) and for retries; ``manage.py catalog_deliver`` runs it.

An attempt claims one delivery row with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL)
and runs the handler inside that claim's transaction, holding the row lock: no two workers
ever attempt the same delivery at once, and a worker that dies mid-handler leaves the row
pending for the next one (hence at least once). The handler runs in a savepoint, so what it
wrote to the database is undone when it raises. Keep handlers short: the lock and a
connection are held while they run.
"""

from __future__ import annotations

import logging
import random
import traceback
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models.events import (
    Event,
    EventDelivery,
    EventName,
    configured_handlers,
    event_committed,
    record_event,
)
from .states import DeliveryStatus

if TYPE_CHECKING or django.VERSION >= (6, 0):
    from django.tasks import task
else:  # Django 5.2: the backport of django.tasks (the same API)
    from django_tasks import task

logger = logging.getLogger(__name__)

DEFAULT_BACKOFF_SECONDS = 10
DEFAULT_MAX_ATTEMPTS = 8
#: No retry waits longer than this, however many attempts failed.
MAX_BACKOFF_SECONDS = 3600


def backoff_seconds() -> float:
    """``CATALOG_EVENT_BACKOFF_SECONDS`` (default 10): the wait after a first failure."""
    value = getattr(settings, "CATALOG_EVENT_BACKOFF_SECONDS", DEFAULT_BACKOFF_SECONDS)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ImproperlyConfigured(
            f"CATALOG_EVENT_BACKOFF_SECONDS must be a number >= 0, got {value!r}"
        )
    return float(value)


def max_attempts() -> int:
    """``CATALOG_EVENT_MAX_ATTEMPTS`` (default 8): failures before a delivery is dead."""
    value = getattr(settings, "CATALOG_EVENT_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ImproperlyConfigured(f"CATALOG_EVENT_MAX_ATTEMPTS must be an int >= 1, got {value!r}")
    return value


def retry_delay(attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed attempts: doubling, capped, with jitter.

    ``backoff * 2 ** (attempts - 1)``, at most an hour, then drawn at random from its upper
    half, so that deliveries failing together do not all come back at the same moment.
    """
    delay = min(backoff_seconds() * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
    return random.uniform(delay / 2, delay)


# --- delivering -------------------------------------------------------------------------------


@task()
def deliver_event(event_id: str) -> int:
    """The Tasks entry point: deliver what is due for the event's object, oldest first.

    That is the event's own deliveries, and any later ones of the same object that were
    waiting behind it. Returns how many were delivered.
    """
    subject = Event.objects.filter(pk=event_id).values_list("content_type_id", "object_id").first()
    if subject is None:  # pruned, or never committed
        return 0
    return _deliver(limit=None, subject=subject)


def deliver_due(limit: int | None = None) -> int:
    """Attempt every due delivery (at most ``limit`` attempts); return how many were delivered.

    Due: pending, its next attempt time reached, and no earlier delivery of the same object
    to the same handler still pending. Each delivery is attempted at most once per call.
    Safe to run in any number of processes at once (see the module's docstring).
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be None or an int >= 0, got {limit!r}")
    return _deliver(limit=limit, subject=None)


def _deliver(limit: int | None, subject: tuple[int, str] | None) -> int:
    started = timezone.now()
    attempted: list[int] = []
    delivered = 0
    while limit is None or len(attempted) < limit:
        with transaction.atomic():
            delivery = _claim(started, attempted, subject)
            if delivery is None:
                break
            attempted.append(delivery.pk)
            delivered += _attempt(delivery)
    return delivered


def _claim(
    started: Any, attempted: list[int], subject: tuple[int, str] | None
) -> EventDelivery | None:
    """Lock the oldest delivery that may be attempted now, skipping those others hold."""
    ready = EventDelivery.objects.ready(at=started).exclude(pk__in=attempted)
    if subject is not None:
        ready = ready.about(*subject)
    return (
        ready.select_related("event")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
        .first()
    )


def _attempt(delivery: EventDelivery) -> bool:
    """Run the handler on the claimed delivery and record the outcome; True if delivered."""
    try:
        handler = import_string(delivery.handler)
        with transaction.atomic():
            handler(delivery.event)
    except Exception as error:
        failures = delivery.attempts + 1
        retry_at = (
            None
            if failures >= max_attempts()
            else timezone.now() + timedelta(seconds=retry_delay(failures))
        )
        delivery.mark_failed(_describe(error), retry_at=retry_at)
        logger.warning(
            "Event %s (%s) to %s failed (attempt %d)%s: %s",
            delivery.event_id,
            delivery.event.name,
            delivery.handler,
            failures,
            "" if retry_at else ", now dead",
            error,
        )
        if retry_at is not None:
            transaction.on_commit(lambda: _enqueue_retry(delivery.event_id, retry_at), robust=True)
        return False
    delivery.mark_delivered(timezone.now())
    return True


def _describe(error: Exception) -> str:
    return "".join(traceback.format_exception(error)).strip()


# --- enqueueing -------------------------------------------------------------------------------


def enqueue_delivery(sender: Any, event: Event, **kwargs: Any) -> None:
    """Receiver of ``event_committed``: enqueue the event's delivery on the Tasks backend.

    A failing enqueue (the queue is down) is logged and changes nothing: the deliveries stay
    pending, and :func:`deliver_due` delivers them.
    """
    try:
        deliver_event.enqueue(str(event.pk))
    except Exception:
        logger.exception("Could not enqueue the delivery of event %s; deliver_due will", event.pk)


def _enqueue_retry(event_id: Any, retry_at: Any) -> None:
    """With a backend that can run a task later (django-tasks-db can), schedule the retry."""
    if deliver_event.get_backend().supports_defer:
        deliver_event.using(run_after=retry_at).enqueue(str(event_id))


def retry_now(deliveries: models.QuerySet[EventDelivery]) -> int:
    """Make the pending and dead ``deliveries`` due now, and enqueue them; return how many.

    A dead delivery gets one more attempt (it is dead again if that attempt fails too).
    Delivered ones are left alone.
    """
    with transaction.atomic():
        chosen = deliveries.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.DEAD])
        event_ids = set(chosen.values_list("event_id", flat=True))
        count = chosen.update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now())
        for event in Event.objects.filter(pk__in=event_ids):
            transaction.on_commit(partial(enqueue_delivery, Event, event=event), robust=True)
    return count


def prune_delivered(older_than: timedelta) -> tuple[int, int]:
    """Delete deliveries delivered before ``older_than`` ago, then the events that are older
    and have no delivery left. Pending and dead deliveries (and their events) are kept.

    Returns (deliveries, events) deleted.
    """
    if older_than < timedelta(0):
        raise ValueError(f"older_than must not be negative, got {older_than}")
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        deliveries, _ = EventDelivery.objects.filter(
            status=DeliveryStatus.DELIVERED, delivered_at__lt=cutoff
        ).delete()
        _, deleted = Event.objects.filter(created_at__lt=cutoff, deliveries__isnull=True).delete()
    return deliveries, deleted.get(Event._meta.label, 0)


def connect_delivery() -> None:
    """Connect :func:`enqueue_delivery` to ``event_committed`` (the app config calls this)."""
    event_committed.connect(
        enqueue_delivery, sender=Event, weak=False, dispatch_uid="django_catalog.events.enqueue"
    )


__all__ = [
    "Event",
    "EventDelivery",
    "EventName",
    "backoff_seconds",
    "configured_handlers",
    "deliver_due",
    "deliver_event",
    "enqueue_delivery",
    "max_attempts",
    "prune_delivered",
    "record_event",
    "retry_delay",
    "retry_now",
]
