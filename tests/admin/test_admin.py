"""The admin: pages render, search and filters work, transition buttons run the services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_catalog.models import (
    Basket,
    BasketStatus,
    CatalogItem,
    CatalogStateLog,
    DispenseLog,
    WorkItem,
    WorkItemStatus,
)
from tests.admin.pages import (
    change_form_data,
    commit_page_data,
    grant,
    messages_of,
    transition_button_names,
    url,
)

pytestmark = pytest.mark.django_db

BOTH_LINES_COLLECT_REPORT = {"Blood Test": "collect, report", "X-Ray": "collect, report"}
ADMIN_MODELS = [CatalogItem, Basket, "basketitem", WorkItem, DispenseLog, CatalogStateLog]


# --- pages render --------------------------------------------------------------------------


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: getattr(m, "__name__", m))
def test_every_changelist_renders(admin_client, committed, model):
    name = model if isinstance(model, str) else model._meta.model_name
    response = admin_client.get(url(f"{name}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


def test_every_change_page_renders(admin_client, committed):
    line = committed.items.first()
    objects = [
        committed,
        line,
        line.catalog_item,
        WorkItem.objects.filter(basket_item=line).first(),
        DispenseLog.objects.get(),
        CatalogStateLog.objects.first(),
    ]
    for obj in objects:
        response = admin_client.get(url(f"{obj._meta.model_name}_change", obj.pk))
        assert response.status_code == 200, obj


@pytest.mark.parametrize("name", ["catalogitem", "basket", "basketitem", "workitem"])
def test_add_pages_render(admin_client, name):
    assert admin_client.get(url(f"{name}_add")).status_code == 200


def test_dispensing_and_the_audit_trail_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(url("dispenselog_add")).status_code == 403
    assert admin_client.get(url("catalogstatelog_add")).status_code == 403


def test_basket_changelist_shows_line_count_and_total(admin_client, draft_with_lines):
    response = admin_client.get(url("basket_changelist"))
    row = response.context["cl"].result_list.get(pk=draft_with_lines.pk)
    assert row._line_count == 2
    assert row._total == Decimal("290.00")  # 1 x 50.00 + 2 x 120.00


def test_basket_change_page_shows_its_lines_and_audit_trail(admin_client, committed):
    response = admin_client.get(url("basket_change", committed.pk))
    inlines = {
        inline.formset.model: inline.formset.queryset
        for inline in response.context["inline_admin_formsets"]
    }
    assert set(inlines[committed.items.model]) == set(committed.items.all())
    assert [row.transition for row in inlines[CatalogStateLog]] == ["commit"]


def test_work_item_audit_trail_is_newest_first(admin_client, committed):
    work = WorkItem.objects.get(status=WorkItemStatus.IN_PROGRESS)
    work.complete()
    response = admin_client.get(url("workitem_change", work.pk))
    (inline,) = response.context["inline_admin_formsets"]
    assert [row.transition for row in inline.formset.queryset] == ["complete", "start"]


def test_status_is_read_only(admin_client, basket):
    response = admin_client.get(url("basket_change", basket.pk))
    assert "status" not in response.context["adminform"].form.fields


# --- search and filters ----------------------------------------------------------------------


def test_catalog_items_are_searched_by_code(admin_client, make_catalog_item):
    wanted = make_catalog_item(name="Chest X-Ray", code="IMG-001")
    make_catalog_item(name="Blood Test", code="LAB-001")
    response = admin_client.get(url("catalogitem_changelist"), {"q": "IMG-001"})
    assert list(response.context["cl"].result_list) == [wanted]


def test_baskets_are_searched_by_idempotency_key(admin_client, visit):
    wanted = Basket.objects.create(idempotency_key="visit-7-orders")
    Basket.objects.create(idempotency_key="visit-8-orders")
    response = admin_client.get(url("basket_changelist"), {"q": "visit-7"})
    assert list(response.context["cl"].result_list) == [wanted]


def test_dispense_logs_are_searched_by_lot_number(admin_client, committed):
    response = admin_client.get(url("dispenselog_changelist"), {"q": "LOT-42"})
    assert response.context["cl"].result_count == 1
    response = admin_client.get(url("dispenselog_changelist"), {"q": "LOT-43"})
    assert response.context["cl"].result_count == 0


def test_baskets_are_filtered_by_status(admin_client, committed):
    draft = Basket.objects.create()
    response = admin_client.get(url("basket_changelist"), {"status__exact": "draft"})
    assert list(response.context["cl"].result_list) == [draft]


def test_work_items_are_filtered_by_work_type_and_status(admin_client, committed):
    response = admin_client.get(
        url("workitem_changelist"), {"work_type": "report", "status__exact": "pending"}
    )
    results = list(response.context["cl"].result_list)
    assert len(results) == 2
    assert {(w.work_type, w.status) for w in results} == {("report", "pending")}


# --- soft delete -----------------------------------------------------------------------------


def test_soft_deleted_rows_are_hidden_until_the_filter_asks(admin_client, make_catalog_item):
    kept = make_catalog_item(name="Kept")
    gone = make_catalog_item(name="Gone")
    gone.delete()
    changelist = url("catalogitem_changelist")

    assert list(admin_client.get(changelist).context["cl"].result_list) == [kept]
    deleted = admin_client.get(changelist, {"deleted": "yes"}).context["cl"].result_list
    assert list(deleted) == [gone]
    everything = admin_client.get(changelist, {"deleted": "all"}).context["cl"].result_list
    assert set(everything) == {kept, gone}


def test_soft_deleted_row_keeps_its_change_page(admin_client, make_catalog_item):
    gone = make_catalog_item(name="Gone")
    gone.delete()
    assert admin_client.get(url("catalogitem_change", gone.pk)).status_code == 200


def test_restore_action_undeletes_the_selected_rows(admin_client, make_catalog_item):
    gone = make_catalog_item(name="Gone")
    also_gone = make_catalog_item(name="Also gone")
    gone.delete()
    also_gone.delete()

    response = admin_client.post(
        url("catalogitem_changelist") + "?deleted=yes",
        {"action": "restore_selected", "_selected_action": [gone.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert CatalogItem.objects.filter(pk=gone.pk).exists()
    assert not CatalogItem.objects.filter(pk=also_gone.pk).exists()


def test_deleting_in_the_admin_soft_deletes(admin_client, make_catalog_item):
    item = make_catalog_item(name="Retired")
    admin_client.post(url("catalogitem_delete", item.pk), {"post": "yes"})
    assert not CatalogItem.objects.filter(pk=item.pk).exists()
    assert CatalogItem.all_objects.get(pk=item.pk).is_deleted


# --- transition buttons ----------------------------------------------------------------------


def test_commit_button_asks_for_work_types(admin_client, draft_with_lines):
    change = url("basket_change", draft_with_lines.pk)
    assert "commit" in transition_button_names(admin_client, change)

    response = admin_client.post(
        change, change_form_data(admin_client, change, _fsm_transition_to="commit")
    )

    assert response.status_code == 302
    assert response["Location"] == url("basket_transition", draft_with_lines.pk, "commit")
    assert Basket.objects.get(pk=draft_with_lines.pk).status == BasketStatus.DRAFT


def test_commit_button_commits_through_the_service_as_the_logged_in_user(
    admin_client, admin_user, draft_with_lines
):
    data = commit_page_data(admin_client, draft_with_lines, **BOTH_LINES_COLLECT_REPORT)

    response = admin_client.post(
        url("basket_transition", draft_with_lines.pk, "commit"), data, follow=True
    )

    assert response.status_code == 200
    basket = Basket.objects.get(pk=draft_with_lines.pk)
    assert basket.status == BasketStatus.COMMITTED
    assert basket.committed_by == admin_user
    assert WorkItem.objects.for_basket(basket).count() == 4  # 2 lines x 2 work types
    (row,) = CatalogStateLog.objects.for_(basket)
    assert (row.transition, row.state, row.by) == ("commit", "committed", admin_user)
    assert messages_of(response) == [
        "Committed the basket for Visit of Ada: 4 work items created. See the work."
    ]


def test_cancel_button_cancels_as_the_logged_in_user(admin_client, admin_user, draft_with_lines):
    change = url("basket_change", draft_with_lines.pk)
    response = admin_client.post(
        change, change_form_data(admin_client, change, _fsm_transition_to="cancel"), follow=True
    )

    assert Basket.objects.get(pk=draft_with_lines.pk).status == BasketStatus.CANCELLED
    (row,) = CatalogStateLog.objects.for_(draft_with_lines)
    assert (row.transition, row.by) == ("cancel", admin_user)
    assert messages_of(response)[-1] == "Cancel basket: Basket for Visit of Ada · cancelled."


def test_user_without_the_permission_sees_no_button(client, clerk, draft_with_lines):
    client.force_login(clerk)
    assert transition_button_names(client, url("basket_change", draft_with_lines.pk)) == []


def test_user_without_the_permission_cannot_commit(client, clerk, draft_with_lines):
    client.force_login(clerk)
    response = client.post(
        url("basket_transition", draft_with_lines.pk, "commit"), {"work_types": ""}, follow=True
    )

    assert Basket.objects.get(pk=draft_with_lines.pk).status == BasketStatus.DRAFT
    assert not CatalogStateLog.objects.for_(draft_with_lines).exists()
    assert any("not allowed" in message for message in messages_of(response))


def test_user_without_the_permission_cannot_post_the_button(client, clerk, draft_with_lines):
    client.force_login(clerk)
    change = url("basket_change", draft_with_lines.pk)
    response = client.post(
        change, change_form_data(client, change, _fsm_transition_to="cancel"), follow=True
    )

    assert Basket.objects.get(pk=draft_with_lines.pk).status == BasketStatus.DRAFT
    assert not CatalogStateLog.objects.for_(draft_with_lines).exists()
    assert "You do not have permission to run 'Cancel basket'." in messages_of(response)


def test_user_granted_the_permission_gets_the_button_and_commits(client, clerk, draft_with_lines):
    grant(clerk, "commit_basket")
    client.force_login(clerk)
    change = url("basket_change", draft_with_lines.pk)
    assert transition_button_names(client, change) == ["commit"]

    client.post(url("basket_transition", draft_with_lines.pk, "commit"), {"work_types": ""})

    basket = Basket.objects.get(pk=draft_with_lines.pk)
    assert basket.status == BasketStatus.COMMITTED
    assert CatalogStateLog.objects.for_(basket).get().by == clerk


def test_committing_an_empty_basket_shows_the_error_and_changes_nothing(admin_client, basket):
    response = admin_client.post(
        url("basket_transition", basket.pk, "commit"), {"work_types": "collect"}, follow=True
    )

    assert response.status_code == 200
    short_id = str(basket.pk)[:8]
    assert messages_of(response) == [
        f"Commit refused: Basket {short_id} has no lines, so there is nothing to commit."
    ]
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.DRAFT
    assert not CatalogStateLog.objects.exists()
    assert not WorkItem.objects.exists()


def test_cancelling_a_committed_basket_shows_the_error(admin_client, committed):
    change = url("basket_change", committed.pk)
    response = admin_client.post(
        change, change_form_data(admin_client, change, _fsm_transition_to="cancel"), follow=True
    )

    assert response.status_code == 200
    assert (
        "Cancel basket refused: The basket for Visit of Ada is already committed."
        in messages_of(response)
    )
    assert Basket.objects.get(pk=committed.pk).status == BasketStatus.COMMITTED


def test_a_forged_transition_name_is_refused(admin_client, draft_with_lines):
    change = url("basket_change", draft_with_lines.pk)
    response = admin_client.post(
        change, change_form_data(admin_client, change, _fsm_transition_to="delete"), follow=True
    )

    assert response.status_code == 200
    assert "'delete' cannot be run from the admin." in messages_of(response)
    assert Basket.objects.filter(pk=draft_with_lines.pk).exists()


def test_bad_work_types_are_form_errors(admin_client, draft_with_lines):
    data = commit_page_data(admin_client, draft_with_lines, **{"X-Ray": "x" * 101})

    response = admin_client.post(url("basket_transition", draft_with_lines.pk, "commit"), data)

    assert response.status_code == 200
    form = response.context["transition_form"]
    (row,) = [row for row in form.line_rows if row.line.catalog_item.name == "X-Ray"]
    assert "longer than 100 characters" in str(form.errors[form.line_field(row.line)])
    assert Basket.objects.get(pk=draft_with_lines.pk).status == BasketStatus.DRAFT
