"""The catalog's models registered in Django's admin, with the audit trail and transition buttons.

Transition buttons come from django-fsm-2's ``FSMAdminMixin``; their labels and help texts
come from the transitions' ``custom=``. A button never calls the model's transition
directly: it runs the service a program would call (``commit_basket``, ``start_work_item``,
...), so the admin gets the same row lock, guard, idempotency and audit row, with the
logged-in user as the actor. A button is shown only to users holding the transition's
``permission=``, and a forged request from anyone else is refused.

Deleting from the admin soft-deletes (the models' ``delete()``). Soft-deleted rows stay
reachable through the "deleted" filter and come back with the "Restore" action.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum
from django.http import HttpRequest

from .. import services
from ..models import Basket, BasketItem, CatalogItem, CatalogStateLog, DispenseLog, WorkItem
from ..states import FROZEN_BASKET_STATES
from .forms import (
    BasketItemAdminForm,
    BlockWorkItemForm,
    CancelWorkItemForm,
    CommitBasketForm,
    WorkItemAdminForm,
)
from .mixins import ReadOnlyInlineMixin, SoftDeleteAdmin, TransitionService, TransitionServiceAdmin

# --- inlines -------------------------------------------------------------------------------


class StateLogInline(ReadOnlyInlineMixin, GenericTabularInline):
    """The object's audit trail, newest first."""

    model = CatalogStateLog
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ("timestamp", "transition", "source_state", "state", "by", "description")
    readonly_fields = fields
    ordering = ("-timestamp", "-id")
    show_change_link = False
    verbose_name = "audit row"
    verbose_name_plural = "audit trail"


class BasketItemInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = BasketItem
    fields = ("catalog_item", "quantity", "unit_price", "currency", "line_total", "instructions")
    readonly_fields = fields


class WorkItemInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = WorkItem
    fields = ("work_type", "status", "assigned_to", "priority", "started_at", "completed_at")
    readonly_fields = fields


class DispenseLogInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = DispenseLog
    fields = ("quantity_dispensed", "lot_number", "expiry_date", "dispensed_by", "dispensed_at")
    readonly_fields = fields


# --- model admins --------------------------------------------------------------------------

TIMESTAMPS = ("created_at", "updated_at", "deleted_at")


@admin.register(CatalogItem)
class CatalogItemAdmin(SoftDeleteAdmin):
    list_display = (
        "name",
        "code",
        "category",
        "unit_price",
        "currency",
        "is_available",
        "available_from",
        "available_to",
        "is_deleted",
    )
    list_filter = ("category", "is_available", "currency")
    search_fields = ("name", "code", "description")
    date_hierarchy = "created_at"
    readonly_fields = ("id", *TIMESTAMPS)


def _commit_basket(basket: Basket, actor: Any, data: Mapping[str, Any]) -> Basket:
    return services.commit_basket(basket, committed_by=actor, work_types=data.get("work_types"))


def _cancel_basket(basket: Basket, actor: Any, data: Mapping[str, Any]) -> Basket:
    return services.cancel_basket(basket, by=actor)


@admin.register(Basket)
class BasketAdmin(TransitionServiceAdmin, SoftDeleteAdmin):
    transition_services: ClassVar[dict[str, TransitionService]] = {
        "commit": _commit_basket,
        "cancel": _cancel_basket,
    }
    fsm_forms = {"commit": CommitBasketForm}

    list_display = (
        "id",
        "context_display",
        "status",
        "line_count",
        "total",
        "committed_at",
        "committed_by",
        "created_at",
        "is_deleted",
    )
    list_filter = ("status", "committed_by")
    search_fields = ("id", "idempotency_key", "notes", "context_id")
    date_hierarchy = "created_at"
    list_select_related = ("committed_by",)
    inlines = (BasketItemInline, StateLogInline)
    readonly_fields = (
        "id",
        "context_display",
        "idempotency_key",
        "committed_at",
        "committed_by",
        *TIMESTAMPS,
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        readonly = super().get_readonly_fields(request, obj)
        if obj is None:  # a new basket may be given a context and a key
            return tuple(f for f in readonly if f not in {"context_display", "idempotency_key"})
        if obj.status in FROZEN_BASKET_STATES:  # the request a retry is compared against
            return (*readonly, "notes", "metadata")
        return readonly

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        context = ["context_display"] if obj else ["context_content_type", "context_id"]
        return [
            "id",
            "status",
            *context,
            "idempotency_key",
            "notes",
            "metadata",
            "committed_at",
            "committed_by",
            *TIMESTAMPS,
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        live_lines = Q(items__deleted_at__isnull=True)
        return (
            super()
            .get_queryset(request)
            .annotate(
                _line_count=Count("items", filter=live_lines),
                _total=Sum(
                    F("items__quantity") * F("items__unit_price"),
                    filter=live_lines,
                    output_field=DecimalField(max_digits=24, decimal_places=4),
                ),
            )
        )

    @admin.display(description="for")
    def context_display(self, basket: Basket) -> str:
        return str(basket.context) if basket.context_content_type_id else "-"

    @admin.display(description="lines", ordering="_line_count")
    def line_count(self, basket: Any) -> int:
        return int(basket._line_count)

    @admin.display(description="total", ordering="_total")
    def total(self, basket: Any) -> str:
        return "-" if basket._total is None else f"{basket._total:.2f}"


@admin.register(BasketItem)
class BasketItemAdmin(SoftDeleteAdmin):
    """Lines of a draft basket may be edited here; those of a committed or cancelled basket
    are shown read-only (the model refuses any change to them)."""

    form = BasketItemAdminForm
    list_display = (
        "catalog_item",
        "basket",
        "quantity",
        "unit_price",
        "currency",
        "line_total",
        "created_at",
        "is_deleted",
    )
    list_filter = ("basket__status", "catalog_item__category")
    search_fields = (
        "catalog_item__name",
        "catalog_item__code",
        "basket__idempotency_key",
        "instructions",
    )
    date_hierarchy = "created_at"
    list_select_related = ("basket", "catalog_item")
    raw_id_fields = ("basket", "catalog_item")
    readonly_fields = (
        "id",
        "line_total",
        "quantity_dispensed",
        "quantity_remaining",
        *TIMESTAMPS,
    )
    inlines = (WorkItemInline, DispenseLogInline)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.basket.status in FROZEN_BASKET_STATES:
            return False
        return super().has_change_permission(request, obj)


def _start_work_item(work_item: WorkItem, actor: Any, data: Mapping[str, Any]) -> WorkItem:
    return services.start_work_item(work_item, by=actor)


def _complete_work_item(work_item: WorkItem, actor: Any, data: Mapping[str, Any]) -> WorkItem:
    return services.complete_work_item(work_item, by=actor)


def _block_work_item(work_item: WorkItem, actor: Any, data: Mapping[str, Any]) -> WorkItem:
    return services.block_work_item(work_item, data["reason"], by=actor)


def _unblock_work_item(work_item: WorkItem, actor: Any, data: Mapping[str, Any]) -> WorkItem:
    return services.unblock_work_item(work_item, by=actor)


def _cancel_work_item(work_item: WorkItem, actor: Any, data: Mapping[str, Any]) -> WorkItem:
    return services.cancel_work_item(work_item, data.get("reason", ""), by=actor)


@admin.register(WorkItem)
class WorkItemAdmin(TransitionServiceAdmin, SoftDeleteAdmin):
    transition_services: ClassVar[dict[str, TransitionService]] = {
        "start": _start_work_item,
        "complete": _complete_work_item,
        "block": _block_work_item,
        "unblock": _unblock_work_item,
        "cancel": _cancel_work_item,
    }
    fsm_forms = {
        "block": BlockWorkItemForm,
        "cancel": CancelWorkItemForm,
    }
    form = WorkItemAdminForm

    list_display = (
        "work_type",
        "basket_item",
        "status",
        "assigned_to",
        "priority",
        "started_at",
        "completed_at",
        "is_deleted",
    )
    list_filter = ("status", "work_type", "assigned_to")
    search_fields = (
        "work_type",
        "notes",
        "basket_item__catalog_item__name",
        "basket_item__catalog_item__code",
        "basket_item__basket__idempotency_key",
    )
    date_hierarchy = "created_at"
    list_select_related = ("basket_item__catalog_item", "assigned_to")
    raw_id_fields = ("basket_item",)
    readonly_fields = (
        "id",
        "spawn_role",
        "blocked_from",
        "started_at",
        "completed_at",
        *TIMESTAMPS,
    )
    inlines = (StateLogInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None:  # work belongs to its line
            return (*readonly, "basket_item")
        return readonly


@admin.register(DispenseLog)
class DispenseLogAdmin(SoftDeleteAdmin):
    """Dispensing is recorded by the ``dispense`` service (it enforces the rules), not by hand.

    A log is a record: every field is read-only; voiding it is deleting it.
    """

    list_display = (
        "basket_item",
        "quantity_dispensed",
        "lot_number",
        "expiry_date",
        "dispensed_by",
        "dispensed_at",
        "is_deleted",
    )
    list_filter = ("basket_item__catalog_item__category", "dispensed_by", "expiry_date")
    search_fields = (
        "lot_number",
        "basket_item__catalog_item__name",
        "basket_item__catalog_item__code",
    )
    date_hierarchy = "dispensed_at"
    list_select_related = ("basket_item__catalog_item", "dispensed_by")
    readonly_fields = (
        "id",
        "basket_item",
        "quantity_dispensed",
        "dispensed_by",
        "dispensed_at",
        "lot_number",
        "expiry_date",
        "notes",
        "metadata",
        *TIMESTAMPS,
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CatalogStateLog)
class CatalogStateLogAdmin(admin.ModelAdmin):
    """The audit trail is evidence: it can be read and searched, never edited."""

    list_display = (
        "timestamp",
        "content_type",
        "object_id",
        "transition",
        "source_state",
        "state",
        "by",
    )
    list_filter = ("content_type", "transition", "state", "by")
    search_fields = (
        "object_id",
        "transition",
        "description",
        f"by__{get_user_model().USERNAME_FIELD}",
    )
    date_hierarchy = "timestamp"
    list_select_related = ("content_type", "by")
    ordering = ("-timestamp", "-id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
