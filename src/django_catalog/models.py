"""The catalog's models: what is offered, what is ordered, the work it spawns, what was handed out.

Statuses are django-fsm-2 ``FSMField(protected=True)`` columns (the ``StateField``
subclass, whose refresh is thread-safe): only the transition methods declared here change
them, and each transition persists itself and leaves one :class:`CatalogStateLog` row
(see :mod:`django_catalog.fsm`).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django_fsm import GET_STATE

from . import signals
from .basemodels import BaseModel, SoftDeleteManager, SoftDeleteQuerySet, UUIDModel
from .constraints import check_constraint
from .fsm import (
    StateField,
    StateMachineMixin,
    catalog_transition,
    set_transition_actor,
    set_transition_description,
)
from .querysets import CatalogItemQuerySet, WorkItemQuerySet
from .spawning import insert_work_items
from .validation import validate_currency_code, validate_positive

WORK_TYPE_MAX_LENGTH = 100
BLOCK_NEEDS_REASON = "A work item can only be blocked with a reason"

#: Prices are never negative (a null price means "no price").
NON_NEGATIVE = MinValueValidator(Decimal("0"))


def price_not_negative(name: str) -> models.CheckConstraint:
    return check_constraint(condition=Q(unit_price__isnull=True) | Q(unit_price__gte=0), name=name)


class CatalogItem(UUIDModel, BaseModel):
    """An item available in the catalog for ordering."""

    # Owner via GenericFK (who offers this item)
    owner_content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    owner_id = models.CharField(max_length=255)
    owner = GenericForeignKey("owner_content_type", "owner_id")

    # Item details
    name = models.CharField(max_length=255)
    code = models.CharField(max_length=100, blank=True, default="")
    description = models.TextField(blank=True, default="")
    category = models.CharField(max_length=100, blank=True, default="")

    # Pricing (optional, depends on use case)
    unit_price = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[NON_NEGATIVE]
    )
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency_code])

    # Availability
    is_available = models.BooleanField(default=True)
    available_from = models.DateTimeField(null=True, blank=True)
    available_to = models.DateTimeField(null=True, blank=True)

    # Ordering
    sort_order = models.IntegerField(default=0)

    metadata = models.JSONField(default=dict, blank=True)

    # The base model's managers, narrowed to this model's queryset (django-stubs objects).
    objects = SoftDeleteManager.from_queryset(CatalogItemQuerySet)()  # type: ignore[assignment,misc]
    all_objects = SoftDeleteManager.from_queryset(CatalogItemQuerySet)(include_deleted=True)  # type: ignore[assignment,misc]

    class Meta:
        app_label = "django_catalog"
        verbose_name = "catalog item"
        verbose_name_plural = "catalog items"
        ordering = ["sort_order", "name"]
        indexes = [
            # The catalog read for_owner(...).by_category(...) finds its rows here directly;
            # its (owner_content_type, owner_id) prefix also serves for_owner() alone.
            models.Index(
                fields=["owner_content_type", "owner_id", "category"],
                name="catalog_item_owner_category",
            ),
            models.Index(fields=["category"]),
            models.Index(fields=["is_available"]),
        ]
        constraints = [
            price_not_negative("catalogitem_unit_price_not_negative"),
            check_constraint(
                condition=Q(available_from__isnull=True)
                | Q(available_to__isnull=True)
                | Q(available_from__lt=F("available_to")),
                name="catalogitem_available_from_before_available_to",
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.owner_id = str(self.owner_id)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """An availability window, when both ends are set, must end after it starts."""
        super().clean()
        if self.available_from and self.available_to and self.available_from >= self.available_to:
            raise ValidationError(
                {"available_to": "available_to must be later than available_from."},
                code="invalid_window",
            )

    def __str__(self) -> str:
        return self.name

    def is_available_at(self, when: Any = None) -> bool:
        """Is the item flagged available and inside its availability window at ``when`` (now)?"""
        when = when or timezone.now()
        return (
            self.is_available
            and (self.available_from is None or self.available_from <= when)
            and (self.available_to is None or when < self.available_to)
        )


class BasketStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMMITTED = "committed", "Committed"
    CANCELLED = "cancelled", "Cancelled"


def basket_has_lines(basket: Basket) -> bool:
    """Guard: only a basket with at least one line can be committed."""
    return basket.items.exists()


class Basket(StateMachineMixin, UUIDModel, BaseModel):
    """A collection of items being ordered."""

    # Context via GenericFK (what this basket is for); no context is a null type and ''.
    context_content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    context_id = models.CharField(max_length=255, blank=True, default="")
    context = GenericForeignKey("context_content_type", "context_id")

    status = StateField(
        max_length=20,
        choices=BasketStatus.choices,
        default=BasketStatus.DRAFT,
        protected=True,
    )

    committed_at = models.DateTimeField(null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="baskets_committed",
    )

    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)

    notes = models.TextField(blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        app_label = "django_catalog"
        verbose_name = "basket"
        verbose_name_plural = "baskets"
        ordering = ["-created_at"]
        permissions = [
            ("commit_basket", "Can commit basket"),
            ("cancel_basket", "Can cancel basket"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.context_id = "" if self.context_id is None else str(self.context_id)
        # An empty key is no key: keyless baskets must never collide on the unique column.
        self.idempotency_key = self.idempotency_key or None
        super().save(*args, **kwargs)

    @property
    def is_committed(self) -> bool:
        return self.status == BasketStatus.COMMITTED

    @property
    def is_draft(self) -> bool:
        return self.status == BasketStatus.DRAFT

    @property
    def is_cancelled(self) -> bool:
        return self.status == BasketStatus.CANCELLED

    @property
    def total_items(self) -> int:
        return self.items.count()

    @property
    def total_quantity(self) -> Decimal | int:
        return self.items.aggregate(total=Sum("quantity"))["total"] or 0

    def __str__(self) -> str:
        return f"Basket {self.pk} ({self.status})"

    def work_progress(self) -> dict[str, int]:
        """How many of the basket's work items are in each work status (zeros included).

        One query: a grouped count over the basket's work items.
        """
        rows = (
            WorkItem.objects.using(self._state.db)
            .for_basket(self)
            .order_by()
            .values_list("status")
            .annotate(count=Count("pk"))
        )
        counts = dict(rows)
        return {status: counts.get(status, 0) for status in WorkItemStatus.values}

    @catalog_transition(
        field=status,
        source=BasketStatus.DRAFT,
        target=BasketStatus.COMMITTED,
        conditions=[basket_has_lines],
        permission="django_catalog.commit_basket",
        custom={
            "label": "Commit",
            "help_text": "Freeze the basket and spawn its work; a basket is committed only once.",
        },
        on_commit=signals.announce_basket_committed,
    )
    def commit(
        self,
        *,
        by: Any = None,
        description: str | None = None,
        work_types: Iterable[str] = (),
    ) -> int:
        """Freeze the basket and spawn one work item per (line, work type).

        Records ``by`` as ``committed_by``. Never duplicates an existing (line, role).
        Returns how many work items it created. The work items are inserted in one
        statement, whatever the number of lines and work types (see :mod:`.spawning`).
        """
        roles = normalize_work_types(work_types)
        self.committed_at = timezone.now()
        self.committed_by = by
        # A concurrent commit of a stale copy may insert the same rows; it then loses on
        # the status update (ConcurrentTransition) and everything it did rolls back.
        lines = BasketItem.objects.using(self._state.db).filter(basket=self)
        return insert_work_items(lines, roles)

    @catalog_transition(
        field=status,
        source=BasketStatus.DRAFT,
        target=BasketStatus.CANCELLED,
        permission="django_catalog.cancel_basket",
        custom={
            "label": "Cancel basket",
            "help_text": "Abandon this draft; nothing in it is worked on.",
        },
        on_commit=signals.announce_basket_cancelled,
    )
    def cancel(self, *, by: Any = None, description: str | None = None) -> None:
        """Abandon a draft basket; nothing it holds will be worked on."""


def normalize_work_types(work_types: Iterable[str] | None) -> list[str]:
    """Validate requested work types; duplicates collapse, order is kept.

    A bare string is refused: ``"collect"`` is not a list of types.
    """
    if work_types is None:
        return []
    if isinstance(work_types, (str, bytes)):
        raise ValueError("work_types must be an iterable of work type names, not a single string")
    roles: list[str] = []
    for role in work_types:
        if not isinstance(role, str) or not role.strip():
            raise ValueError(f"work_types: each work type must be a non-empty string, got {role!r}")
        if len(role) > WORK_TYPE_MAX_LENGTH:
            raise ValueError(
                f"work_types: {role[:20]!r}... is longer than {WORK_TYPE_MAX_LENGTH} characters"
            )
        if role not in roles:
            roles.append(role)
    return roles


class BasketItem(UUIDModel, BaseModel):
    """A line item in a basket."""

    basket = models.ForeignKey(Basket, on_delete=models.CASCADE, related_name="items")
    catalog_item = models.ForeignKey(
        CatalogItem, on_delete=models.PROTECT, related_name="basket_items"
    )

    quantity = models.DecimalField(
        max_digits=10, decimal_places=2, default=1, validators=[validate_positive]
    )

    # Price at time of adding (snapshot)
    unit_price = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[NON_NEGATIVE]
    )
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency_code])

    instructions = models.TextField(blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        app_label = "django_catalog"
        verbose_name = "basket item"
        verbose_name_plural = "basket items"
        constraints = [
            check_constraint(condition=Q(quantity__gt=0), name="basketitem_quantity_positive"),
            price_not_negative("basketitem_unit_price_not_negative"),
        ]

    @property
    def line_total(self) -> Decimal | None:
        if self.unit_price is None:
            return None
        return Decimal(self.quantity) * self.unit_price

    @property
    def quantity_dispensed(self) -> Decimal:
        """Total handed out so far: the sum of the line's dispense logs (soft-deleted ones not)."""
        total = (
            DispenseLog.objects.using(self._state.db)
            .filter(basket_item_id=self.pk)
            .aggregate(total=Sum("quantity_dispensed"))["total"]
        )
        # Same scale as the field on every backend (SQLite's SUM drops trailing zeros).
        places = DispenseLog._meta.get_field("quantity_dispensed").decimal_places
        return Decimal(total or 0).quantize(Decimal(1).scaleb(-places))

    @property
    def quantity_remaining(self) -> Decimal:
        """What may still be dispensed: the line's quantity minus what was dispensed."""
        return Decimal(self.quantity) - self.quantity_dispensed

    def __str__(self) -> str:
        return f"{self.quantity}x {self.catalog_item.name}"


class WorkItemStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In Progress"
    BLOCKED = "blocked", "Blocked"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


def _state_before_block(work_item: WorkItem, *args: Any, **kwargs: Any) -> str:
    """Target of ``unblock``: the state the item was blocked from."""
    return work_item._resume_state


class WorkItem(StateMachineMixin, UUIDModel, BaseModel):
    """Work spawned from a basket item."""

    basket_item = models.ForeignKey(BasketItem, on_delete=models.CASCADE, related_name="work_items")

    work_type = models.CharField(max_length=WORK_TYPE_MAX_LENGTH)
    spawn_role = models.CharField(max_length=WORK_TYPE_MAX_LENGTH, blank=True, default="")

    status = StateField(
        max_length=20,
        choices=WorkItemStatus.choices,
        default=WorkItemStatus.PENDING,
        protected=True,
    )
    # Where a blocked item returns to on unblock (empty unless blocked).
    blocked_from = models.CharField(
        max_length=20,
        choices=[
            (WorkItemStatus.PENDING, WorkItemStatus.PENDING.label),
            (WorkItemStatus.IN_PROGRESS, WorkItemStatus.IN_PROGRESS.label),
        ],
        blank=True,
        default="",
        editable=False,
    )

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_items_assigned",
    )

    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    priority = models.IntegerField(default=0)

    notes = models.TextField(blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)

    # The base model's managers, narrowed to this model's queryset (django-stubs objects).
    objects = SoftDeleteManager.from_queryset(WorkItemQuerySet)()  # type: ignore[assignment,misc]
    all_objects = SoftDeleteManager.from_queryset(WorkItemQuerySet)(include_deleted=True)  # type: ignore[assignment,misc]

    class Meta:
        app_label = "django_catalog"
        verbose_name = "work item"
        verbose_name_plural = "work items"
        ordering = ["-priority", "created_at"]
        constraints = [
            # Only one work item per basket_item + spawn_role
            models.UniqueConstraint(
                fields=["basket_item", "spawn_role"], name="unique_basket_item_spawn_role"
            )
        ]
        permissions = [
            ("start_work_item", "Can start work item"),
            ("complete_work_item", "Can complete work item"),
            ("block_work_item", "Can block work item"),
            ("unblock_work_item", "Can unblock work item"),
            ("cancel_work_item", "Can cancel work item"),
        ]

    @property
    def is_complete(self) -> bool:
        return self.status == WorkItemStatus.COMPLETED

    def __str__(self) -> str:
        return f"{self.work_type} for {self.basket_item}"

    @catalog_transition(
        field=status,
        source=WorkItemStatus.PENDING,
        target=WorkItemStatus.IN_PROGRESS,
        permission="django_catalog.start_work_item",
        custom={"label": "Start", "help_text": "Pick the work up; you are assigned to it."},
        on_commit=signals.announce_work_item_status_changed,
    )
    def start(self, user: Any = None, *, by: Any = None, description: str | None = None) -> None:
        """Someone picks the work up: ``user`` is assigned and, unless ``by`` is given, acts."""
        self.started_at = timezone.now()
        if user is not None:
            self.assigned_to = user
            if by is None:
                set_transition_actor(self, user)

    @catalog_transition(
        field=status,
        source=WorkItemStatus.IN_PROGRESS,
        target=WorkItemStatus.COMPLETED,
        permission="django_catalog.complete_work_item",
        custom={"label": "Complete", "help_text": "The work is done; completed is final."},
        on_commit=signals.announce_work_item_status_changed,
    )
    def complete(self, *, by: Any = None, description: str | None = None) -> None:
        """The work is done; completed is final."""
        self.completed_at = timezone.now()

    @catalog_transition(
        field=status,
        source=[WorkItemStatus.PENDING, WorkItemStatus.IN_PROGRESS],
        target=WorkItemStatus.BLOCKED,
        permission="django_catalog.block_work_item",
        custom={"label": "Block", "help_text": "Put the work on hold; a reason is required."},
        on_commit=signals.announce_work_item_status_changed,
    )
    def block(self, reason: str = "", *, by: Any = None, description: str | None = None) -> None:
        """Put the work on hold; ``reason`` is required and becomes the audit row's description."""
        reason = (reason or description or "").strip()
        if not reason:
            raise ValueError(BLOCK_NEEDS_REASON)
        set_transition_description(self, reason)
        self.blocked_from = self.status

    @catalog_transition(
        field=status,
        source=WorkItemStatus.BLOCKED,
        target=GET_STATE(
            _state_before_block, states=[WorkItemStatus.PENDING, WorkItemStatus.IN_PROGRESS]
        ),
        permission="django_catalog.unblock_work_item",
        custom={
            "label": "Unblock",
            "help_text": "Resume the work in the state it was blocked from.",
        },
        on_commit=signals.announce_work_item_status_changed,
    )
    def unblock(self, *, by: Any = None, description: str | None = None) -> None:
        """Resume the work in the state it was blocked from."""
        self._resume_state = self.blocked_from or WorkItemStatus.PENDING
        self.blocked_from = ""

    @catalog_transition(
        field=status,
        source=[WorkItemStatus.PENDING, WorkItemStatus.IN_PROGRESS, WorkItemStatus.BLOCKED],
        target=WorkItemStatus.CANCELLED,
        permission="django_catalog.cancel_work_item",
        custom={"label": "Cancel work", "help_text": "Abandon the work; cancelled is final."},
        on_commit=signals.announce_work_item_status_changed,
    )
    def cancel(self, reason: str = "", *, by: Any = None, description: str | None = None) -> None:
        """Abandon the work; cancelled is final. ``reason`` becomes the audit row's description."""
        reason = (reason or description or "").strip()
        if reason:
            set_transition_description(self, reason)
        self.blocked_from = ""


class DispenseLog(UUIDModel, BaseModel):
    """Record of an item being dispensed."""

    basket_item = models.ForeignKey(
        BasketItem, on_delete=models.CASCADE, related_name="dispense_logs"
    )

    quantity_dispensed = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[validate_positive]
    )

    dispensed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items_dispensed",
    )
    dispensed_at = models.DateTimeField(default=timezone.now)

    # Lot tracking (optional)
    lot_number = models.CharField(max_length=100, blank=True, default="")
    expiry_date = models.DateField(null=True, blank=True)

    notes = models.TextField(blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        app_label = "django_catalog"
        verbose_name = "dispense log"
        verbose_name_plural = "dispense logs"
        ordering = ["-dispensed_at"]
        constraints = [
            check_constraint(
                condition=Q(quantity_dispensed__gt=0),
                name="dispenselog_quantity_dispensed_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Dispensed {self.quantity_dispensed} of {self.basket_item.catalog_item.name}"


class CatalogStateLogQuerySet(models.QuerySet["CatalogStateLog"]):
    def for_(self, obj: models.Model) -> CatalogStateLogQuerySet:
        """The transitions of one object, whatever its primary key type."""
        content_type = ContentType.objects.db_manager(self.db).get_for_model(obj)
        return self.filter(content_type=content_type, object_id=str(obj.pk))


class CatalogStateLog(models.Model):
    """One row per catalog transition: django-fsm-log's ``StateLog``, with room for UUID keys."""

    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source_state = models.CharField(max_length=255, null=True, blank=True, default=None)  # noqa: DJ001
    state = models.CharField("target state", max_length=255)
    transition = models.CharField(max_length=255)

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=255)
    content_object = GenericForeignKey("content_type", "object_id")

    description = models.TextField(blank=True, default="")

    objects = CatalogStateLogQuerySet.as_manager()

    class Meta:
        app_label = "django_catalog"
        verbose_name = "state log"
        verbose_name_plural = "state logs"
        get_latest_by = "timestamp"
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        when = f"{self.timestamp:%Y-%m-%d %H:%M:%S}"
        return f"{when} {self.transition}: {self.source_state} -> {self.state}"


__all__ = [
    "Basket",
    "BasketItem",
    "BasketStatus",
    "CatalogItem",
    "CatalogStateLog",
    "DispenseLog",
    "SoftDeleteQuerySet",
    "WorkItem",
    "WorkItemStatus",
    "basket_has_lines",
]
