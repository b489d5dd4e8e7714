"""The specification's work-item model tests: fields, defaults, transitions, ordering, __str__."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from django_catalog.models import (
    WorkItem,
    WorkItemStatus,
)

pytestmark = pytest.mark.django_db


# --- WorkItem ----------------------------------------------------------------------------


def test_work_item_creation(basket_item):
    work = WorkItem.objects.create(basket_item=basket_item, work_type="collect")
    work.refresh_from_db()
    assert work.work_type == "collect"
    assert work.spawn_role == ""
    assert work.priority == 0


def test_work_item_has_uuid_pk(work_item):
    assert isinstance(work_item.pk, uuid.UUID)


def test_work_item_basket_item_fk(work_item, basket_item):
    assert work_item.basket_item == basket_item
    assert list(basket_item.work_items.all()) == [work_item]


def test_work_item_status_default_pending(work_item):
    assert work_item.status == WorkItemStatus.PENDING


def test_work_item_assigned_to_optional(work_item, user):
    assert work_item.assigned_to is None
    work_item.assigned_to = user
    work_item.save()
    work_item.refresh_from_db()
    assert work_item.assigned_to == user


def test_work_item_is_complete_property(work_item):
    assert work_item.is_complete is False
    work_item.start()
    work_item.complete()
    assert work_item.is_complete is True


def test_work_item_start_method(work_item, user):
    work_item.start(user)
    work_item.refresh_from_db()
    assert work_item.status == WorkItemStatus.IN_PROGRESS
    assert work_item.started_at is not None
    assert work_item.assigned_to == user


def test_work_item_complete_method(work_item):
    work_item.start()
    work_item.complete()
    work_item.refresh_from_db()
    assert work_item.status == WorkItemStatus.COMPLETED
    assert work_item.completed_at is not None


def test_work_item_unique_constraint(work_item, basket_item):
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkItem.objects.create(basket_item=basket_item, work_type="again", spawn_role="collect")
    assert WorkItem.objects.filter(basket_item=basket_item).count() == 1


def test_work_item_ordering(basket_item):
    low = WorkItem.objects.create(
        basket_item=basket_item, work_type="a", spawn_role="a", priority=0
    )
    high = WorkItem.objects.create(
        basket_item=basket_item, work_type="b", spawn_role="b", priority=5
    )
    later_low = WorkItem.objects.create(
        basket_item=basket_item, work_type="c", spawn_role="c", priority=0
    )
    WorkItem.objects.filter(pk=low.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert list(WorkItem.objects.all()) == [high, low, later_low]


def test_work_item_soft_delete(work_item):
    work_item.delete()
    assert not WorkItem.objects.filter(pk=work_item.pk).exists()
    assert WorkItem.all_objects.get(pk=work_item.pk).is_deleted


def test_work_item_str_representation(work_item):
    work_item = WorkItem.objects.get(pk=work_item.pk)
    assert str(work_item) == "collect for 1.00x Blood Test"


def test_a_line_may_hold_any_number_of_hand_made_work_items(basket_item):
    """Only spawned work is unique per (line, work type); work made by hand has no spawn role."""
    for _ in range(3):
        WorkItem.objects.create(basket_item=basket_item, work_type="recheck")
    assert basket_item.work_items.filter(spawn_role="").count() == 3


def test_a_line_holds_one_spawned_work_item_per_role(basket_item):
    WorkItem.objects.create(basket_item=basket_item, work_type="collect", spawn_role="collect")
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkItem.objects.create(basket_item=basket_item, work_type="collect", spawn_role="collect")
