"""Events for other systems: a transactional outbox.

An :class:`Event` row is written in the same transaction as the change it describes, with
one :class:`EventDelivery` row per handler the host configured for it
(``CATALOG_EVENT_HANDLERS``, read at call time). So an event exists exactly when its change
was committed, and its deliveries survive a crash between the commit and the delivery.

Once the recording transaction commits, :data:`event_committed` is sent; the catalog's
delivery (:mod:`django_catalog.events`, connected by the app config) enqueues the event's
deliveries on the host's Tasks backend from it.

Deliveries are numbered (``EventDelivery.id``) in the order they are written. The catalog
writes an object's events while holding that object's row lock, so for one object the
numbers follow the order in which its changes were committed; delivery order rests on it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.dispatch import Signal
from django.utils import timezone

from ..states import DeliveryStatus
from ..validation import (
    ALL_EVENTS,
    EVENT_NAME_MAX_LENGTH,
    clean_event_handlers,
    clean_event_name,
    clean_event_payload,
    object_id_text,
)
from .base import UUIDModel
from .fields import DECIMAL_PLACES

if TYPE_CHECKING:
    from ..fsm import CompletedTransition

#: Sent once the transaction that recorded ``event`` (with at least one delivery) commits.
event_committed = Signal()


class EventName(models.TextChoices):
    """The events the catalog records."""

    BASKET_COMMITTED = "basket.committed", "Basket committed"
    BASKET_CANCELLED = "basket.cancelled", "Basket cancelled"
    WORK_ITEM_STATUS_CHANGED = "work_item.status_changed", "Work item status changed"
    ITEM_DISPENSED = "item.dispensed", "Item dispensed"


class EventQuerySet(models.QuerySet["Event"]):
    def for_(self, obj: models.Model) -> EventQuerySet:
        """The events about one object, whatever its primary key type."""
        content_type = ContentType.objects.db_manager(self.db).get_for_model(obj)
        return self.filter(content_type=content_type, object_id=object_id_text(obj.pk))


class Event(UUIDModel):
    """Something that happened in the catalog, for other systems (its ``id`` marks a repeat)."""

    name = models.CharField(max_length=EVENT_NAME_MAX_LENGTH, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=255)
    content_object = GenericForeignKey("content_type", "object_id")
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        app_label = "django_catalog"
        verbose_name = "event"
        verbose_name_plural = "events"
        ordering = ["created_at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.name} {self.object_id}"


class EventDeliveryQuerySet(models.QuerySet["EventDelivery"]):
    def pending(self) -> EventDeliveryQuerySet:
        return self.filter(status=DeliveryStatus.PENDING)

    def due(self, at: datetime | None = None) -> EventDeliveryQuerySet:
        """Pending deliveries whose next attempt is due at ``at`` (default: now)."""
        return self.pending().filter(next_attempt_at__lte=at or timezone.now())

    def not_held_back(self) -> EventDeliveryQuerySet:
        """Deliveries with no earlier pending delivery of the same object to the same handler.

        A dead delivery no longer holds the later ones back.
        """
        earlier = EventDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            handler=OuterRef("handler"),
            event__content_type=OuterRef("event__content_type"),
            event__object_id=OuterRef("event__object_id"),
            pk__lt=OuterRef("pk"),
        )
        return self.filter(~Exists(earlier))

    def ready(self, at: datetime | None = None) -> EventDeliveryQuerySet:
        """What may be attempted now: due, and not held back by an earlier delivery."""
        return self.due(at).not_held_back()

    def about(self, content_type_id: int, object_id: str) -> EventDeliveryQuerySet:
        """Deliveries of the events about one object."""
        return self.filter(event__content_type_id=content_type_id, event__object_id=object_id)


class EventDelivery(models.Model):
    """One event for one handler: pending until the handler ran without raising."""

    # Numbered as written: for one object, the order its changes were committed.
    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=255, help_text="Dotted path of the handler.")
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = EventDeliveryQuerySet.as_manager()

    class Meta:
        app_label = "django_catalog"
        verbose_name = "event delivery"
        verbose_name_plural = "event deliveries"
        ordering = ["id"]
        permissions = [("retry_eventdelivery", "Can retry event delivery")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="eventdelivery_due"),
            models.Index(fields=["handler", "status"], name="eventdelivery_handler"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="eventdelivery_once"),
            # Delivered exactly when it has a delivery time.
            models.CheckConstraint(
                condition=(
                    Q(status=DeliveryStatus.DELIVERED, delivered_at__isnull=False)
                    | (~Q(status=DeliveryStatus.DELIVERED) & Q(delivered_at__isnull=True))
                ),
                name="eventdelivery_delivered_at",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="eventdelivery_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.handler} ({self.status})"

    def mark_delivered(self, at: datetime) -> None:
        """The handler ran without raising: delivered, never attempted again."""
        self.attempts += 1
        self.status = DeliveryStatus.DELIVERED
        self.delivered_at = at
        self.save(update_fields=["attempts", "status", "delivered_at"])

    def mark_failed(self, error: str, *, retry_at: datetime | None) -> None:
        """The handler raised: try again at ``retry_at``, or give up (dead) when it is None."""
        self.attempts += 1
        self.last_error = error
        if retry_at is None:
            self.status = DeliveryStatus.DEAD
        else:
            self.next_attempt_at = retry_at
        self.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])


# --- recording --------------------------------------------------------------------------------


def configured_handlers(name: str) -> list[str]:
    """The dotted paths configured for event ``name`` (its own, then ``"*"``'s), no repeats.

    Raises:
        ImproperlyConfigured: ``CATALOG_EVENT_HANDLERS`` is not a dict of lists of paths.
    """
    try:
        configured = clean_event_handlers(getattr(settings, "CATALOG_EVENT_HANDLERS", None))
    except ValueError as error:
        raise ImproperlyConfigured(str(error)) from None
    return list(dict.fromkeys([*configured.get(name, ()), *configured.get(ALL_EVENTS, ())]))


def record_event(
    name: str,
    about: models.Model,
    payload: dict[str, Any],
    *,
    at: datetime | None = None,
) -> Event:
    """Write event ``name`` about the saved object ``about``, and one delivery per handler.

    Call it inside the transaction that makes the change: the rows commit or roll back with
    it. Two statements at most (the event, then all its deliveries in one INSERT); none for
    the deliveries when no handler is configured. After the commit the deliveries are
    enqueued (see :data:`event_committed`).

    Raises (before anything is written):
        ValueError: a bad name, a payload that is not a plain JSON dict, an unsaved object.
        ImproperlyConfigured: ``CATALOG_EVENT_HANDLERS`` is malformed.
    """
    name = clean_event_name(name)
    payload = clean_event_payload(payload)
    if about.pk is None:
        raise ValueError("an event must be about a saved object")
    handlers = configured_handlers(name)
    using = about._state.db or "default"
    event = Event(
        name=name,
        content_type=ContentType.objects.db_manager(using).get_for_model(about),
        object_id=object_id_text(about.pk),
        payload=payload,
        created_at=at or timezone.now(),
    )
    event.save(using=using, force_insert=True)
    if handlers:
        EventDelivery.objects.using(using).bulk_create(
            [
                EventDelivery(event=event, handler=path, next_attempt_at=event.created_at)
                for path in handlers
            ]
        )
        transaction.on_commit(
            partial(event_committed.send, sender=Event, event=event), using=using, robust=True
        )
    return event


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _quantity(value: Any) -> str:
    """A quantity as text, at the scale of the quantity columns ("2" -> "2.00")."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-DECIMAL_PLACES)))


def _actor(change: CompletedTransition) -> str | None:
    return _id(getattr(change.by, "pk", None))


def _transition_facts(change: CompletedTransition, at: datetime) -> dict[str, Any]:
    return {
        "transition": change.name,
        "source": str(change.source),
        "target": str(change.target),
        "by": _actor(change),
        "at": at.isoformat(),
    }


def _basket_facts(basket: Any) -> dict[str, Any]:
    context_type = (
        ContentType.objects.db_manager(basket._state.db).get_for_id(basket.context_content_type_id)
        if basket.context_content_type_id
        else None
    )
    return {
        "basket": str(basket.pk),
        "context": (
            {"type": f"{context_type.app_label}.{context_type.model}", "id": basket.context_id}
            if context_type is not None
            else None
        ),
    }


def record_basket_committed(change: CompletedTransition) -> None:
    """``record`` hook of ``Basket.commit``: one ``basket.committed`` event per commit."""
    basket, at = change.instance, timezone.now()
    payload = {
        **_basket_facts(basket),
        **_transition_facts(change, at),
        "committed_at": basket.committed_at.isoformat(),
        "work_items_created": change.result,
    }
    record_event(EventName.BASKET_COMMITTED, basket, payload, at=at)


def record_basket_cancelled(change: CompletedTransition) -> None:
    """``record`` hook of ``Basket.cancel``."""
    basket, at = change.instance, timezone.now()
    payload = {**_basket_facts(basket), **_transition_facts(change, at)}
    record_event(EventName.BASKET_CANCELLED, basket, payload, at=at)


def record_work_item_status_changed(change: CompletedTransition) -> None:
    """``record`` hook of every work-item transition."""
    work_item, at = change.instance, timezone.now()
    payload = {
        "work_item": str(work_item.pk),
        "basket_item": str(work_item.basket_item_id),
        "work_type": work_item.work_type,
        "assigned_to": _id(work_item.assigned_to_id),
        **_transition_facts(change, at),
        "description": change.description or "",
    }
    record_event(EventName.WORK_ITEM_STATUS_CHANGED, work_item, payload, at=at)


def record_item_dispensed(dispense_log: Any, *, remaining: Decimal) -> None:
    """``item.dispensed``, about the line: call in the transaction that saved the log."""
    line, at = dispense_log.basket_item, timezone.now()
    payload = {
        "dispense_log": str(dispense_log.pk),
        "basket_item": str(line.pk),
        "basket": str(line.basket_id),
        "catalog_item": str(line.catalog_item_id),
        "quantity": _quantity(dispense_log.quantity_dispensed),
        "line_quantity": _quantity(line.quantity),
        "remaining": _quantity(remaining),
        "lot_number": dispense_log.lot_number,
        "expiry_date": _id(dispense_log.expiry_date),
        "by": _id(dispense_log.dispensed_by_id),
        "at": at.isoformat(),
    }
    record_event(EventName.ITEM_DISPENSED, line, payload, at=at)
