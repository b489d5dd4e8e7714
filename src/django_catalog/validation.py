"""The catalog's input rules, each stated once.

Models use these as field validators and services call the ``clean_*`` functions before they
write anything, so a rule cannot differ between ``full_clean()`` (the admin, model forms)
and the services. Decimal limits are read from the model field a value is meant for, never
repeated here. This module imports nothing of the catalog's models.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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


# --- events ------------------------------------------------------------------------------

#: Longest event name (``Event.name``).
EVENT_NAME_MAX_LENGTH = 100
#: The handler key of ``CATALOG_EVENT_HANDLERS`` that receives every event.
ALL_EVENTS = "*"


def clean_event_name(name: Any) -> str:
    """An event name: a non-empty string of at most 100 characters, not the wildcard ``*``."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"event name must be a non-empty string, got {name!r}")
    if name == ALL_EVENTS:
        raise ValueError(f"{ALL_EVENTS!r} is not an event name: it means every event")
    if len(name) > EVENT_NAME_MAX_LENGTH:
        raise ValueError(f"event name {name[:20]!r}... is longer than {EVENT_NAME_MAX_LENGTH}")
    return name


def clean_event_payload(payload: Any) -> dict[str, Any]:
    """An event's payload: a dict that JSON can store as it is (ids and numbers as text)."""
    if not isinstance(payload, dict):
        raise ValueError(f"event payload must be a dict, got {type(payload).__name__}")
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"event payload must be plain JSON: {error}") from None
    return payload


def clean_event_handlers(setting: Any) -> dict[str, list[str]]:
    """``CATALOG_EVENT_HANDLERS``: event name (or ``*``) -> a list of dotted paths."""
    if setting is None:
        return {}
    if not isinstance(setting, dict):
        raise ValueError(
            f"CATALOG_EVENT_HANDLERS must be a dict of event name -> list of dotted paths, "
            f"got {type(setting).__name__}"
        )
    handlers: dict[str, list[str]] = {}
    for name, paths in setting.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"CATALOG_EVENT_HANDLERS: {name!r} is not an event name")
        if isinstance(paths, str) or not isinstance(paths, (list, tuple)):
            raise ValueError(
                f"CATALOG_EVENT_HANDLERS[{name!r}] must be a list of dotted paths, got {paths!r}"
            )
        for path in paths:
            if not isinstance(path, str) or "." not in path.strip(".") or " " in path:
                raise ValueError(f"CATALOG_EVENT_HANDLERS[{name!r}]: {path!r} is not a dotted path")
        handlers[name] = list(paths)
    return handlers


# --- generic relations ---------------------------------------------------------------------


def object_id_text(value: Any) -> str:
    """How a generic relation's object id is stored: text, and ``""`` for no object.

    Any primary key type (integer, UUID, text) becomes the same string in every write and
    every filter, so a lookup by a model instance always matches what was saved.
    """
    return "" if value is None else str(value)
