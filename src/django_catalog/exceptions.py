"""The catalog's errors: one hierarchy under :class:`CatalogError`.

Each error carries the ids and state it is about, so a caller can decide
whether to retry, show a conflict, or ignore it without parsing messages.
Field-level validation problems stay Django's ``ValidationError``.
"""

from __future__ import annotations

from typing import Any


class CatalogError(Exception):
    """Base exception for catalog errors."""


class BasketError(CatalogError):
    """Base exception for basket errors."""


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


class WorkItemStateError(WorkItemError):
    """The work item's current state does not allow the requested transition."""

    def __init__(self, work_item_id: Any, status: str, action: str):
        self.work_item_id = work_item_id
        self.status = status
        self.action = action
        super().__init__(f"Cannot {action} work item {work_item_id}: it is {status}")
