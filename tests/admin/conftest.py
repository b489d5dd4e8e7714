"""Fixtures of the admin tests: a committed basket with history, and staff without rights."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Permission

from django_catalog.models import DispenseLog, WorkItem
from django_catalog.services import (
    add_item,
    block_work_item,
    commit_basket,
    create_basket,
    start_work_item,
)


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


@pytest.fixture
def make_board(make_catalog_item, organization, user):
    """Make open work for the board: ``lines`` committed lines of a new visit's basket, each
    with a ``collect``, a ``process`` and a ``report`` work item; the first line's collect is
    started by ``user``, its process blocked with a reason, the rest is pending. Returns the
    visit."""
    from tests.models import Visit

    def make(lines: int = 2, patient: str = "Ada"):
        visit = Visit.objects.create(organization=organization, patient=patient)
        basket = create_basket(context=visit)
        for number in range(lines):
            add_item(basket, make_catalog_item(name=f"Test {number}"), quantity=1)
        commit_basket(basket, committed_by=user, work_types=["collect", "process", "report"])
        first_line = basket.items.order_by("created_at", "id").first()
        work = WorkItem.objects.filter(basket_item=first_line)
        start_work_item(work.get(work_type="collect"), by=user)
        block_work_item(work.get(work_type="process"), "No fasting sample", by=user)
        return visit

    return make


@pytest.fixture
def board_viewer(django_user_model):
    """Staff who may view work items (and so the board), but not change them."""
    viewer = django_user_model.objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="django_catalog", codename="view_workitem"
        )
    )
    return viewer


@pytest.fixture(params=["dot", "grandalf"])
def layout(request, monkeypatch):
    """The board's picture drawn by Graphviz when it is installed, and without it."""
    from django_catalog import diagrams

    if request.param == "grandalf":
        monkeypatch.setattr(diagrams, "graphviz_available", lambda: False)
    elif not diagrams.graphviz_available():
        pytest.skip("Graphviz's dot is not installed")
    return request.param
