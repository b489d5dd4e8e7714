"""Copies of a basket or work item loaded at different times stay safe to refresh and transition.

These run on every database; the same properties under real concurrency are in
``test_concurrency.py`` (PostgreSQL).
"""

from __future__ import annotations

import pytest
from django_fsm import ConcurrentTransition

from django_catalog.models import BasketStatus, CatalogStateLog, WorkItem, WorkItemStatus

pytestmark = pytest.mark.django_db


def test_status_stays_protected_after_refresh(basket):
    basket.refresh_from_db()

    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        basket.status = BasketStatus.COMMITTED


def test_refreshed_copy_can_transition_from_the_reloaded_state(basket_item):
    work = WorkItem.objects.create(basket_item=basket_item, work_type="collect")
    stale = WorkItem.objects.get(pk=work.pk)
    work.start()

    stale.refresh_from_db()
    stale.complete()

    assert WorkItem.objects.get(pk=work.pk).status == WorkItemStatus.COMPLETED


def test_failed_transition_on_a_stale_copy_puts_the_copy_back_as_loaded(basket_item, user):
    work = WorkItem.objects.create(basket_item=basket_item, work_type="collect")
    stale = WorkItem.objects.get(pk=work.pk)
    work.start()

    with pytest.raises(ConcurrentTransition):
        stale.start(user)

    assert stale.status == WorkItemStatus.PENDING
    assert stale.started_at is None
    assert stale.assigned_to_id is None
    assert stale.assigned_to is None
    assert CatalogStateLog.objects.for_(work).count() == 1


# --- a transition writes only what it changed ----------------------------------------------


def test_a_stale_copys_start_keeps_another_users_priority_and_notes(work_item, user):
    stale = WorkItem.objects.get(pk=work_item.pk)
    work_item.priority = 5
    work_item.notes = "urgent: patient fasting"
    work_item.save()

    stale.start(user)

    stored = WorkItem.objects.get(pk=work_item.pk)
    assert stored.status == WorkItemStatus.IN_PROGRESS
    assert stored.assigned_to == user
    assert (stored.priority, stored.notes) == (5, "urgent: patient fasting")


def test_a_stale_copys_transition_does_not_undelete_the_work_item(work_item, user):
    stale = WorkItem.objects.get(pk=work_item.pk)
    work_item.delete()

    stale.start(user)

    assert WorkItem.all_objects.get(pk=work_item.pk).is_deleted


def test_a_transition_writes_its_own_fields(work_item, user):
    work_item.start(user)

    stored = WorkItem.objects.get(pk=work_item.pk)
    assert stored.started_at == work_item.started_at is not None
    assert stored.updated_at == work_item.updated_at
    assert stored.assigned_to_id == user.pk
