"""Column definitions that several catalog models share, so each rule is declared once.

A price, a currency and a quantity mean the same on a catalog item, a basket line and a
dispense log: the same column type, the same validators and the same database check.
Metadata is the same JSON object on every model that has it.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from ..validation import (
    validate_currency_code,
    validate_metadata,
    validate_not_negative,
    validate_positive,
)

MAX_DIGITS = 10
DECIMAL_PLACES = 2


def price_field() -> models.DecimalField[Any, Any]:
    """An optional price: ``None`` means "no price"; never negative."""
    return models.DecimalField(
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        null=True,
        blank=True,
        validators=[validate_not_negative],
    )


def price_not_negative(name: str) -> models.CheckConstraint:
    """The database's copy of :func:`price_field`'s rule (holds for ``update()`` and raw SQL)."""
    return models.CheckConstraint(
        condition=Q(unit_price__isnull=True) | Q(unit_price__gte=0), name=name
    )


def currency_field() -> models.CharField[Any, Any]:
    """An ISO 4217 currency code."""
    return models.CharField(max_length=3, default="USD", validators=[validate_currency_code])


def quantity_field(**kwargs: Any) -> models.DecimalField[Any, Any]:
    """A quantity: greater than zero, two decimal places."""
    return models.DecimalField(
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        validators=[validate_positive],
        **kwargs,
    )


def quantity_positive(field: str, name: str) -> models.CheckConstraint:
    """The database's copy of :func:`quantity_field`'s rule."""
    return models.CheckConstraint(condition=Q(**{f"{field}__gt": 0}), name=name)


def metadata_field() -> models.JSONField[Any, Any]:
    """Free-form data about a row: a JSON object (see :func:`..validation.clean_metadata`)."""
    return models.JSONField(default=dict, blank=True, validators=[validate_metadata])
