"""Input checks shared by the services: bad input gets a clear error before anything is written."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import iso4217
from django.core.exceptions import ValidationError

# Quantities and prices are DecimalField(max_digits=10, decimal_places=2).
MAX_DIGITS = 10
DECIMAL_PLACES = 2
LIMIT = 10 ** (MAX_DIGITS - DECIMAL_PLACES)


def _to_decimal(value: Any, field: str) -> Decimal:
    if value is None or isinstance(value, bool):
        raise ValidationError({field: f"{field} must be a number, got {value!r}"}, code="invalid")
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(
            {field: f"{field} must be a number, got {value!r}"}, code="invalid"
        ) from None
    if not number.is_finite():
        raise ValidationError(
            {field: f"{field} must be a finite number, got {value!r}"}, code="invalid"
        )
    return number


def _check_fits(number: Decimal, field: str) -> Decimal:
    if number != number.quantize(Decimal(1).scaleb(-DECIMAL_PLACES)):
        raise ValidationError(
            {field: f"{field} allows at most {DECIMAL_PLACES} decimal places, got {number}"},
            code="max_decimal_places",
        )
    if abs(number) >= LIMIT:
        raise ValidationError(
            {field: f"{field} must be less than {LIMIT}, got {number}"},
            code="max_digits",
        )
    return number


def clean_quantity(value: Any, field: str = "quantity") -> Decimal:
    """A quantity: a finite number > 0 that fits ``DecimalField(10, 2)``."""
    number = _to_decimal(value, field)
    if number <= 0:
        raise ValidationError(
            {field: f"{field} must be greater than 0, got {number}"}, code="min_value"
        )
    return _check_fits(number, field)


def clean_price(value: Any, field: str = "unit_price") -> Decimal | None:
    """A price: ``None`` (no price) or a finite number >= 0 that fits ``DecimalField(10, 2)``."""
    if value is None:
        return None
    number = _to_decimal(value, field)
    if number < 0:
        raise ValidationError(
            {field: f"{field} must not be negative, got {number}"}, code="min_value"
        )
    return _check_fits(number, field)


def validate_positive(value: Any) -> None:
    """Field validator: the value must be greater than zero (quantities)."""
    if value is not None and value <= 0:
        raise ValidationError(
            "Ensure this value is greater than 0.", code="min_value", params={"limit_value": 0}
        )


def validate_currency_code(value: Any) -> None:
    """Field validator: an active ISO 4217 currency code, upper case ("USD", "EUR").

    The code list comes from the ``iso4217`` package, which ships the ISO 4217 maintenance
    agency's published table, so it stays current without a hand-kept list here.
    """
    try:
        iso4217.Currency(value)
    except ValueError:
        raise ValidationError(
            "%(value)r is not an ISO 4217 currency code.", code="invalid", params={"value": value}
        ) from None
