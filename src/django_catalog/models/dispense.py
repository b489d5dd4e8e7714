"""What was handed out: one record per dispense of a committed line (lot, expiry, who, when).

A dispense log is a record: once written it never changes. Voiding one is a soft delete, and
restoring a voided log is refused when the line no longer has room for it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models, router, transaction
from django.db.models import Subquery, Sum
from django.utils import timezone

from ..exceptions import DispenseLogReadOnlyError, OverDispenseError
from .base import BaseModel, SoftDeleteManager, SoftDeleteQuerySet, UUIDModel
from .fields import metadata_field, quantity_field, quantity_positive

#: The only columns a written dispense log may still change: voiding and restoring it.
VOIDING_FIELDS = frozenset({"deleted_at", "updated_at"})


class DispenseLogQuerySet(SoftDeleteQuerySet["DispenseLog"]):
    """Dispense records: ``update()`` may only void or restore them, ``restore()`` re-checks."""

    def update(self, **kwargs: Any) -> int:
        """Refuse to change anything but the void marker (``deleted_at``, ``updated_at``)."""
        changed = sorted(set(kwargs) - VOIDING_FIELDS)
        if changed:
            first = self.order_by("pk").values_list("pk", "basket_item_id").first()
            if first is not None:
                raise DispenseLogReadOnlyError(first[0], first[1], changed)
        return super().update(**kwargs)

    def restore(self) -> int:
        """Un-void the logs, unless that would dispense more than a line's quantity.

        Locks the lines concerned first; refuses with :class:`OverDispenseError` (nothing
        restored) when the voided logs of a line exceed what remains of it.
        """
        with transaction.atomic(using=self.db, savepoint=False):
            refusal = _over_dispense_on_restore(self)
            if refusal is None:
                return super().restore()
        raise refusal


def _line_model() -> type[models.Model]:
    return DispenseLog._meta.get_field("basket_item").related_model


def _places() -> Decimal:
    places = DispenseLog._meta.get_field("quantity_dispensed").decimal_places
    return Decimal(1).scaleb(-places)


def dispensed_total(line_id: Any, using: str | None = None) -> Decimal:
    """What the line's (not voided) dispense logs handed out, at the column's scale."""
    total = (
        DispenseLog.objects.using(using)
        .filter(basket_item_id=line_id)
        .aggregate(total=Sum("quantity_dispensed"))["total"]
    )
    # Same scale as the field on every backend (SQLite's SUM drops trailing zeros).
    return Decimal(total or 0).quantize(_places())


def _over_dispense_on_restore(logs: models.QuerySet[DispenseLog]) -> OverDispenseError | None:
    """Lock the lines of the voided ``logs``; the refusal if restoring them over-dispenses one.

    Call inside a transaction: the line locks are the ones ``dispense()`` takes, so a dispense
    and a restore of the same line are served one after the other.
    """
    db = logs.db
    voided = logs.filter(deleted_at__isnull=False).order_by()
    lines = (
        _line_model()
        ._base_manager.using(db)
        .select_for_update()
        .filter(pk__in=Subquery(voided.values("basket_item_id")))
        .order_by("pk")
        .values_list("pk", "quantity")
    )
    for line_id, quantity in lines:
        restoring = voided.filter(basket_item_id=line_id).aggregate(
            total=Sum("quantity_dispensed")
        )["total"]
        restoring = Decimal(restoring or 0).quantize(_places())
        remaining = Decimal(quantity) - dispensed_total(line_id, db)
        if restoring > remaining:
            return OverDispenseError(line_id, requested=restoring, remaining=remaining)
    return None


class DispenseLog(UUIDModel, BaseModel):
    """Record of an item being dispensed."""

    basket_item = models.ForeignKey(
        "django_catalog.BasketItem", on_delete=models.CASCADE, related_name="dispense_logs"
    )

    quantity_dispensed = quantity_field()

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
    metadata = metadata_field()

    # The base model's managers, narrowed to this model's queryset (django-stubs objects).
    objects = SoftDeleteManager.from_queryset(DispenseLogQuerySet)()  # type: ignore[assignment,misc]
    all_objects = SoftDeleteManager.from_queryset(DispenseLogQuerySet)(include_deleted=True)  # type: ignore[assignment,misc]

    class Meta:
        app_label = "django_catalog"
        verbose_name = "dispense log"
        verbose_name_plural = "dispense logs"
        ordering = ["-dispensed_at"]
        constraints = [
            quantity_positive("quantity_dispensed", "dispenselog_quantity_dispensed_positive"),
        ]

    def __str__(self) -> str:
        return f"Dispensed {self.quantity_dispensed} of {self.basket_item.catalog_item.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Write a new log; a written one may only be voided or restored.

        Raises :class:`DispenseLogReadOnlyError` (nothing written) when this copy differs
        from the stored row in anything but ``deleted_at`` / ``updated_at``.
        """
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and (
            update_fields is None or not set(update_fields) <= VOIDING_FIELDS
        ):
            changed = self._fields_changed_since_stored(kwargs.get("using"))
            if changed:
                raise DispenseLogReadOnlyError(self.pk, self.basket_item_id, changed)
        super().save(*args, **kwargs)

    def restore(self, using: Any = None) -> None:
        """Un-void this log, unless the line no longer has room for it.

        The line's row is locked while the remaining quantity is checked.

        Raises:
            OverDispenseError: what was dispensed since it was voided leaves too little.
        """
        db = using or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=db, savepoint=False):
            refusal = _over_dispense_on_restore(
                DispenseLog.all_objects.using(db).filter(pk=self.pk)
            )
            if refusal is None:
                super().restore(using=using)
                return
        raise refusal

    def _fields_changed_since_stored(self, using: str | None) -> list[str]:
        fields = [
            field
            for field in self._meta.concrete_fields
            if field.name not in VOIDING_FIELDS and not field.primary_key
        ]
        db = using or router.db_for_write(type(self), instance=self)
        stored = (
            type(self)
            ._base_manager.using(db)
            .filter(pk=self.pk)
            .values(*(field.attname for field in fields))
            .first()
        )
        if stored is None:  # no such row: the save inserts it
            return []
        mine = {field.name: field.to_python(getattr(self, field.attname)) for field in fields}
        return [
            field.name
            for field in fields
            if mine[field.name] != field.to_python(stored[field.attname])
        ]
