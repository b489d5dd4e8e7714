"""What is ordered: a basket of lines, committed once, for any model instance (a visit, a cart)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone

from .. import signals
from ..fsm import StateField, StateMachineMixin, catalog_transition
from ..spawning import insert_work_items
from ..states import BasketStatus, WorkItemStatus
from ..validation import normalize_work_types, object_id_text
from .base import BaseModel, SoftDeleteManager, SoftDeleteQuerySet, UUIDModel
from .catalog import CatalogItem
from .dispense import DispenseLog
from .fields import (
    currency_field,
    price_field,
    price_not_negative,
    quantity_field,
    quantity_positive,
)
from .work import WorkItem

if TYPE_CHECKING:
    from .work import WorkItemQuerySet


#: The name under which ``commit_basket`` reads, in the statement that locks the basket,
#: whether the basket has live lines (see :func:`live_lines_exist`).
HAS_LINES_ANNOTATION = "_has_live_lines"


def live_lines_exist() -> Exists:
    """Whether the basket of the outer query has a line that is not soft-deleted."""
    return Exists(BasketItem.objects.filter(basket=OuterRef("pk")))


def basket_has_lines(basket: Basket) -> bool:
    """Guard: only a basket with at least one line can be committed.

    A basket locked by ``commit_basket`` carries the answer, read by the lock statement
    itself under :data:`HAS_LINES_ANNOTATION`; any other copy asks the database.
    """
    known = basket.__dict__.get(HAS_LINES_ANNOTATION)
    return basket.items.exists() if known is None else bool(known)


class BasketQuerySet(SoftDeleteQuerySet["Basket"]):
    """Chainable reads of baskets."""

    def for_context(self, context: models.Model) -> BasketQuerySet:
        """The baskets ordered for ``context`` (a visit, a cart: any model instance)."""
        content_type = ContentType.objects.db_manager(self.db).get_for_model(context)
        return self.filter(context_content_type=content_type, context_id=object_id_text(context.pk))

    def draft(self) -> BasketQuerySet:
        """Baskets still taking lines."""
        return self.filter(status=BasketStatus.DRAFT)

    def committed(self) -> BasketQuerySet:
        """Baskets committed (their work spawned)."""
        return self.filter(status=BasketStatus.COMMITTED)


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

    # The base model's managers, narrowed to this model's queryset (django-stubs objects).
    objects = SoftDeleteManager.from_queryset(BasketQuerySet)()  # type: ignore[assignment,misc]
    all_objects = SoftDeleteManager.from_queryset(BasketQuerySet)(include_deleted=True)  # type: ignore[assignment,misc]

    class Meta:
        app_label = "django_catalog"
        verbose_name = "basket"
        verbose_name_plural = "baskets"
        ordering = ["-created_at"]
        indexes = [
            # for_context(): a host's first read ("this visit's orders"), and the way in
            # of WorkItem.objects.for_context().
            models.Index(fields=["context_content_type", "context_id"], name="basket_context"),
        ]
        permissions = [
            ("commit_basket", "Can commit basket"),
            ("cancel_basket", "Can cancel basket"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.context_id = object_id_text(self.context_id)
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

    def work_items(self) -> WorkItemQuerySet:
        """The work spawned from this basket's lines (a lazy queryset)."""
        return WorkItem.objects.using(self._state.db).for_basket(self)

    def work_progress(self) -> dict[str, int]:
        """How many of the basket's work items are in each work status (zeros included).

        One query: a grouped count over the basket's work items.
        """
        rows = self.work_items().order_by().values_list("status").annotate(count=Count("pk"))
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
        statement, whatever the number of lines and work types (see :mod:`..spawning`).
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


class BasketItem(UUIDModel, BaseModel):
    """A line item in a basket."""

    basket = models.ForeignKey(Basket, on_delete=models.CASCADE, related_name="items")
    catalog_item = models.ForeignKey(
        CatalogItem, on_delete=models.PROTECT, related_name="basket_items"
    )

    quantity = quantity_field(default=1)

    # Price at time of adding (snapshot)
    unit_price = price_field()
    currency = currency_field()

    instructions = models.TextField(blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        app_label = "django_catalog"
        verbose_name = "basket item"
        verbose_name_plural = "basket items"
        constraints = [
            quantity_positive("quantity", "basketitem_quantity_positive"),
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
