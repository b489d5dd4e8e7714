"""What is ordered: a basket of lines, committed once, for any model instance (a visit, a cart)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Sum
from django.utils import timezone

from .. import signals
from ..exceptions import MixedCurrencyError, UnknownBasketLineError
from ..fsm import StateField, StateMachineMixin, catalog_transition
from ..money import Money, round_money
from ..spawning import insert_work_items
from ..states import BasketStatus, WorkItemStatus
from ..validation import normalize_work_plan, object_id_text
from .base import BaseModel, UUIDModel
from .catalog import CatalogItem
from .dispense import DispenseLog
from .fields import (
    currency_field,
    price_field,
    price_not_negative,
    quantity_field,
    quantity_positive,
    quantity_text,
)
from .work import WorkItem

if TYPE_CHECKING:
    from .work import WorkItemQuerySet


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
        """What staff call it: "Basket for Visit V-1042 · committed".

        Reads the context (a generic relation): list pages prefetch it
        (``prefetch_related("context")``) so that each row costs no query.
        """
        context = self.context_text()
        name = f"Basket for {context}" if context else f"Basket {str(self.pk)[:8]}"
        return f"{name} · {self.status}"

    def context_text(self) -> str:
        """The context as text ("Visit V-1042"); empty without one, or if it was deleted."""
        if not self.context_content_type_id:
            return ""
        context = self.context
        return "" if context is None else str(context)

    def totals_by_currency(self) -> list[Money]:
        """The sum of the live priced lines' totals, one :class:`Money` per currency (sorted).

        Each line's total is rounded to the price's two decimals before it is added, so a
        total is the sum of the lines shown. Lines without a price are left out. Reads
        the lines once, or not at all when they were prefetched (``prefetch_related("items")``).
        """
        sums: dict[str, Decimal] = {}
        for line in self.items.all():
            if line.line_total is not None:
                sums[line.currency] = sums.get(line.currency, Decimal(0)) + line.line_total
        return [Money(amount, currency) for currency, amount in sorted(sums.items())]

    def total(self) -> Money | None:
        """The basket's total in its one currency; ``None`` when no line has a price.

        Raises :class:`~django_catalog.exceptions.MixedCurrencyError` when the priced lines
        are in more than one currency: euros and dollars are not added up
        (:meth:`totals_by_currency` gives the total in each).
        """
        totals = self.totals_by_currency()
        if len(totals) > 1:
            raise MixedCurrencyError(self.pk, [money.currency for money in totals])
        return totals[0] if totals else None

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
        work_types: Any = None,
    ) -> int:
        """Freeze the basket and spawn its lines' work: one work item per (line, work type).

        ``work_types`` is ``None`` (each line spawns its catalog item's ``work_types``), one
        list of names for every line, or a mapping ``{line or line id: [names]}`` (the lines
        it lists get their own list, the others their item's defaults). Records ``by`` as
        ``committed_by``. Never duplicates an existing (line, role). Returns how many work
        items it created. The work items are inserted in one statement, whatever the number
        of lines and work types (see :mod:`..spawning`).

        Raises ``ValueError`` for malformed ``work_types`` and
        :class:`~django_catalog.exceptions.UnknownBasketLineError` for a mapping naming a
        line this basket does not hold; nothing is written then.
        """
        plan = normalize_work_plan(work_types, BasketItem._meta.pk.to_python)
        self.committed_at = timezone.now()
        self.committed_by = by
        # A concurrent commit of a stale copy may insert the same rows; it then loses on
        # the status update (ConcurrentTransition) and everything it did rolls back.
        lines = BasketItem.objects.using(self._state.db).filter(basket=self)
        if isinstance(plan, dict):
            self._refuse_unknown_lines(lines, plan)
        return insert_work_items(lines, plan)

    def _refuse_unknown_lines(
        self, lines: models.QuerySet[BasketItem], plan: dict[Any, Any]
    ) -> None:
        known = set(lines.filter(pk__in=list(plan)).values_list("pk", flat=True))
        unknown = [line_id for line_id in plan if line_id not in known]
        if unknown:
            raise UnknownBasketLineError(self.pk, unknown)

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
        """Quantity x unit price, rounded half up to the price's two decimals (None: no price)."""
        if self.unit_price is None:
            return None
        return round_money(Decimal(self.quantity) * self.unit_price)

    @property
    def line_money(self) -> Money | None:
        """The line's total in its currency ("12.50 EUR"); ``None`` without a price."""
        total = self.line_total
        return None if total is None else Money(total, self.currency)

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
        """ "2 x Amoxicillin 500 mg · Visit V-1042" (the basket's context, when it has one)."""
        ordered = f"{quantity_text(self.quantity)} x {self.catalog_item.name}"
        context = self.basket.context_text()
        return f"{ordered} · {context}" if context else ordered
