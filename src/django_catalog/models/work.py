"""The work a committed line spawns ("collect", "process", "report"), and its life cycle."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import GET_STATE

from .. import signals
from ..fsm import (
    StateField,
    StateMachineMixin,
    catalog_transition,
    set_transition_actor,
    set_transition_description,
)
from ..states import BLOCKABLE_WORK_STATES, OPEN_WORK_STATES, WorkItemStatus
from ..validation import WORK_TYPE_MAX_LENGTH, clean_block_reason, object_id_text
from .base import BaseModel, SoftDeleteManager, SoftDeleteQuerySet, UUIDModel
from .events import record_work_item_status_changed
from .fields import metadata_field

#: The rows the open-work indexes hold: what ``WorkItem.objects.open()`` reads (the default
#: manager already leaves soft-deleted rows out). Finished work, most of the table after a
#: while, is in none of them, so they stay the size of the work still to do.
OPEN_WORK_INDEX_CONDITION = Q(status__in=OPEN_WORK_STATES, deleted_at__isnull=True)


class WorkItemQuerySet(SoftDeleteQuerySet["WorkItem"]):
    """Chainable reads of work, as a work board needs them."""

    def for_basket(self, basket: Any) -> WorkItemQuerySet:
        """Work spawned from the lines of ``basket``."""
        return self.filter(basket_item__basket=basket)

    def open(self) -> WorkItemQuerySet:
        """Work still to be done: pending, in progress or blocked (not completed or cancelled)."""
        return self.filter(status__in=OPEN_WORK_STATES)

    def for_context(self, context: models.Model) -> WorkItemQuerySet:
        """Work of the baskets ordered for ``context`` (the basket's generic ``context``)."""
        content_type = ContentType.objects.db_manager(self.db).get_for_model(context)
        return self.filter(
            basket_item__basket__context_content_type=content_type,
            basket_item__basket__context_id=object_id_text(context.pk),
        )

    def assigned_to_user(self, user: Any) -> WorkItemQuerySet:
        """Work assigned to ``user``; ``None`` gives the unassigned work."""
        if user is None:
            return self.filter(assigned_to__isnull=True)
        return self.filter(assigned_to=user)

    def of_type(self, work_type: str) -> WorkItemQuerySet:
        """Work of one type (``"collect"``, ``"report"``, ...)."""
        return self.filter(work_type=work_type)


#: A work-item transition: like every other one, it records a ``work_item.status_changed``
#: event and sends the ``work_item_status_changed`` signal once committed.
work_item_transition = partial(
    catalog_transition,
    record=record_work_item_status_changed,
    on_commit=signals.announce_work_item_status_changed,
)


def _state_before_block(work_item: WorkItem, *args: Any, **kwargs: Any) -> str:
    """Target of ``unblock``: the state the item was blocked from."""
    return work_item._resume_state


class WorkItem(StateMachineMixin, UUIDModel, BaseModel):
    """Work spawned from a basket item."""

    basket_item = models.ForeignKey(
        "django_catalog.BasketItem", on_delete=models.CASCADE, related_name="work_items"
    )

    work_type = models.CharField(max_length=WORK_TYPE_MAX_LENGTH)
    # The work type this item was spawned for by a commit; empty for work made by hand.
    spawn_role = models.CharField(max_length=WORK_TYPE_MAX_LENGTH, blank=True, default="")

    status = StateField(
        max_length=20,
        choices=WorkItemStatus.choices,
        default=WorkItemStatus.PENDING,
        protected=True,
    )
    # Where a blocked item returns to on unblock (empty unless blocked).
    blocked_from = models.CharField(
        max_length=20,
        choices=[(state.value, state.label) for state in BLOCKABLE_WORK_STATES],
        blank=True,
        default="",
        editable=False,
    )

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_items_assigned",
    )

    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    priority = models.IntegerField(default=0)

    notes = models.TextField(blank=True, default="")
    metadata = metadata_field()

    # The base model's managers, narrowed to this model's queryset (django-stubs objects).
    objects = SoftDeleteManager.from_queryset(WorkItemQuerySet)()  # type: ignore[assignment,misc]
    all_objects = SoftDeleteManager.from_queryset(WorkItemQuerySet)(include_deleted=True)  # type: ignore[assignment,misc]

    class Meta:
        app_label = "django_catalog"
        verbose_name = "work item"
        verbose_name_plural = "work items"
        ordering = ["-priority", "created_at"]
        # Each open-work read is a walk down one of these in the default order, so a page
        # ([:50]) reads 50 index entries however much work is stored. for_context() and
        # for_basket() reach their few rows through the basket_item foreign-key index.
        indexes = [
            models.Index(
                fields=["-priority", "created_at"],
                condition=OPEN_WORK_INDEX_CONDITION,
                name="work_item_open",
            ),
            models.Index(
                fields=["work_type", "-priority", "created_at"],
                condition=OPEN_WORK_INDEX_CONDITION,
                name="work_item_open_by_type",
            ),
            # Also serves assigned_to_user(None): a B-tree index holds the nulls too.
            models.Index(
                fields=["assigned_to", "-priority", "created_at"],
                condition=OPEN_WORK_INDEX_CONDITION,
                name="work_item_open_by_assignee",
            ),
        ]
        constraints = [
            # A commit spawns one work item per (line, work type), never two; work made by
            # hand (no spawn role) is not limited.
            models.UniqueConstraint(
                fields=["basket_item", "spawn_role"],
                condition=~Q(spawn_role=""),
                name="unique_basket_item_spawn_role",
            )
        ]
        permissions = [
            ("start_work_item", "Can start work item"),
            ("complete_work_item", "Can complete work item"),
            ("block_work_item", "Can block work item"),
            ("unblock_work_item", "Can unblock work item"),
            ("cancel_work_item", "Can cancel work item"),
        ]

    @property
    def is_complete(self) -> bool:
        return self.status == WorkItemStatus.COMPLETED

    def __str__(self) -> str:
        """ "collect · Complete blood count · Visit V-1042": the work, the item, the context.

        Reads the line, its catalog item, its basket and the basket's context: list pages
        load them with ``select_related`` / ``prefetch_related`` (see the admin).
        """
        line = self.basket_item
        parts = (self.work_type, line.catalog_item.name, line.basket.context_text())
        return " · ".join(part for part in parts if part)

    @work_item_transition(
        field=status,
        source=WorkItemStatus.PENDING,
        target=WorkItemStatus.IN_PROGRESS,
        permission="django_catalog.start_work_item",
        custom={"label": "Start", "help_text": "Pick the work up; you are assigned to it."},
    )
    def start(self, user: Any = None, *, by: Any = None, description: str | None = None) -> None:
        """Someone picks the work up: ``user`` is assigned and, unless ``by`` is given, acts."""
        self.started_at = timezone.now()
        if user is not None:
            self.assigned_to = user
            if by is None:
                set_transition_actor(self, user)

    @work_item_transition(
        field=status,
        source=WorkItemStatus.IN_PROGRESS,
        target=WorkItemStatus.COMPLETED,
        permission="django_catalog.complete_work_item",
        custom={"label": "Complete", "help_text": "The work is done; completed is final."},
    )
    def complete(self, *, by: Any = None, description: str | None = None) -> None:
        """The work is done; completed is final."""
        self.completed_at = timezone.now()

    @work_item_transition(
        field=status,
        source=BLOCKABLE_WORK_STATES,
        target=WorkItemStatus.BLOCKED,
        permission="django_catalog.block_work_item",
        custom={"label": "Block", "help_text": "Put the work on hold; a reason is required."},
    )
    def block(self, reason: str = "", *, by: Any = None, description: str | None = None) -> None:
        """Put the work on hold; ``reason`` is required and becomes the audit row's description."""
        set_transition_description(self, clean_block_reason(reason, description))
        self.blocked_from = self.status

    @work_item_transition(
        field=status,
        source=WorkItemStatus.BLOCKED,
        target=GET_STATE(_state_before_block, states=list(BLOCKABLE_WORK_STATES)),
        permission="django_catalog.unblock_work_item",
        custom={
            "label": "Unblock",
            "help_text": "Resume the work in the state it was blocked from.",
        },
    )
    def unblock(self, *, by: Any = None, description: str | None = None) -> None:
        """Resume the work in the state it was blocked from."""
        self._resume_state = self.blocked_from or WorkItemStatus.PENDING
        self.blocked_from = ""

    @work_item_transition(
        field=status,
        source=OPEN_WORK_STATES,
        target=WorkItemStatus.CANCELLED,
        permission="django_catalog.cancel_work_item",
        custom={"label": "Cancel work", "help_text": "Abandon the work; cancelled is final."},
    )
    def cancel(self, reason: str = "", *, by: Any = None, description: str | None = None) -> None:
        """Abandon the work; cancelled is final. ``reason`` becomes the audit row's description."""
        reason = (reason or description or "").strip()
        if reason:
            set_transition_description(self, reason)
        self.blocked_from = ""
