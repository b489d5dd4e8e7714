"""What was handed out: one record per dispense of a committed line (lot, expiry, who, when)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .base import BaseModel, UUIDModel
from .fields import metadata_field, quantity_field, quantity_positive


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
