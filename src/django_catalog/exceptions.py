"""The catalog's errors: one hierarchy under :class:`CatalogError`.

Each error carries the ids and state it is about, so a caller can decide
whether to retry, show a conflict, or ignore it without parsing messages.
Field-level validation problems stay Django's ``ValidationError``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any


class CatalogError(Exception):
    """Base exception for catalog errors."""


class NotFoundError(CatalogError):
    """The row the call is about was deleted (soft-deleted or removed): nothing was written.

    ``object_id`` is its id; ``deleted_at`` is when it was soft-deleted, ``None`` when the
    row no longer exists at all. Each model's own error below is also one of its family
    (a :class:`BasketNotFoundError` is a :class:`BasketError`).
    """

    noun = "row"

    def __init__(self, object_id: Any, deleted_at: datetime | None = None):
        self.object_id = object_id
        self.deleted_at = deleted_at
        state = f"was deleted at {deleted_at.isoformat()}" if deleted_at else "does not exist"
        # Exception.__init__ directly: the model families' own __init__ take other arguments.
        Exception.__init__(self, f"{self.noun.capitalize()} {object_id} {state}")


class BasketError(CatalogError):
    """Base exception for basket errors."""


class BasketNotFoundError(NotFoundError, BasketError):
    """The basket was deleted (``basket_id``, ``deleted_at``)."""

    noun = "basket"

    def __init__(self, basket_id: Any, deleted_at: datetime | None = None):
        self.basket_id = basket_id
        super().__init__(basket_id, deleted_at)


class BasketStateError(BasketError):
    """The basket's current state does not allow the requested operation."""

    status: str = ""

    def __init__(self, basket_id: Any, status: str | None = None, message: str | None = None):
        self.basket_id = basket_id
        if status is not None:
            self.status = status
        super().__init__(message or f"Basket {basket_id} is {self.status}")


class BasketAlreadyCommittedError(BasketStateError):
    """Raised when trying to modify (or cancel) a committed basket."""

    status = "committed"

    def __init__(self, basket_id: Any):
        super().__init__(basket_id, message=f"Basket {basket_id} is already committed")


class BasketCancelledError(BasketStateError):
    """Raised when trying to add to or commit a cancelled basket."""

    status = "cancelled"

    def __init__(self, basket_id: Any):
        super().__init__(basket_id, message=f"Basket {basket_id} is cancelled")


class BasketFrozenError(BasketStateError):
    """The basket is no longer a draft, so the order it records cannot change.

    Refused on a basket that is not a draft: adding, changing, moving, deleting or restoring
    its lines, and changing the request it records (``fields``: its context, idempotency key,
    notes or metadata). Refused on a committed basket: deleting it, softly or for good.
    ``action`` says what was refused; ``basket_item_id`` names the line when it is about one.
    """

    def __init__(
        self,
        basket_id: Any,
        status: str,
        action: str,
        *,
        basket_item_id: Any = None,
        fields: list[str] | None = None,
    ):
        self.action = action
        self.basket_item_id = basket_item_id
        self.fields = list(fields or [])
        if self.fields:
            what = f"{', '.join(self.fields)} of basket {basket_id}"
        elif basket_item_id is not None:
            what = f"line {basket_item_id} of basket {basket_id}"
        else:
            what = f"basket {basket_id}"
        super().__init__(
            basket_id, status, message=f"Cannot {action} {what}: the basket is {status}"
        )


class DispensedLineError(BasketError):
    """The line has dispense records, so it cannot be deleted for good (nor its basket)."""

    def __init__(self, basket_item_id: Any, basket_id: Any):
        self.basket_item_id = basket_item_id
        self.basket_id = basket_id
        super().__init__(
            f"Cannot hard-delete line {basket_item_id} of basket {basket_id}: "
            "it has dispense records"
        )


class BasketEmptyError(BasketError):
    """Raised when trying to commit an empty basket."""

    def __init__(self, basket_id: Any):
        self.basket_id = basket_id
        super().__init__(f"Cannot commit empty basket {basket_id}")


class IdempotencyKeyConflictError(BasketError):
    """An idempotency key was replayed with parameters that differ from the original call.

    The key already names another basket (``basket_id``); handing that basket back
    would mix two different orders, so the caller must pick a new key or fix the request.
    """

    def __init__(self, idempotency_key: str, basket_id: Any, fields: list[str] | None = None):
        self.idempotency_key = idempotency_key
        self.basket_id = basket_id
        self.fields = list(fields or [])
        detail = f" (differs in: {', '.join(self.fields)})" if self.fields else ""
        super().__init__(
            f"Idempotency key {idempotency_key!r} already belongs to basket {basket_id} "
            f"created with different parameters{detail}"
        )


class IdempotencyKeyRetiredError(BasketError):
    """An idempotency key names a basket that was deleted.

    A deleted basket is never handed back, and its key stays taken: restore the basket
    (``Basket.all_objects.get(pk=basket_id).restore()``) or use a new key.
    """

    def __init__(self, idempotency_key: str, basket_id: Any):
        self.idempotency_key = idempotency_key
        self.basket_id = basket_id
        super().__init__(
            f"Idempotency key {idempotency_key!r} belongs to basket {basket_id}, which was deleted"
        )


class ItemNotAvailableError(CatalogError):
    """Raised when an item is not available for ordering."""

    def __init__(self, item_id: Any, reason: str = ""):
        self.item_id = item_id
        self.reason = reason
        message = f"Item {item_id} is not available"
        if reason:
            message += f": {reason}"
        super().__init__(message)


class WorkItemError(CatalogError):
    """Base exception for work item errors."""


class WorkItemNotFoundError(NotFoundError, WorkItemError):
    """The work item was deleted (``work_item_id``, ``deleted_at``)."""

    noun = "work item"

    def __init__(self, work_item_id: Any, deleted_at: datetime | None = None):
        self.work_item_id = work_item_id
        super().__init__(work_item_id, deleted_at)


class WorkItemStateError(WorkItemError):
    """The work item's current state does not allow the requested transition."""

    def __init__(self, work_item_id: Any, status: str, action: str):
        self.work_item_id = work_item_id
        self.status = status
        self.action = action
        super().__init__(f"Cannot {action} work item {work_item_id}: it is {status}")


class DispenseError(CatalogError):
    """A dispense was refused; nothing was recorded."""

    def __init__(self, basket_item_id: Any, message: str):
        self.basket_item_id = basket_item_id
        super().__init__(message)


class BasketItemNotFoundError(NotFoundError, DispenseError):
    """The basket line was deleted (``basket_item_id``, ``deleted_at``)."""

    noun = "line"

    def __init__(self, basket_item_id: Any, deleted_at: datetime | None = None):
        self.basket_item_id = basket_item_id
        super().__init__(basket_item_id, deleted_at)


class BasketNotCommittedError(DispenseError):
    """Only lines of a committed basket can be dispensed: a draft may still change, a
    cancelled basket will not be worked on."""

    def __init__(self, basket_item_id: Any, basket_id: Any, status: str):
        self.basket_id = basket_id
        self.status = status
        super().__init__(
            basket_item_id,
            f"Cannot dispense line {basket_item_id}: basket {basket_id} is {status}, not committed",
        )


class OverDispenseError(DispenseError):
    """The dispense would hand out more than the line ordered.

    ``requested`` is the refused quantity, ``remaining`` what can still be dispensed.
    """

    def __init__(self, basket_item_id: Any, requested: Decimal, remaining: Decimal):
        self.requested = requested
        self.remaining = remaining
        super().__init__(
            basket_item_id,
            f"Cannot dispense {requested} of line {basket_item_id}: only {remaining} remaining",
        )


class ExpiredLotError(DispenseError):
    """The lot's expiry date is before today (the current date in the active time zone)."""

    def __init__(self, basket_item_id: Any, lot_number: str, expiry_date: date):
        self.lot_number = lot_number
        self.expiry_date = expiry_date
        lot = f"lot {lot_number!r}" if lot_number else "the lot"
        super().__init__(
            basket_item_id,
            f"Cannot dispense line {basket_item_id}: {lot} expired on {expiry_date.isoformat()}",
        )


class DispenseLogReadOnlyError(DispenseError):
    """A dispense log is a record: once written it is never changed, only voided (deleted)."""

    def __init__(self, dispense_log_id: Any, basket_item_id: Any, fields: list[str]):
        self.dispense_log_id = dispense_log_id
        self.fields = list(fields)
        super().__init__(
            basket_item_id,
            f"Cannot change {', '.join(self.fields)} of dispense log {dispense_log_id}: "
            "a dispense record is read-only (void it with delete())",
        )
