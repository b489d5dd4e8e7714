"""The catalog in Django's admin.

:mod:`.mixins` holds the reusable pieces (soft delete, transitions run through services),
:mod:`.forms` what a transition button asks for, :mod:`.board` the work board,
:mod:`.model_admins` the registrations, :mod:`.events` the events and their deliveries.
"""

from .board import WorkBoardAdmin
from .events import EventAdmin, EventDeliveryAdmin
from .mixins import (
    DeletedFilter,
    ReadOnlyInlineMixin,
    ReadOnlyMixin,
    SoftDeleteAdmin,
    TransitionService,
    TransitionServiceAdmin,
)
from .model_admins import (
    BasketAdmin,
    BasketItemAdmin,
    CatalogItemAdmin,
    CatalogStateLogAdmin,
    DispenseLogAdmin,
    WorkItemAdmin,
)

__all__ = [
    "BasketAdmin",
    "BasketItemAdmin",
    "CatalogItemAdmin",
    "CatalogStateLogAdmin",
    "DeletedFilter",
    "DispenseLogAdmin",
    "EventAdmin",
    "EventDeliveryAdmin",
    "ReadOnlyInlineMixin",
    "ReadOnlyMixin",
    "SoftDeleteAdmin",
    "TransitionService",
    "TransitionServiceAdmin",
    "WorkBoardAdmin",
    "WorkItemAdmin",
]
