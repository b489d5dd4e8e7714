"""Transition pages and buttons: who may use them, which names exist, and what they write."""

from __future__ import annotations

import pytest

from django_catalog.models import Basket, BasketStatus, CatalogStateLog, WorkItem, WorkItemStatus
from django_catalog.services import commit_basket
from tests.admin.pages import change_form_data, grant, messages_of, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def committer(django_user_model):
    """Staff holding the commit permission and nothing else (not even viewing baskets)."""
    committer = django_user_model.objects.create_user(
        username="committer", password="x", is_staff=True
    )
    grant(committer, "commit_basket")
    return committer


@pytest.fixture
def pending_work(draft_with_lines, user):
    basket = commit_basket(draft_with_lines, committed_by=user, work_types=["collect"])
    return WorkItem.objects.for_basket(basket).order_by("created_at", "id").first()


# --- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("also", [(), ("view_basket",)], ids=["nothing else", "view only"])
def test_the_transition_page_needs_view_and_change_permission(
    client, committer, draft_with_lines, catalog_rows, also
):
    grant(committer, *also)
    client.force_login(committer)
    page = url("basket_transition", draft_with_lines.pk, "commit")
    before = catalog_rows()

    assert client.get(page).status_code == 403
    assert client.post(page, {"work_types": "collect"}).status_code == 403

    assert catalog_rows() == before
    assert Basket.objects.get(pk=draft_with_lines.pk).status == BasketStatus.DRAFT


def test_with_view_and_change_permission_the_transition_page_commits(
    client, committer, draft_with_lines
):
    grant(committer, "view_basket", "change_basket")
    client.force_login(committer)

    client.post(url("basket_transition", draft_with_lines.pk, "commit"), {"work_types": ""})

    assert Basket.objects.get(pk=draft_with_lines.pk).status == BasketStatus.COMMITTED


def test_a_button_press_needs_change_permission(client, django_user_model, pending_work):
    viewer = django_user_model.objects.create_user(username="viewer", password="x", is_staff=True)
    grant(viewer, "view_workitem", "start_work_item")
    client.force_login(viewer)

    response = client.post(url("workitem_change", pending_work.pk), {"_fsm_transition_to": "start"})

    assert response.status_code == 403
    assert WorkItem.objects.get(pk=pending_work.pk).status == WorkItemStatus.PENDING


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["delete", "hard_delete", "restore", "save", "comit", "start", "cancel", "__init__"]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_name_without_a_transition_page_is_a_404(
    admin_client, draft_with_lines, catalog_rows, name, method
):
    # cancel is a transition of Basket, but asks nothing: it is a button without a page.
    page = url("basket_transition", draft_with_lines.pk, name)
    before = catalog_rows()

    response = getattr(admin_client, method)(page, {"work_types": "collect"})

    assert response.status_code == 404
    assert catalog_rows() == before


@pytest.mark.parametrize("name", ["delete", "commit", "start_work_item"])
def test_a_work_item_page_does_not_know_other_names(admin_client, pending_work, name):
    page = url("workitem_transition", pending_work.pk, name)
    assert admin_client.get(page).status_code == 404


# --- a button changes the status and nothing else --------------------------------------------


def test_a_refused_button_in_a_stale_tab_does_not_save_that_tabs_form(
    admin_client, admin_user, pending_work
):
    change = url("workitem_change", pending_work.pk)
    stale_tab = change_form_data(admin_client, change, _fsm_transition_to="start")
    admin_client.post(change, change_form_data(admin_client, change, _fsm_transition_to="start"))
    assert WorkItem.objects.get(pk=pending_work.pk).assigned_to == admin_user

    response = admin_client.post(change, stale_tab, follow=True)

    stored = WorkItem.objects.get(pk=pending_work.pk)
    assert stored.assigned_to == admin_user
    assert stored.status == WorkItemStatus.IN_PROGRESS
    assert CatalogStateLog.objects.for_(stored).count() == 1
    assert messages_of(response)[-1].startswith("Start refused:")


def test_a_successful_button_does_not_save_what_was_typed(admin_client, pending_work):
    change = url("workitem_change", pending_work.pk)
    typed = change_form_data(
        admin_client, change, _fsm_transition_to="start", notes="typed, not saved", priority=9
    )

    admin_client.post(change, typed)

    stored = WorkItem.objects.get(pk=pending_work.pk)
    assert stored.status == WorkItemStatus.IN_PROGRESS
    assert (stored.notes, stored.priority) == ("", 0)


def test_a_button_with_an_invalid_form_still_runs_only_the_transition(admin_client, pending_work):
    change = url("workitem_change", pending_work.pk)
    broken = change_form_data(admin_client, change, _fsm_transition_to="start", priority="high")

    response = admin_client.post(change, broken, follow=True)

    assert WorkItem.objects.get(pk=pending_work.pk).status == WorkItemStatus.IN_PROGRESS
    assert messages_of(response)[-1] == "Start: done."


def test_saving_the_form_without_a_button_still_saves_it(admin_client, pending_work):
    change = url("workitem_change", pending_work.pk)
    admin_client.post(change, change_form_data(admin_client, change, notes="saved"))
    assert WorkItem.objects.get(pk=pending_work.pk).notes == "saved"
