"""Work-item buttons in the admin run the work-item services as the logged-in user."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from django_catalog.models import CatalogStateLog, WorkItem, WorkItemStatus
from django_catalog.services import commit_basket
from tests.admin.pages import change_form_data, messages_of, transition_button_names, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def spawned_work_item(draft_with_lines, user):
    basket = commit_basket(draft_with_lines, committed_by=user, work_types=["collect"])
    return WorkItem.objects.for_basket(basket).order_by("created_at", "id").first()


def press(client, spawned_work_item, transition: str, **form):
    """Press a button on the work item's page; fill in the transition's form if it asks."""
    change = url("workitem_change", spawned_work_item.pk)
    response = client.post(
        change, change_form_data(client, change, _fsm_transition_to=transition), follow=not form
    )
    if form:
        assert response.status_code == 302
        response = client.post(response["Location"], form, follow=True)
    return response


def test_pending_work_offers_start_block_and_cancel(admin_client, spawned_work_item):
    names = transition_button_names(admin_client, url("workitem_change", spawned_work_item.pk))
    assert sorted(names) == ["block", "cancel", "start"]


def test_start_assigns_the_logged_in_user(admin_client, admin_user, spawned_work_item):
    response = press(admin_client, spawned_work_item, "start")

    spawned_work_item.refresh_from_db()
    assert spawned_work_item.status == WorkItemStatus.IN_PROGRESS
    assert spawned_work_item.assigned_to == admin_user
    (row,) = CatalogStateLog.objects.for_(spawned_work_item)
    assert (row.transition, row.by) == ("start", admin_user)
    item = spawned_work_item.basket_item.catalog_item.name
    assert (
        messages_of(response)[-1] == f"Start: collect · {item} · Visit of Ada is now in progress."
    )


def test_complete_after_start(admin_client, admin_user, spawned_work_item):
    press(admin_client, spawned_work_item, "start")
    press(admin_client, spawned_work_item, "complete")

    spawned_work_item.refresh_from_db()
    assert spawned_work_item.status == WorkItemStatus.COMPLETED
    assert CatalogStateLog.objects.for_(spawned_work_item).latest().by == admin_user


def test_block_asks_for_the_reason_and_records_it(admin_client, admin_user, spawned_work_item):
    press(admin_client, spawned_work_item, "block", reason="Sample haemolysed")

    spawned_work_item.refresh_from_db()
    assert spawned_work_item.status == WorkItemStatus.BLOCKED
    row = CatalogStateLog.objects.for_(spawned_work_item).latest()
    assert (row.transition, row.description, row.by) == ("block", "Sample haemolysed", admin_user)


def test_block_without_a_reason_is_a_form_error(admin_client, spawned_work_item):
    response = admin_client.post(
        url("workitem_transition", spawned_work_item.pk, "block"), {"reason": ""}
    )

    assert response.status_code == 200
    assert response.context["transition_form"].errors["reason"]
    spawned_work_item.refresh_from_db()
    assert spawned_work_item.status == WorkItemStatus.PENDING


def test_unblock_returns_to_the_state_it_was_blocked_from(admin_client, spawned_work_item):
    press(admin_client, spawned_work_item, "start")
    press(admin_client, spawned_work_item, "block", reason="Analyser down")
    press(admin_client, spawned_work_item, "unblock")

    spawned_work_item.refresh_from_db()
    assert spawned_work_item.status == WorkItemStatus.IN_PROGRESS


def test_cancel_records_its_reason(admin_client, spawned_work_item):
    press(admin_client, spawned_work_item, "cancel", reason="Ordered twice")

    spawned_work_item.refresh_from_db()
    assert spawned_work_item.status == WorkItemStatus.CANCELLED
    assert CatalogStateLog.objects.for_(spawned_work_item).latest().description == "Ordered twice"


def test_completing_pending_work_shows_the_error_and_changes_nothing(
    admin_client, spawned_work_item
):
    response = press(admin_client, spawned_work_item, "complete")

    assert response.status_code == 200
    (message,) = [m for m in messages_of(response) if "Complete" in m]
    assert message == f"Complete refused: cannot complete {spawned_work_item}: it is pending."
    spawned_work_item.refresh_from_db()
    assert spawned_work_item.status == WorkItemStatus.PENDING
    assert not CatalogStateLog.objects.for_(spawned_work_item).exists()


def test_staff_without_work_permissions_get_no_buttons_and_cannot_start(
    client, django_user_model, spawned_work_item
):
    worker = django_user_model.objects.create_user(username="w", password="x", is_staff=True)
    worker.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_workitem", "change_workitem"])
    )
    client.force_login(worker)

    assert transition_button_names(client, url("workitem_change", spawned_work_item.pk)) == []
    response = press(client, spawned_work_item, "start")

    assert "You do not have permission to run 'Start'." in messages_of(response)
    spawned_work_item.refresh_from_db()
    assert spawned_work_item.status == WorkItemStatus.PENDING


def test_staff_with_the_start_permission_can_start(client, django_user_model, spawned_work_item):
    worker = django_user_model.objects.create_user(username="w", password="x", is_staff=True)
    worker.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_workitem", "change_workitem", "start_work_item"]
        )
    )
    client.force_login(worker)

    assert transition_button_names(client, url("workitem_change", spawned_work_item.pk)) == [
        "start"
    ]
    press(client, spawned_work_item, "start")

    spawned_work_item.refresh_from_db()
    assert (spawned_work_item.status, spawned_work_item.assigned_to) == (
        WorkItemStatus.IN_PROGRESS,
        worker,
    )
