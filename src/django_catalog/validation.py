"""The catalog's input rules, each stated once.

Models use these as field validators and services call the ``clean_*`` functions before they
write anything, so a rule cannot differ between ``full_clean()`` (the admin, model forms)
and the services. Decimal limits are read from the model field a value is meant for, never
repeated here. This module imports nothing of the catalog's models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import iso4217
from django.core.exceptions import ValidationError
from django.db import models

#: Longest work type name (``WorkItem.work_type`` and ``spawn_role`` are this long).
WORK_TYPE_MAX_LENGTH = 100

BLOCK_NEEDS_REASON = "A work item can only be blocked with a reason"


# --- numbers -----------------------------------------------------------------------------


def _to_decimal(value: Any, name: str) -> Decimal:
    if value is None or isinstance(value, bool):
        raise ValidationError({name: f"{name} must be a number, got {value!r}"}, code="invalid")
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(
            {name: f"{name} must be a number, got {value!r}"}, code="invalid"
        ) from None
    if not number.is_finite():
        raise ValidationError(
            {name: f"{name} must be a finite number, got {value!r}"}, code="invalid"
        )
    return number


def _check_fits(number: Decimal, field: models.DecimalField[Any, Any], name: str) -> Decimal:
    """The number fits ``field``: its decimal places and its digits before the point."""
    places = field.decimal_places or 0
    limit = 10 ** ((field.max_digits or 0) - places)
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError(
            {name: f"{name} allows at most {places} decimal places, got {number}"},
            code="max_decimal_places",
        )
    if abs(number) >= limit:
        raise ValidationError(
            {name: f"{name} must be less than {limit}, got {number}"}, code="max_digits"
        )
    return number


def clean_quantity(
    value: Any, field: models.DecimalField[Any, Any], name: str | None = None
) -> Decimal:
    """A quantity for ``field``: a finite number > 0 that fits the column.

    Errors are keyed by ``name`` (the caller's word for the value), else the field's name.
    """
    name = name or field.name
    number = _to_decimal(value, name)
    if number <= 0:
        raise ValidationError(
            {name: f"{name} must be greater than 0, got {number}"}, code="min_value"
        )
    return _check_fits(number, field, name)


def clean_price(
    value: Any, field: models.DecimalField[Any, Any], name: str | None = None
) -> Decimal | None:
    """A price for ``field``: ``None`` (no price) or a finite number >= 0 that fits the column."""
    if value is None:
        return None
    name = name or field.name
    number = _to_decimal(value, name)
    if number < 0:
        raise ValidationError(
            {name: f"{name} must not be negative, got {number}"}, code="min_value"
        )
    return _check_fits(number, field, name)


def validate_positive(value: Any) -> None:
    """Field validator: the value must be greater than zero (quantities)."""
    if value is not None and value <= 0:
        raise ValidationError(
            "Ensure this value is greater than 0.", code="min_value", params={"limit_value": 0}
        )


def validate_not_negative(value: Any) -> None:
    """Field validator: a price is never negative (``None`` means "no price")."""
    if value is not None and value < 0:
        raise ValidationError(
            "Ensure this value is greater than or equal to 0.",
            code="min_value",
            params={"limit_value": 0},
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


# --- structured and free text --------------------------------------------------------------


def clean_metadata(value: Any, name: str = "metadata") -> dict[str, Any]:
    """Metadata is a dict (``None`` means empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a dict, got {type(value).__name__}")
    return value


def clean_block_reason(reason: Any, description: Any = None) -> str:
    """Why work is blocked: required, and kept as the audit row's description."""
    text = reason or description or ""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(BLOCK_NEEDS_REASON)
    return text.strip()


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


def clean_item_work_types(value: Any) -> list[str]:
    """A catalog item's default work types: a list of names (stored as a JSON array).

    Also the field's validator, so ``full_clean()`` (the admin) and ``save()`` apply one rule.
    """
    if not isinstance(value, (list, tuple)):
        raise ValidationError(
            "work_types must be a list of work type names, got %(type)s",
            code="invalid",
            params={"type": type(value).__name__},
        )
    try:
        return normalize_work_types(value)
    except ValueError as error:
        raise ValidationError(str(error), code="invalid") from None


#: What a commit spawns: ``None`` (each line its catalog item's defaults), one list for every
#: line, or a list per line (keyed by line id; unlisted lines get their item's defaults).
WorkPlan = list[str] | dict[Any, list[str]] | None


def normalize_work_plan(work_types: Any, line_id: Callable[[Any], Any]) -> WorkPlan:
    """Validate a commit's ``work_types``: ``None``, a list of names, or ``{line: names}``.

    A mapping's keys are lines or line ids; ``line_id`` turns a key into the line's primary
    key value (raising ``ValidationError`` / ``ValueError`` for a malformed id). Whether each
    line belongs to the basket is checked by the commit, which holds the basket's lock.
    """
    if work_types is None:
        return None
    if not isinstance(work_types, Mapping):
        return normalize_work_types(work_types)
    plan: dict[Any, list[str]] = {}
    for line, names in work_types.items():
        try:
            key = line_id(getattr(line, "pk", line))
        except (ValidationError, ValueError, TypeError):
            key = None
        if key is None:
            raise ValueError(f"work_types: {line!r} is not a basket line or line id")
        if names is None:
            raise ValueError(f"work_types[{line!r}]: expected a list of work type names, got None")
        plan[key] = normalize_work_types(names)
    return plan


# --- generic relations ---------------------------------------------------------------------


def object_id_text(value: Any) -> str:
    """How a generic relation's object id is stored: text, and ``""`` for no object.

    Any primary key type (integer, UUID, text) becomes the same string in every write and
    every filter, so a lookup by a model instance always matches what was saved.
    """
    return "" if value is None else str(value)
