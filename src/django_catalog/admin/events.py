"""Events and their deliveries in the admin: read, filter, and retry what did not get through.

Both are records of what happened, so nothing here can be added, edited or deleted by hand
(old delivered rows go with ``manage.py catalog_deliver --prune DAYS``). The one thing an
operator can do is "Retry now" on pending or dead deliveries, for users holding
``django_catalog.retry_eventdelivery``: the delivery is made due now and enqueued.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from ..events import retry_now
from ..models import Event, EventDelivery
from ..states import DeliveryStatus
from .mixins import ReadOnlyInlineMixin, ReadOnlyMixin


def _readable_json(value: Any) -> str:
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
        json.dumps(value, indent=2, sort_keys=True),
    )


class EventDeliveryInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = EventDelivery
    fields = ("handler", "status", "attempts", "next_attempt_at", "delivered_at", "last_error")
    readonly_fields = fields


@admin.register(Event)
class EventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Every recorded event, with what it said and where it went."""

    list_display = ("created_at", "name", "content_type", "object_id", "delivery_summary")
    list_filter = ("name", "content_type")
    search_fields = ("=id", "object_id", "name")
    date_hierarchy = "created_at"
    list_select_related = ("content_type",)
    ordering = ("-created_at",)
    fields = ("id", "name", "content_type", "object_id", "created_at", "readable_payload")
    readonly_fields = fields
    inlines = [EventDeliveryInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                **{
                    f"_{status}": Count("deliveries", filter=Q(deliveries__status=status))
                    for status in DeliveryStatus.values
                }
            )
        )

    @admin.display(description="deliveries")
    def delivery_summary(self, event: Event) -> str:
        counts = [
            f"{getattr(event, f'_{status.value}')} {status.label.lower()}"
            for status in DeliveryStatus
            if getattr(event, f"_{status.value}", 0)
        ]
        return ", ".join(counts) or "none"

    @admin.display(description="payload")
    def readable_payload(self, event: Event) -> str:
        return _readable_json(event.payload)


@admin.register(EventDelivery)
class EventDeliveryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """One row per (event, handler): what was delivered, what waits, what is dead and why."""

    list_display = (
        "id",
        "event_name",
        "subject",
        "handler",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "handler", "event__name")
    search_fields = ("=event__id", "event__object_id", "handler", "last_error")
    list_select_related = ("event", "event__content_type")
    ordering = ("-id",)
    fields = (
        "event",
        "event_name",
        "subject",
        "handler",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "readable_last_error",
        "event_payload",
    )
    readonly_fields = fields
    actions = ["retry_now"]

    @admin.display(description="event", ordering="event__name")
    def event_name(self, delivery: EventDelivery) -> str:
        return delivery.event.name

    @admin.display(description="about")
    def subject(self, delivery: EventDelivery) -> str:
        return f"{delivery.event.content_type} {delivery.event.object_id}"

    @admin.display(description="last error")
    def readable_last_error(self, delivery: EventDelivery) -> str:
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', delivery.last_error)

    @admin.display(description="payload")
    def event_payload(self, delivery: EventDelivery) -> str:
        return _readable_json(delivery.event.payload)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.retry_eventdelivery")

    @admin.action(description="Retry now", permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[EventDelivery]) -> None:
        skipped = queryset.filter(status=DeliveryStatus.DELIVERED).count()
        count = retry_now(queryset)
        self.message_user(request, f"{count} deliveries will be attempted now.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} already delivered were left alone.", messages.WARNING
            )
