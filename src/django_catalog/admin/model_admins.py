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
from typing import Any, ClassVar, NamedTuple

from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .. import services
from ..exceptions import (
    BasketAlreadyCommittedError,
    BasketCancelledError,
    BasketEmptyError,
    CatalogError,
    WorkItemStateError,
)
from ..models import Basket, BasketItem, CatalogItem, CatalogStateLog, DispenseLog, WorkItem
from ..states import FROZEN_BASKET_STATES, BasketStatus, WorkItemStatus
from .board import WorkBoardAdmin
from .display import EMPTY, money_text, object_link
from .filters import ChosenObjectFilter, GenericRelationFilter
from .forms import (
    BasketItemAdminForm,
    BlockWorkItemForm,
    CancelWorkItemForm,
    CatalogItemForm,
    CommitBasketForm,
    WorkItemAdminForm,
    basket_total_text,
)
from .mixins import (
    ReadOnlyInlineMixin,
    ReadOnlyMixin,
    SoftDeleteAdmin,
    TransitionService,
    TransitionServiceAdmin,
)

# Each list page loads what its rows' names read, so a page costs the same few queries
# whatever the number of rows: foreign keys by select_related, the basket's context (a
# generic relation) by prefetch_related.
BASKET_CONTEXT = "basket__context"
LINE_RELATIONS = ("basket_item__catalog_item", "basket_item__basket")
LINE_CONTEXT = "basket_item__basket__context"

# --- filters -------------------------------------------------------------------------------


class BasketContextFilter(GenericRelationFilter):
    """Baskets by what they are for, listing only the contexts that have baskets."""

    title = "for"
    relation = "context"


class WorkContextFilter(GenericRelationFilter):
    """Work by its basket's context (the visit), listing only contexts that have work."""

    title = "for"
    relation = "basket_item__basket__context"


class WorkBasketFilter(ChosenObjectFilter):
    """One basket's work: the link the Commit message gives."""

    title = "basket"
    parameter_name = "basket"
    path = "basket_item__basket"


def basket_name(basket: Basket) -> str:
    """How a message names a basket: "the basket for Visit V-1042", or by its short id."""
    context = basket.context_text()
    return f"the basket for {context}" if context else f"basket {str(basket.pk)[:8]}"


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def work_of_basket_url(basket: Basket) -> str:
    """The work-item list filtered to ``basket``'s work."""
    changelist = reverse("admin:django_catalog_workitem_changelist")
    return f"{changelist}?{WorkBasketFilter.parameter_name}={basket.pk}"


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

    @admin.display(description="line total")
    def line_total(self, line: BasketItem) -> str:
        return money_text(line.line_money)


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
    form = CatalogItemForm
    list_display = (
        "name",
        "code",
        "category",
        "price",
        "work",
        "is_available",
        "available_from",
        "available_to",
        "is_deleted",
    )
    list_filter = ("category", "is_available", "currency")
    search_fields = ("name", "code", "description")
    date_hierarchy = "created_at"
    readonly_fields = ("id", *TIMESTAMPS)

    @admin.display(description="unit price", ordering="unit_price")
    def price(self, item: CatalogItem) -> str:
        return EMPTY if item.unit_price is None else f"{item.unit_price} {item.currency}"

    @admin.display(description="work spawned")
    def work(self, item: CatalogItem) -> str:
        return ", ".join(item.work_types) or EMPTY


class CommitOutcome(NamedTuple):
    """What the Commit button did: whether this request committed, and the work it created."""

    basket: Basket
    committed_now: bool
    work_created: int


def _commit_basket(basket: Basket, actor: Any, data: Mapping[str, Any]) -> CommitOutcome:
    started = timezone.now()
    services.commit_basket(basket, committed_by=actor, work_types=data.get("work_types"))
    # A commit stamps committed_at inside this call; an earlier one means it was a replay.
    committed_now = basket.committed_at is not None and basket.committed_at >= started
    created = (
        WorkItem.objects.for_basket(basket).filter(created_at__gte=started).count()
        if committed_now
        else 0
    )
    return CommitOutcome(basket, committed_now, created)


def _cancel_basket(basket: Basket, actor: Any, data: Mapping[str, Any]) -> Basket:
    return services.cancel_basket(basket, by=actor)


@admin.register(Basket)
class BasketAdmin(TransitionServiceAdmin, SoftDeleteAdmin):
    transition_services: ClassVar[dict[str, TransitionService]] = {
        "commit": _commit_basket,
        "cancel": _cancel_basket,
    }
    fsm_forms = {"commit": CommitBasketForm}
    fsm_transition_form_template = "admin/django_catalog/basket/transition_form.html"

    list_display = (
        "__str__",
        "status",
        "line_count",
        "total",
        "committed_at",
        "committed_by",
        "created_at",
        "is_deleted",
    )
    list_filter = (
        "status",
        BasketContextFilter,
        ("committed_by", RelatedOnlyFieldListFilter),
    )
    search_fields = ("id", "idempotency_key", "notes", "context_id")
    date_hierarchy = "created_at"
    list_select_related = ("committed_by",)
    inlines = (BasketItemInline, StateLogInline)
    readonly_fields = (
        "id",
        "context_display",
        "total",
        "work_link",
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
        if obj is None:
            return ["context_content_type", "context_id", "idempotency_key", "notes", "metadata"]
        return [
            "status",
            "context_display",
            "total",
            "work_link",
            "committed_at",
            "committed_by",
            "notes",
            "metadata",
            "idempotency_key",
            "id",
            *TIMESTAMPS,
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        live_lines = Q(items__deleted_at__isnull=True)
        return (
            super()
            .get_queryset(request)
            .annotate(
                _line_count=Count("items", filter=live_lines),
                # For sorting by total; the column shows Basket.total() of the prefetched lines.
                _total=Sum(
                    F("items__quantity") * F("items__unit_price"),
                    filter=live_lines,
                    output_field=DecimalField(max_digits=24, decimal_places=4),
                ),
            )
            .prefetch_related("context", "items")
        )

    def refusal_text(self, obj: Any, error: CatalogError) -> str:
        name = basket_name(obj)
        if isinstance(error, BasketEmptyError):
            return f"{capitalized(name)} has no lines, so there is nothing to commit."
        if isinstance(error, (BasketAlreadyCommittedError, BasketCancelledError)):
            return f"{capitalized(name)} is already {error.status}."
        return super().refusal_text(obj, error)

    @admin.display(description="for")
    def context_display(self, basket: Basket) -> SafeString | str:
        context = basket.context if basket.context_content_type_id else None
        return object_link(context) if context is not None else EMPTY

    @admin.display(description="lines", ordering="_line_count")
    def line_count(self, basket: Any) -> int:
        return int(basket._line_count)

    @admin.display(description="total", ordering="_total")
    def total(self, basket: Basket) -> str:
        return basket_total_text(basket)

    @admin.display(description="work")
    def work_link(self, basket: Basket) -> SafeString | str:
        if basket.status == BasketStatus.DRAFT:
            return "spawned when the basket is committed"
        if basket.status != BasketStatus.COMMITTED:
            return f"none: the basket is {basket.status}"
        return format_html('<a href="{}">this basket\'s work items</a>', work_of_basket_url(basket))

    def transition_done(
        self, request: HttpRequest, obj: Any, transition_name: str, label: str, result: Any
    ) -> None:
        if not isinstance(result, CommitOutcome):
            self.message_user(request, f"{label}: {obj}.", messages.SUCCESS)
            return
        basket = result.basket
        link = work_of_basket_url(basket)
        name = basket_name(basket)
        if not result.committed_now:
            self.message_user(
                request,
                format_html(
                    '{} was already committed by {} on {}; nothing changed. <a href="{}">Its work'
                    " items</a>.",
                    capitalized(name),
                    basket.committed_by or "someone",
                    f"{timezone.localtime(basket.committed_at):%Y-%m-%d %H:%M}",
                    link,
                ),
                messages.WARNING,
            )
            return
        count = result.work_created
        self.message_user(
            request,
            format_html(
                'Committed {}: {} work item{} created. <a href="{}">See the work</a>.',
                name,
                count,
                "" if count == 1 else "s",
                link,
            ),
            messages.SUCCESS,
        )


@admin.register(BasketItem)
class BasketItemAdmin(SoftDeleteAdmin):
    """Lines of a draft basket may be edited here; those of a committed or cancelled basket
    are shown read-only (the model refuses any change to them)."""

    form = BasketItemAdminForm
    list_display = (
        "__str__",
        "basket_link",
        "quantity",
        "unit_price",
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related(BASKET_CONTEXT)

    @admin.display(description="basket", ordering="basket__created_at")
    def basket_link(self, line: BasketItem) -> SafeString | str:
        return object_link(line.basket)

    @admin.display(description="line total")
    def line_total(self, line: BasketItem) -> str:
        return money_text(line.line_money)

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
class WorkItemAdmin(WorkBoardAdmin, TransitionServiceAdmin, SoftDeleteAdmin):
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
        "ordered_item",
        "context_display",
        "status",
        "assigned_to",
        "priority",
        "started_at",
        "completed_at",
        "is_deleted",
    )
    list_display_links = ("work_type",)
    list_filter = (
        "status",
        "work_type",
        ("basket_item__catalog_item", RelatedOnlyFieldListFilter),
        WorkContextFilter,
        ("assigned_to", RelatedOnlyFieldListFilter),
        WorkBasketFilter,
    )
    search_fields = (
        "work_type",
        "notes",
        "basket_item__catalog_item__name",
        "basket_item__catalog_item__code",
        "basket_item__basket__idempotency_key",
    )
    date_hierarchy = "created_at"
    list_select_related = (*LINE_RELATIONS, "assigned_to")
    raw_id_fields = ("basket_item",)
    readonly_fields = (
        "id",
        "ordered_item",
        "context_display",
        "basket_link",
        "spawn_role",
        "blocked_from",
        "started_at",
        "completed_at",
        *TIMESTAMPS,
    )
    inlines = (StateLogInline,)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is None:
            return ["basket_item", "work_type", "assigned_to", "priority", "notes", "metadata"]
        return [
            "status",
            "work_type",
            "ordered_item",
            "context_display",
            "basket_link",
            "assigned_to",
            "priority",
            "notes",
            "started_at",
            "completed_at",
            "blocked_from",
            "spawn_role",
            "metadata",
            "basket_item",
            "id",
            *TIMESTAMPS,
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related(LINE_CONTEXT)

    def transition_done(
        self, request: HttpRequest, obj: Any, transition_name: str, label: str, result: Any
    ) -> None:
        status = WorkItemStatus(obj.status).label.lower()
        self.message_user(request, f"{label}: {obj} is now {status}.", messages.SUCCESS)

    def refusal_text(self, obj: Any, error: CatalogError) -> str:
        if isinstance(error, WorkItemStateError):
            status = WorkItemStatus(error.status).label.lower()
            return f"cannot {error.action} {obj}: it is {status}."
        return super().refusal_text(obj, error)

    @admin.display(description="item", ordering="basket_item__catalog_item__name")
    def ordered_item(self, work_item: WorkItem) -> SafeString | str:
        line = work_item.basket_item
        return object_link(line, line.catalog_item.name)

    @admin.display(description="for")
    def context_display(self, work_item: WorkItem) -> SafeString | str:
        basket = work_item.basket_item.basket
        context = basket.context if basket.context_content_type_id else None
        return object_link(context) if context is not None else EMPTY

    @admin.display(description="basket")
    def basket_link(self, work_item: WorkItem) -> SafeString | str:
        return object_link(work_item.basket_item.basket)

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
    list_filter = (
        "basket_item__catalog_item__category",
        ("dispensed_by", RelatedOnlyFieldListFilter),
        "expiry_date",
    )
    search_fields = (
        "lot_number",
        "basket_item__catalog_item__name",
        "basket_item__catalog_item__code",
    )
    date_hierarchy = "dispensed_at"
    list_select_related = (*LINE_RELATIONS, "dispensed_by")
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related(LINE_CONTEXT)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CatalogStateLog)
class CatalogStateLogAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The audit trail is evidence: it can be read and searched, never edited."""

    list_display = (
        "timestamp",
        "object_link",
        "transition",
        "source_state",
        "state",
        "by",
    )
    list_display_links = ("timestamp",)
    list_filter = ("content_type", "transition", "state", ("by", RelatedOnlyFieldListFilter))
    fields = (
        "timestamp",
        "object_link",
        "transition",
        "source_state",
        "state",
        "by",
        "description",
        "content_type",
        "object_id",
    )
    readonly_fields = ("object_link",)
    search_fields = (
        "object_id",
        "transition",
        "description",
        f"by__{get_user_model().USERNAME_FIELD}",
    )
    date_hierarchy = "timestamp"
    list_select_related = ("content_type", "by")
    ordering = ("-timestamp", "-id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The audited objects, with what their names read, in one query per model.
        audited = GenericPrefetch(
            "content_object",
            [
                Basket.all_objects.prefetch_related("context"),
                WorkItem.all_objects.select_related(*LINE_RELATIONS).prefetch_related(LINE_CONTEXT),
            ],
        )
        return super().get_queryset(request).prefetch_related(audited)

    @admin.display(description="object")
    def object_link(self, row: CatalogStateLog) -> SafeString | str:
        if row.content_object is None:
            return f"{row.content_type} {row.object_id} (deleted)"
        return object_link(row.content_object)
