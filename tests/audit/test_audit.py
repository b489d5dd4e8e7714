"""Every transition that happens leaves exactly one audit row; nothing else does."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_fsm_log.models import StateLog

from django_catalog.models import BasketStatus, CatalogStateLog, WorkItem, WorkItemStatus
from django_catalog.services import cancel_basket, commit_basket

pytestmark = pytest.mark.django_db


def test_commit_writes_one_row_with_the_committer_as_actor(draft_with_lines, user):
    before = timezone.now()
    commit_basket(draft_with_lines, committed_by=user, work_types=["collect"])
    row = CatalogStateLog.objects.for_(draft_with_lines).get()
    assert row.transition == "commit"
    assert row.source_state == BasketStatus.DRAFT
    assert row.state == BasketStatus.COMMITTED
    assert row.by == user
    assert row.description == ""
    assert before <= row.timestamp <= timezone.now()
    assert row.content_object == draft_with_lines


def test_description_is_recorded(basket, user):
    cancel_basket(basket, by=user, description="Patient discharged")
    row = CatalogStateLog.objects.for_(basket).get()
    assert (row.transition, row.by, row.description) == ("cancel", user, "Patient discharged")


def test_start_records_the_user_as_actor(work_item, user):
    work_item.start(user)
    row = CatalogStateLog.objects.for_(work_item).get()
    assert (row.transition, row.source_state, row.state) == (
        "start",
        WorkItemStatus.PENDING,
        WorkItemStatus.IN_PROGRESS,
    )
    assert row.by == user


def test_start_with_explicit_by_keeps_the_assignee_and_logs_the_actor(work_item, user, other_user):
    work_item.start(user, by=other_user, description="covering for a colleague")
    row = CatalogStateLog.objects.for_(work_item).get()
    assert row.by == other_user
    assert row.description == "covering for a colleague"
    assert WorkItem.objects.get(pk=work_item.pk).assigned_to == user


def test_actor_does_not_leak_into_the_next_transition(work_item, user):
    work_item.start(user)
    work_item.complete()
    complete_row = CatalogStateLog.objects.for_(work_item).get(transition="complete")
    assert complete_row.by is None


def test_idempotent_replays_write_no_row(draft_with_lines, basket):
    commit_basket(draft_with_lines)
    commit_basket(draft_with_lines)
    cancel_basket(basket)
    cancel_basket(basket)
    assert CatalogStateLog.objects.for_(draft_with_lines).count() == 1
    assert CatalogStateLog.objects.for_(basket).count() == 1


def test_rows_are_kept_per_object_in_order(work_item):
    work_item.start()
    work_item.complete()
    assert list(CatalogStateLog.objects.for_(work_item).values_list("transition", flat=True)) == [
        "start",
        "complete",
    ]


def test_django_fsm_logs_own_statelog_is_never_written(draft_with_lines):
    commit_basket(draft_with_lines, work_types=["collect"])
    work = WorkItem.objects.first()
    work.start()
    assert CatalogStateLog.objects.count() == 2
    assert not StateLog.objects.exists()
