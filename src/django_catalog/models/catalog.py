"""What is offered: catalog items, owned by any model instance (a clinic, a shop, a lab)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ..validation import object_id_text
from .base import BaseModel, SoftDeleteManager, SoftDeleteQuerySet, UUIDModel
from .fields import currency_field, metadata_field, price_field, price_not_negative


def available_at(when: datetime | None = None) -> Q:
    """Q for items offered at ``when`` (default: now): flagged available and inside their window.

    An open end of the window (``available_from`` / ``available_to`` null) means no limit.
    """
    when = when or timezone.now()
    return (
        Q(is_available=True)
        & (Q(available_from__isnull=True) | Q(available_from__lte=when))
        & (Q(available_to__isnull=True) | Q(available_to__gt=when))
    )


class CatalogItemQuerySet(SoftDeleteQuerySet["CatalogItem"]):
    """Chainable reads of the catalog."""

    def for_owner(self, owner: models.Model) -> CatalogItemQuerySet:
        """Items offered by ``owner`` (any model instance)."""
        content_type = ContentType.objects.db_manager(self.db).get_for_model(owner)
        return self.filter(owner_content_type=content_type, owner_id=object_id_text(owner.pk))

    def available(self, at: datetime | None = None) -> CatalogItemQuerySet:
        """Items orderable now (or at ``at``): flagged available and inside their window."""
        return self.filter(available_at(at))

    def by_category(self, category: str) -> CatalogItemQuerySet:
        """Items of one category."""
        return self.filter(category=category)


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
    unit_price = price_field()
    currency = currency_field()

    # Availability
    is_available = models.BooleanField(default=True)
    available_from = models.DateTimeField(null=True, blank=True)
    available_to = models.DateTimeField(null=True, blank=True)

    # Ordering
    sort_order = models.IntegerField(default=0)

    metadata = metadata_field()

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
            models.CheckConstraint(
                condition=Q(available_from__isnull=True)
                | Q(available_to__isnull=True)
                | Q(available_from__lt=F("available_to")),
                name="catalogitem_available_from_before_available_to",
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.owner_id = object_id_text(self.owner_id)
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
