"""What is ordered: a basket of lines, committed once, for any model instance (a visit, a cart)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models, router, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from .. import signals
from ..exceptions import (
    BasketFrozenError,
    CatalogError,
    DispensedLineError,
    MixedCurrencyError,
    UnknownBasketLineError,
)
from ..fsm import StateField, StateMachineMixin, catalog_transition
from ..money import Money, round_money
from ..spawning import insert_work_items
from ..states import (
    FROZEN_BASKET_STATES,
    UNDELETABLE_BASKET_STATES,
    BasketStatus,
    WorkItemStatus,
)
from ..validation import normalize_work_plan, object_id_text
from .base import BaseModel, SoftDeleteManager, SoftDeleteQuerySet, UUIDModel
from .catalog import CatalogItem
from .dispense import DispenseLog, dispensed_total
from .events import record_basket_cancelled, record_basket_committed
from .fields import (
    currency_field,
    metadata_field,
    price_field,
    price_not_negative,
    quantity_field,
    quantity_positive,
    quantity_text,
)
from .triggers import draft_lines_only, frozen_basket_triggers
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


_T = TypeVar("_T")

#: The fields that record the request a basket was created for; a client's retry of
#: ``create_basket`` is compared against them, so they freeze with the basket.
REQUEST_FIELDS = ("context_content_type", "context_id", "idempotency_key", "notes", "metadata")


def write_while_baskets_allow(
    db: str,
    baskets: Q,
    refused_states: Collection[str],
    refusal: Callable[[Any, str], CatalogError],
    write: Callable[[], _T],
    check: Callable[[], CatalogError | None] | None = None,
) -> _T:
    """Run ``write`` after locking the baskets ``baskets`` selects, if none refuses it.

    The baskets' rows are locked (``SELECT ... FOR UPDATE``, in key order) and their stored
    status read before anything is written: a commit racing the write either waits for it
    (and then sees it) or finishes first (and the write sees the committed basket). If one
    of them is in ``refused_states``, or ``check`` (run under the same locks) returns an
    error, that error is raised and nothing is written. It is raised after the transaction
    block, so a refusal inside the caller's own transaction leaves that transaction usable.
    """
    with transaction.atomic(using=db, savepoint=False):
        rows = (
            Basket.all_objects.using(db)
            .select_for_update()
            .filter(baskets)
            .order_by("pk")
            .values_list("pk", "status")
        )
        error = next((refusal(pk, status) for pk, status in rows if status in refused_states), None)
        if error is None and check is not None:
            error = check()
        if error is None:
            return write()
    raise error


def _first_dispensed_line(db: str, lines: models.QuerySet[Any]) -> DispensedLineError | None:
    """The refusal to hard-delete ``lines`` if one of them has dispense logs (voided included)."""
    dispensed = (
        DispenseLog.all_objects.using(db)
        .filter(basket_item__in=Subquery(lines.values("pk")))
        .order_by("basket_item_id")
        .values_list("basket_item_id", "basket_item__basket_id")
        .first()
    )
    return None if dispensed is None else DispensedLineError(*dispensed)


class BasketQuerySet(SoftDeleteQuerySet["Basket"]):
    """Baskets, read through chainable filters; a committed one cannot be deleted, a frozen
    one's request cannot change."""

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

    def delete(self) -> tuple[int, dict[str, int]]:
        """Soft-delete the baskets; refused (nothing deleted) if one of them is committed."""
        return write_while_baskets_allow(
            self.db,
            Q(pk__in=Subquery(self.values("pk"))),
            UNDELETABLE_BASKET_STATES,
            partial(BasketFrozenError, action="delete"),
            super().delete,
        )

    delete.queryset_only = True  # type: ignore[attr-defined]

    def hard_delete(self) -> tuple[int, dict[str, int]]:
        """Delete the baskets for good; refused if one is committed or has dispensed lines."""
        lines = BasketItem.all_objects.using(self.db).filter(basket__in=Subquery(self.values("pk")))
        return write_while_baskets_allow(
            self.db,
            Q(pk__in=Subquery(self.values("pk"))),
            UNDELETABLE_BASKET_STATES,
            partial(BasketFrozenError, action="hard-delete"),
            super().hard_delete,
            check=partial(_first_dispensed_line, self.db, lines),
        )

    hard_delete.queryset_only = True  # type: ignore[attr-defined]

    def update(self, **kwargs: Any) -> int:
        """Refuse to change the request fields of a basket that is no longer a draft, or to
        mark a committed basket deleted."""
        fields = [
            field.name
            for field in Basket._meta.concrete_fields
            if field.name in REQUEST_FIELDS and {field.name, field.attname} & set(kwargs)
        ]
        if kwargs.get("deleted_at") is not None:
            return write_while_baskets_allow(
                self.db,
                Q(pk__in=Subquery(self.values("pk"))),
                UNDELETABLE_BASKET_STATES,
                partial(BasketFrozenError, action="delete"),
                partial(self._update_request, fields, kwargs),
            )
        return self._update_request(fields, kwargs)

    def _update_request(self, fields: list[str], kwargs: dict[str, Any]) -> int:
        if not fields:
            return super().update(**kwargs)
        return write_while_baskets_allow(
            self.db,
            Q(pk__in=Subquery(self.values("pk"))),
            FROZEN_BASKET_STATES,
            partial(BasketFrozenError, action="change", fields=fields),
            partial(super().update, **kwargs),
        )


class BasketItemQuerySet(SoftDeleteQuerySet["BasketItem"]):
    """Lines; every write to a line of a basket that is no longer a draft is refused."""

    def _while_draft(self, action: str, write: Callable[[], _T], also: Q | None = None) -> _T:
        baskets = Q(pk__in=Subquery(self.values("basket_id")))
        return write_while_baskets_allow(
            self.db,
            baskets | also if also is not None else baskets,
            FROZEN_BASKET_STATES,
            partial(BasketFrozenError, action=action),
            write,
        )

    def update(self, **kwargs: Any) -> int:
        """Change the lines, refused if one of them (or the basket they move to) is frozen."""
        target = kwargs.get("basket", kwargs.get("basket_id"))
        also = None if target is None else Q(pk=getattr(target, "pk", target))
        return self._while_draft("change lines of", partial(super().update, **kwargs), also)

    def delete(self) -> tuple[int, dict[str, int]]:
        return self._while_draft("delete lines of", super().delete)

    delete.queryset_only = True  # type: ignore[attr-defined]

    def hard_delete(self) -> tuple[int, dict[str, int]]:
        """Delete for good; refused for lines of a frozen basket and lines with dispense logs."""
        return write_while_baskets_allow(
            self.db,
            Q(pk__in=Subquery(self.values("basket_id"))),
            FROZEN_BASKET_STATES,
            partial(BasketFrozenError, action="hard-delete lines of"),
            super().hard_delete,
            check=partial(_first_dispensed_line, self.db, self),
        )

    hard_delete.queryset_only = True  # type: ignore[attr-defined]

    def restore(self) -> int:
        return self._while_draft("restore lines of", super().restore)

    def bulk_create(self, objs: Iterable[BasketItem], *args: Any, **kwargs: Any) -> list[Any]:
        """Insert lines, refused (none inserted) if one of them goes into a frozen basket."""
        objs = list(objs)
        return write_while_baskets_allow(
            self.db,
            Q(pk__in=[obj.basket_id for obj in objs]),
            FROZEN_BASKET_STATES,
            partial(BasketFrozenError, action="add lines to"),
            partial(super().bulk_create, objs, *args, **kwargs),
        )


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
    metadata = metadata_field()

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
        triggers = frozen_basket_triggers(REQUEST_FIELDS)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; the request fields of a basket that is no longer a draft cannot change.

        Raises :class:`BasketFrozenError` (nothing written) when this copy, loaded as
        committed or cancelled, differs from the stored row in a :data:`REQUEST_FIELDS`
        field. Saving it unchanged is harmless. A copy loaded as a draft needs no check:
        its save only updates the row while the row is still a draft (see ``loaded_state``).
        """
        self.context_id = object_id_text(self.context_id)
        # An empty key is no key: keyless baskets must never collide on the unique column.
        self.idempotency_key = self.idempotency_key or None
        if not self._state.adding and self.loaded_state("status") in FROZEN_BASKET_STATES:
            changed = self._request_fields_changed(kwargs.get("using"), kwargs.get("update_fields"))
            if changed:
                status = self.loaded_state("status")
                raise BasketFrozenError(self.pk, status, "change", fields=changed)
        super().save(*args, **kwargs)

    def _request_fields_changed(
        self, using: str | None, update_fields: Iterable[str] | None
    ) -> list[str]:
        fields = [
            field
            for field in self._meta.concrete_fields
            if field.name in REQUEST_FIELDS
            and (update_fields is None or {field.name, field.attname} & set(update_fields))
        ]
        if not fields:
            return []
        db = using or router.db_for_write(type(self), instance=self)
        stored = (
            type(self)
            ._base_manager.using(db)
            .filter(pk=self.pk)
            .values(*(field.attname for field in fields))
            .first()
        )
        if stored is None:
            return []
        return [
            field.name for field in fields if getattr(self, field.attname) != stored[field.attname]
        ]

    def delete(self, using: Any = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        """Soft-delete a draft or cancelled basket; a committed basket is an order record.

        Raises:
            BasketFrozenError: the stored basket is committed (nothing written).
        """
        db = using or router.db_for_write(type(self), instance=self)
        return write_while_baskets_allow(
            db,
            Q(pk=self.pk),
            UNDELETABLE_BASKET_STATES,
            partial(BasketFrozenError, action="delete"),
            partial(super().delete, using=using, keep_parents=keep_parents),
        )

    def hard_delete(
        self, using: Any = None, keep_parents: bool = False
    ) -> tuple[int, dict[str, int]]:
        """Delete a draft or cancelled basket for good, with its lines.

        Raises:
            BasketFrozenError: the stored basket is committed.
            DispensedLineError: one of its lines has dispense logs (voided ones too).
        """
        db = using or router.db_for_write(type(self), instance=self)
        lines = BasketItem.all_objects.using(db).filter(basket_id=self.pk)
        return write_while_baskets_allow(
            db,
            Q(pk=self.pk),
            UNDELETABLE_BASKET_STATES,
            partial(BasketFrozenError, action="hard-delete"),
            partial(super().hard_delete, using=using, keep_parents=keep_parents),
            check=partial(_first_dispensed_line, db, lines),
        )

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
        record=record_basket_committed,
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
        record=record_basket_cancelled,
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
    metadata = metadata_field()

    # The base model's managers, narrowed to this model's queryset (django-stubs objects).
    objects = SoftDeleteManager.from_queryset(BasketItemQuerySet)()  # type: ignore[assignment,misc]
    all_objects = SoftDeleteManager.from_queryset(BasketItemQuerySet)(include_deleted=True)  # type: ignore[assignment,misc]

    class Meta:
        app_label = "django_catalog"
        verbose_name = "basket item"
        verbose_name_plural = "basket items"
        constraints = [
            quantity_positive("quantity", "basketitem_quantity_positive"),
            price_not_negative("basketitem_unit_price_not_negative"),
        ]
        triggers = [draft_lines_only(Basket)]

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
        return dispensed_total(self.pk, self._state.db)

    @property
    def quantity_remaining(self) -> Decimal:
        """What may still be dispensed: the line's quantity minus what was dispensed."""
        return Decimal(self.quantity) - self.quantity_dispensed

    def __str__(self) -> str:
        """ "2 x Amoxicillin 500 mg · Visit V-1042" (the basket's context, when it has one)."""
        ordered = f"{quantity_text(self.quantity)} x {self.catalog_item.name}"
        context = self.basket.context_text()
        return f"{ordered} · {context}" if context else ordered

    # A line is written only while its basket (and, when it moves, the basket it leaves) is a
    # draft: every write below locks the basket rows and reads their stored status first.

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Add or change the line; refused unless its basket (old and new) is a draft.

        Raises:
            BasketFrozenError: the basket is committed or cancelled (nothing written).
        """
        action = "add a line to" if self._state.adding else "change"
        self._while_draft(action, kwargs.get("using"), partial(super().save, *args, **kwargs))

    def delete(self, using: Any = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        return self._while_draft(
            "delete", using, partial(super().delete, using=using, keep_parents=keep_parents)
        )

    def hard_delete(
        self, using: Any = None, keep_parents: bool = False
    ) -> tuple[int, dict[str, int]]:
        """Delete for good; refused in a frozen basket or when the line has dispense logs."""
        db = using or router.db_for_write(type(self), instance=self)
        lines = BasketItem.all_objects.using(db).filter(pk=self.pk)
        return self._while_draft(
            "hard-delete",
            using,
            partial(super().hard_delete, using=using, keep_parents=keep_parents),
            check=partial(_first_dispensed_line, db, lines),
        )

    def restore(self, using: Any = None) -> None:
        self._while_draft("restore", using, partial(super().restore, using=using))

    def _while_draft(
        self,
        action: str,
        using: str | None,
        write: Callable[[], _T],
        check: Callable[[], CatalogError | None] | None = None,
    ) -> _T:
        if getattr(self, "_basket_checked", False):  # a save() inside delete() or restore()
            return write()
        db = using or router.db_for_write(type(self), instance=self)
        stored_basket = BasketItem.all_objects.using(db).filter(pk=self.pk).values("basket_id")
        baskets = Q(pk=self.basket_id) | Q(pk__in=Subquery(stored_basket))

        def checked_write() -> _T:
            self._basket_checked = True
            try:
                return write()
            finally:
                self._basket_checked = False

        return write_while_baskets_allow(
            db,
            baskets,
            FROZEN_BASKET_STATES,
            partial(BasketFrozenError, action=action, basket_item_id=self.pk),
            checked_write,
            check=check,
        )
