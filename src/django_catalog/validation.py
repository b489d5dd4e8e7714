"""The catalog's input rules, each stated once.

Models use these as field validators and services call the ``clean_*`` functions before they
write anything, so a rule cannot differ between ``full_clean()`` (the admin, model forms)
and the services. Decimal limits are read from the model field a value is meant for, never
repeated here. This module imports nothing of the catalog's models.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import iso4217
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.dateparse import parse_date

#: Longest work type name (``WorkItem.work_type`` and ``spawn_role`` are this long).
WORK_TYPE_MAX_LENGTH = 100

#: Most different work types one commit may spawn (one work item per line and type). No
#: real workflow comes near it; it keeps a mistaken call from locking a basket for long.
MAX_WORK_TYPES = 100

BLOCK_NEEDS_REASON = "A work item can only be blocked with a reason"
NUL_REFUSED = "{name} must not contain NUL characters"


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
    """The number fits ``field``: its digits before the point and its decimal places.

    The size comes first: rounding a huge number (``1e30``, ``1E+9999``) to the field's
    places would overflow the decimal context instead of answering.
    """
    places = field.decimal_places or 0
    limit = 10 ** ((field.max_digits or 0) - places)
    if abs(number) >= limit:
        raise ValidationError(
            {name: f"{name} must be less than {limit}, got {number}"}, code="max_digits"
        )
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError(
            {name: f"{name} allows at most {places} decimal places, got {number}"},
            code="max_decimal_places",
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
    """Metadata: a JSON object, returned as JSON gives it back (``None`` means empty).

    Anything that is not a dict is a ``ValueError``. A dict is stored as JSON, so it must
    survive a JSON round trip: values that JSON cannot hold (``Decimal``, ``datetime``,
    ``set``, ``UUID``, any other object), NaN and infinity, and NUL characters (which
    PostgreSQL cannot store) are a ``ValidationError`` naming ``name``. What comes back is
    the round-tripped value (keys become text: ``{1: "a"}`` is ``{"1": "a"}``), so a
    replay compares what would be stored.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a dict, got {type(value).__name__}")
    try:
        normalized: dict[str, Any] = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as error:
        raise ValidationError(
            {
                name: f"{name} must hold only JSON values (text, finite numbers, booleans, null, "
                f"lists and dicts): {error}"
            },
            code="invalid",
        ) from None
    if _holds_nul(normalized):
        raise ValidationError({name: NUL_REFUSED.format(name=name)}, code="null_characters")
    return normalized


def validate_metadata(value: Any) -> None:
    """Field validator: metadata :func:`clean_metadata` accepts, for ``full_clean()``.

    So the admin and model forms refuse what the services refuse (NaN, NUL characters, ...)
    with a form error, instead of the database refusing it on save.
    """
    try:
        clean_metadata(value)
    except ValidationError as error:
        raise ValidationError(error.messages, code="invalid") from None
    except ValueError as error:
        raise ValidationError(str(error), code="invalid") from None


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def clean_text(value: Any, name: str, max_length: int | None = None) -> str:
    """Free text (notes, instructions, a lot number, an idempotency key).

    ``None`` means no text, ``""``, everywhere. Anything but text is a ``ValueError``; NUL
    characters (which PostgreSQL cannot store) and text longer than ``max_length`` (the
    column's, read from the model field by the caller) are a ``ValidationError`` naming
    ``name``, raised before any query.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, got {type(value).__name__}")
    if "\x00" in value:
        raise ValidationError({name: NUL_REFUSED.format(name=name)}, code="null_characters")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            {name: f"{name} must be at most {max_length} characters, got {len(value)}"},
            code="max_length",
        )
    return value


def clean_date(value: Any, name: str) -> date | None:
    """A calendar date: a ``date`` or ISO text ``"YYYY-MM-DD"``; ``None`` means no date.

    A ``datetime`` is refused (which day it falls on depends on a time zone), and so is
    anything else, with a ``ValidationError`` naming ``name``.
    """
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed
    raise ValidationError(
        {name: f"{name} must be a date or ISO date text (YYYY-MM-DD), got {value!r}"},
        code="invalid",
    )


def clean_block_reason(reason: Any, description: Any = None) -> str:
    """Why work is blocked: required, and kept as the audit row's description."""
    text = reason or description or ""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(BLOCK_NEEDS_REASON)
    if "\x00" in text:
        raise ValueError(NUL_REFUSED.format(name="reason"))
    return text.strip()


def normalize_work_types(work_types: Iterable[str] | None) -> list[str]:
    """Validate requested work types; duplicates collapse, order is kept.

    A bare string is refused: ``"collect"`` is not a list of types. At most
    :data:`MAX_WORK_TYPES` different types: more is refused (``ValueError``) as soon as the
    one too many is read, before anything is locked or written.
    """
    if work_types is None:
        return []
    if isinstance(work_types, (str, bytes)):
        raise ValueError("work_types must be an iterable of work type names, not a single string")
    roles: dict[str, None] = {}  # a dict keeps the order and drops repeats at once
    for role in work_types:
        if not isinstance(role, str) or not role.strip():
            raise ValueError(f"work_types: each work type must be a non-empty string, got {role!r}")
        if len(role) > WORK_TYPE_MAX_LENGTH:
            raise ValueError(
                f"work_types: {role[:20]!r}... is longer than {WORK_TYPE_MAX_LENGTH} characters"
            )
        if "\x00" in role:
            raise ValueError(f"work_types: {NUL_REFUSED.format(name=repr(role))}")
        roles[role] = None
        if len(roles) > MAX_WORK_TYPES:
            raise ValueError(
                f"work_types: at most {MAX_WORK_TYPES} different work types per commit"
            )
    return list(roles)


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
