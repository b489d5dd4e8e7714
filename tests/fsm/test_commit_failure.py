"""A transition whose COMMIT fails leaves the object as it was, ready to run the same call again.

PostgreSQL only: the failure is a deferred constraint trigger that raises at COMMIT time.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from django_catalog.models import CatalogStateLog, WorkItem, WorkItemStatus
from django_catalog.services import start_work_item

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_transition_runs_again_on_the_same_object(work_item, user, commit_fails_once):
    commit_fails_once(WorkItem)

    with pytest.raises(DatabaseError, match="injected failure at COMMIT"):
        work_item.start(user)

    assert work_item.status == WorkItemStatus.PENDING
    assert work_item.started_at is None
    assert work_item.assigned_to_id is None
    assert WorkItem.objects.get(pk=work_item.pk).status == WorkItemStatus.PENDING
    assert not CatalogStateLog.objects.exists()

    work_item.start(user)

    stored = WorkItem.objects.get(pk=work_item.pk)
    assert stored.status == WorkItemStatus.IN_PROGRESS
    assert stored.assigned_to == user
    assert CatalogStateLog.objects.for_(work_item).count() == 1


def test_the_service_can_be_called_again_after_its_commit_failed(
    work_item, user, commit_fails_once
):
    commit_fails_once(WorkItem)

    with pytest.raises(DatabaseError, match="injected failure at COMMIT"):
        start_work_item(work_item, by=user)

    assert work_item.status == WorkItemStatus.PENDING
    start_work_item(work_item, by=user)
    assert work_item.status == WorkItemStatus.IN_PROGRESS
    assert WorkItem.objects.get(pk=work_item.pk).status == WorkItemStatus.IN_PROGRESS
