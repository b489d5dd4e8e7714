"""The catalog's models, one module per concept, all importable from here.

* :mod:`.base`: the UUID / timestamp / soft-delete contract every model builds on;
* :mod:`.catalog`: what is offered (``CatalogItem``);
* :mod:`.basket`: what is ordered (``Basket`` and its lines, ``BasketItem``);
* :mod:`.work`: the work a committed line spawns (``WorkItem``);
* :mod:`.dispense`: what was handed out (``DispenseLog``);
* :mod:`.audit`: one row per transition (``CatalogStateLog``);
* :mod:`.events`: events for other systems and their deliveries (``Event``, ``EventDelivery``).
"""

from ..states import BasketStatus, WorkItemStatus
from .audit import CatalogStateLog
from .base import BaseModel, SoftDeleteManager, SoftDeleteQuerySet, UUIDModel
from .basket import Basket, BasketItem, basket_has_lines
from .catalog import CatalogItem
from .dispense import DispenseLog
from .events import Event, EventDelivery, EventName
from .work import WorkItem

__all__ = [
    "BaseModel",
    "Basket",
    "BasketItem",
    "BasketStatus",
    "CatalogItem",
    "CatalogStateLog",
    "DispenseLog",
    "Event",
    "EventDelivery",
    "EventName",
    "SoftDeleteManager",
    "SoftDeleteQuerySet",
    "UUIDModel",
    "WorkItem",
    "WorkItemStatus",
    "basket_has_lines",
]
