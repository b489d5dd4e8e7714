"""Order-catalog primitives for Django: catalog items, baskets, spawned work and dispensing."""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("django-catalog-fsm")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.1.0"

#: Spread into ``DJANGO_FSM_LOG_IGNORED_MODELS``: the catalog audits its own transitions.
#: django-fsm-log matches a model by the module that defines it; a test keeps this in step.
FSM_LOG_IGNORED_MODELS = [
    "django_catalog.models.basket.Basket",
    "django_catalog.models.work.WorkItem",
]

_EXPORTS = {
    "states": ("BasketStatus", "WorkItemStatus", "DeliveryStatus"),
    "money": ("Money",),
    "models": (
        "CatalogItem",
        "Basket",
        "BasketItem",
        "WorkItem",
        "DispenseLog",
        "CatalogStateLog",
        "Event",
        "EventDelivery",
    ),
    "events": ("record_event", "deliver_due"),
    "services": (
        "create_basket",
        "add_item",
        "commit_basket",
        "cancel_basket",
        "start_work_item",
        "complete_work_item",
        "block_work_item",
        "unblock_work_item",
        "cancel_work_item",
        "dispense",
    ),
    "exceptions": (
        "CatalogError",
        "NotFoundError",
        "BasketError",
        "BasketNotFoundError",
        "BasketStateError",
        "BasketAlreadyCommittedError",
        "BasketCancelledError",
        "BasketFrozenError",
        "DispensedLineError",
        "BasketEmptyError",
        "IdempotencyKeyConflictError",
        "IdempotencyKeyRetiredError",
        "UnknownBasketLineError",
        "MixedCurrencyError",
        "ItemNotAvailableError",
        "WorkItemError",
        "WorkItemNotFoundError",
        "WorkItemStateError",
        "DispenseError",
        "BasketItemNotFoundError",
        "BasketNotCommittedError",
        "OverDispenseError",
        "ExpiredLotError",
        "DispenseLogReadOnlyError",
    ),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = ["FSM_LOG_IGNORED_MODELS", "__version__", *_MODULE_OF]


def __getattr__(name: str) -> Any:
    """Import lazily, so ``import django_catalog`` works before Django's app registry is ready."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
