"""The catalog's statuses, and the groups of them that rules and reads share.

This module imports nothing of the catalog, so anything (models, querysets, services, the
admin, a host project's code) can use the statuses without pulling in the models.
"""

from __future__ import annotations

from django.db import models


class BasketStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMMITTED = "committed", "Committed"
    CANCELLED = "cancelled", "Cancelled"


class WorkItemStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In Progress"
    BLOCKED = "blocked", "Blocked"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


#: Work still to be done (``WorkItem.objects.open()``).
OPEN_WORK_STATES = (WorkItemStatus.PENDING, WorkItemStatus.IN_PROGRESS, WorkItemStatus.BLOCKED)

#: Work that nothing leaves.
FINAL_WORK_STATES = (WorkItemStatus.COMPLETED, WorkItemStatus.CANCELLED)

#: The states a work item can be blocked from, and so return to on unblock.
BLOCKABLE_WORK_STATES = (WorkItemStatus.PENDING, WorkItemStatus.IN_PROGRESS)

#: A basket past its draft records an order: its lines and request no longer change.
FROZEN_BASKET_STATES = (BasketStatus.COMMITTED, BasketStatus.CANCELLED)

#: A basket that holds work and dispensing records: it cannot be deleted, softly or for good.
UNDELETABLE_BASKET_STATES = (BasketStatus.COMMITTED,)


class DeliveryStatus(models.TextChoices):
    """Where one event's delivery to one handler stands (``EventDelivery.status``)."""

    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead"


__all__ = [
    "BLOCKABLE_WORK_STATES",
    "FINAL_WORK_STATES",
    "FROZEN_BASKET_STATES",
    "OPEN_WORK_STATES",
    "UNDELETABLE_BASKET_STATES",
    "BasketStatus",
    "DeliveryStatus",
    "WorkItemStatus",
]
