"""Reusable, chainable read filters for the catalog's models."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from .basemodels import SoftDeleteQuerySet

if TYPE_CHECKING:
    from django.db import models

    from .models import CatalogItem, WorkItem  # noqa: F401


def available_at(when: datetime | None = None, prefix: str = "") -> Q:
    """Q for items offered at ``when`` (default: now): flagged available and inside their window.

    An open end of the window (``available_from`` / ``available_to`` null) means no limit.
    """
    when = when or timezone.now()
    return (
        Q(**{f"{prefix}is_available": True})
        & (
            Q(**{f"{prefix}available_from__isnull": True})
            | Q(**{f"{prefix}available_from__lte": when})
        )
        & (Q(**{f"{prefix}available_to__isnull": True}) | Q(**{f"{prefix}available_to__gt": when}))
    )


class CatalogItemQuerySet(SoftDeleteQuerySet["CatalogItem"]):
    """QuerySet for catalog items."""

    def for_owner(self, owner: models.Model) -> CatalogItemQuerySet:
        """Items offered by ``owner`` (any model instance)."""
        content_type = ContentType.objects.db_manager(self.db).get_for_model(owner)
        return self.filter(owner_content_type=content_type, owner_id=str(owner.pk))

    def available(self, at: datetime | None = None) -> CatalogItemQuerySet:
        """Items orderable now (or at ``at``): flagged available and inside their window."""
        return self.filter(available_at(at))

    def by_category(self, category: str) -> CatalogItemQuerySet:
        """Items of one category."""
        return self.filter(category=category)


class WorkItemQuerySet(SoftDeleteQuerySet["WorkItem"]):
    """QuerySet for work items."""

    def for_basket(self, basket: Any) -> WorkItemQuerySet:
        """Work spawned from the lines of ``basket``."""
        return self.filter(basket_item__basket=basket)

    def open(self) -> WorkItemQuerySet:
        """Work still to be done: pending, in progress or blocked (not completed or cancelled)."""
        from .models import WorkItemStatus

        return self.exclude(status__in=[WorkItemStatus.COMPLETED, WorkItemStatus.CANCELLED])

    def for_context(self, context: models.Model) -> WorkItemQuerySet:
        """Work of the baskets ordered for ``context`` (the basket's generic ``context``)."""
        content_type = ContentType.objects.db_manager(self.db).get_for_model(context)
        return self.filter(
            basket_item__basket__context_content_type=content_type,
            basket_item__basket__context_id=str(context.pk),
        )

    def assigned_to_user(self, user: Any) -> WorkItemQuerySet:
        """Work assigned to ``user``; ``None`` gives the unassigned work."""
        if user is None:
            return self.filter(assigned_to__isnull=True)
        return self.filter(assigned_to=user)

    def of_type(self, work_type: str) -> WorkItemQuerySet:
        """Work of one type (``"collect"``, ``"report"``, ...)."""
        return self.filter(work_type=work_type)
