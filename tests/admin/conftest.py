"""Fixtures of the admin tests: a committed basket with history, and staff without rights."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Permission

from django_catalog.models import DispenseLog, WorkItem
from django_catalog.services import commit_basket


@pytest.fixture
def committed(draft_with_lines, user):
    """A committed basket with work, one dispensed line and its audit rows."""
    basket = commit_basket(draft_with_lines, committed_by=user, work_types=["collect", "report"])
    line = basket.items.order_by("created_at").first()
    DispenseLog.objects.create(
        basket_item=line, quantity_dispensed=1, lot_number="LOT-42", expiry_date=date(2031, 1, 1)
    )
    work = WorkItem.objects.filter(basket_item=line, work_type="collect").get()
    work.start(user)
    return basket


@pytest.fixture
def clerk(django_user_model):
    """Staff who may see and edit baskets, but holds no transition permission."""
    clerk = django_user_model.objects.create_user(username="clerk", password="x", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="django_catalog",
            codename__in=["view_basket", "change_basket", "view_catalogstatelog"],
        )
    )
    return clerk
