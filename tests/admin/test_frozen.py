"""The admin keeps a committed order frozen: what the models refuse, its pages refuse with a
form error or a message (never a 500), and nothing changes."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import DELETION, LogEntry

from django_catalog.models import Basket, BasketItem, BasketStatus, DispenseLog, WorkItem
from django_catalog.services import add_item, cancel_basket, commit_basket, create_basket, dispense
from tests.admin.pages import change_form_data, messages_of, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def keyed_order(visit, catalog_item):
    """A committed basket created with an idempotency key, as a client's request makes it."""
    basket = create_basket(context=visit, idempotency_key="visit-7-orders", notes="ward B")
    add_item(basket, catalog_item)
    return commit_basket(basket, work_types=["collect"])


@pytest.fixture
def cancelled(visit, catalog_item):
    basket = create_basket(context=visit)
    add_item(basket, catalog_item)
    return cancel_basket(basket)


def line_form(basket, catalog_item, **extra):
    return {
        "basket": str(basket.pk),
        "catalog_item": str(catalog_item.pk),
        "quantity": "1",
        "unit_price": "50.00",
        "currency": "EUR",
        "instructions": "",
        "metadata": "{}",
        "work_items-TOTAL_FORMS": "0",
        "work_items-INITIAL_FORMS": "0",
        "dispense_logs-TOTAL_FORMS": "0",
        "dispense_logs-INITIAL_FORMS": "0",
        **extra,
    }


# --- a committed basket's request ------------------------------------------------------------


def test_a_committed_baskets_request_cannot_be_edited_so_a_retry_still_replays(
    admin_client, keyed_order, visit, catalog_rows
):
    change = url("basket_change", keyed_order.pk)
    form = admin_client.get(change).context["adminform"].form
    assert "notes" not in form.fields and "metadata" not in form.fields
    before = catalog_rows()

    admin_client.post(
        change, change_form_data(admin_client, change, notes="edited", metadata='{"x": 1}')
    )

    stored = Basket.objects.get(pk=keyed_order.pk)
    assert (stored.notes, stored.metadata) == ("ward B", {})
    assert catalog_rows()["django_catalog.BasketItem"] == before["django_catalog.BasketItem"]
    retry = create_basket(context=visit, idempotency_key="visit-7-orders", notes="ward B")
    assert retry.pk == keyed_order.pk


def test_a_draft_baskets_notes_can_be_edited(admin_client, basket):
    change = url("basket_change", basket.pk)
    admin_client.post(change, change_form_data(admin_client, change, notes="call first"))
    assert Basket.objects.get(pk=basket.pk).notes == "call first"


# --- lines -----------------------------------------------------------------------------------


def test_a_committed_line_is_view_only(admin_client, keyed_order, catalog_rows):
    line = keyed_order.items.get()
    change = url("basketitem_change", line.pk)
    assert admin_client.get(change).status_code == 200  # the superuser may still view it
    before = catalog_rows()

    response = admin_client.post(change, line_form(keyed_order, line.catalog_item, quantity="9"))

    assert response.status_code == 403
    assert catalog_rows() == before


def test_a_line_cannot_be_added_to_a_committed_basket(
    admin_client, keyed_order, catalog_item, catalog_rows
):
    before = catalog_rows()

    response = admin_client.post(url("basketitem_add"), line_form(keyed_order, catalog_item))

    assert response.status_code == 200
    assert "is committed" in str(response.context["adminform"].form.errors["basket"])
    assert catalog_rows() == before


def test_a_draft_line_cannot_be_moved_into_a_cancelled_basket(
    admin_client, basket_item, cancelled, catalog_rows
):
    change = url("basketitem_change", basket_item.pk)
    before = catalog_rows()

    response = admin_client.post(change, line_form(cancelled, basket_item.catalog_item))

    assert "is cancelled" in str(response.context["adminform"].form.errors["basket"])
    assert catalog_rows() == before


def test_a_line_can_be_added_to_a_draft_basket(admin_client, basket, catalog_item):
    admin_client.post(url("basketitem_add"), line_form(basket, catalog_item, quantity="2"))
    assert basket.items.get().quantity == 2


# --- work items ------------------------------------------------------------------------------


def work_form(line, **extra):
    return {
        "basket_item": str(line.pk),
        "work_type": "recheck",
        "priority": "0",
        "notes": "",
        "metadata": "{}",
        "spawn_role": "",
        "django_catalog-catalogstatelog-content_type-object_id-TOTAL_FORMS": "0",
        "django_catalog-catalogstatelog-content_type-object_id-INITIAL_FORMS": "0",
        **extra,
    }


@pytest.mark.parametrize("state", ["draft", "cancelled"])
def test_work_cannot_be_added_by_hand_to_a_line_that_is_not_ordered(
    admin_client, state, basket_item, cancelled, catalog_rows
):
    line = basket_item if state == "draft" else cancelled.items.get()
    before = catalog_rows()

    response = admin_client.post(url("workitem_add"), work_form(line))

    assert f"is {state}" in str(response.context["adminform"].form.errors["basket_item"])
    assert catalog_rows() == before


def test_work_can_be_added_by_hand_to_a_committed_line(admin_client, keyed_order):
    line = keyed_order.items.get()
    admin_client.post(url("workitem_add"), work_form(line))
    assert WorkItem.objects.filter(basket_item=line, work_type="recheck").exists()


def test_work_cannot_be_moved_to_another_line(admin_client, keyed_order, make_committed_line):
    work = WorkItem.objects.get(basket_item__basket=keyed_order)
    other = make_committed_line()
    change = url("workitem_change", work.pk)
    assert "basket_item" not in admin_client.get(change).context["adminform"].form.fields

    admin_client.post(change, change_form_data(admin_client, change, basket_item=str(other.pk)))

    assert WorkItem.objects.get(pk=work.pk).basket_item_id == work.basket_item_id


# --- dispense logs ---------------------------------------------------------------------------


def test_a_dispense_log_is_read_only(admin_client, make_committed_line, catalog_rows):
    log = dispense(make_committed_line(), 1, notes="with food")
    change = url("dispenselog_change", log.pk)
    assert not admin_client.get(change).context["adminform"].form.fields
    before = catalog_rows()

    admin_client.post(change, change_form_data(admin_client, change, notes="edited"))

    assert DispenseLog.objects.get(pk=log.pk).notes == "with food"
    rows = catalog_rows()
    for snapshot in (rows, before):
        for row in snapshot["django_catalog.DispenseLog"]:
            row.pop("updated_at")
    assert rows == before


# --- delete and restore ----------------------------------------------------------------------


def test_deleting_a_committed_basket_shows_why_and_deletes_nothing(
    admin_client, keyed_order, catalog_rows
):
    before = catalog_rows()

    response = admin_client.post(url("basket_delete", keyed_order.pk), {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert any("Not deleted" in m and "is committed" in m for m in messages_of(response))
    assert catalog_rows() == before


def test_bulk_deleting_a_committed_basket_shows_why_and_deletes_nothing(
    admin_client, keyed_order, cancelled, catalog_rows
):
    before = catalog_rows()

    response = admin_client.post(
        url("basket_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [keyed_order.pk, cancelled.pk],
            "post": "yes",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert any("Nothing deleted" in m for m in messages_of(response))
    assert catalog_rows() == before
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_a_cancelled_basket_can_be_deleted(admin_client, cancelled):
    admin_client.post(url("basket_delete", cancelled.pk), {"post": "yes"})
    assert Basket.all_objects.get(pk=cancelled.pk).is_deleted


def test_deleting_a_committed_line_shows_why(admin_client, keyed_order, catalog_rows):
    line = keyed_order.items.get()
    before = catalog_rows()

    response = admin_client.post(url("basketitem_delete", line.pk), {"post": "yes"}, follow=True)

    assert any("Not deleted" in m for m in messages_of(response))
    assert catalog_rows() == before


def test_restore_selected_restores_what_it_may_and_shows_each_refusal(
    admin_client, draft_with_lines, basket_item
):
    kept_out = draft_with_lines.items.first()
    kept_out.delete()
    commit_basket(draft_with_lines, work_types=["collect"])
    basket_item.delete()  # a line of a draft basket: may come back

    response = admin_client.post(
        url("basketitem_changelist") + "?deleted=yes",
        {"action": "restore_selected", "_selected_action": [kept_out.pk, basket_item.pk]},
        follow=True,
    )

    messages = messages_of(response)
    assert any("Not restored" in m and str(kept_out.pk) in m for m in messages)
    assert any("Restored 1 of 2" in m for m in messages)
    assert BasketItem.all_objects.get(pk=kept_out.pk).is_deleted
    assert not BasketItem.all_objects.get(pk=basket_item.pk).is_deleted
    assert Basket.objects.get(pk=draft_with_lines.pk).status == BasketStatus.COMMITTED


def test_restore_selected_refuses_a_dispense_log_that_would_over_dispense(
    admin_client, make_committed_line
):
    line = make_committed_line(quantity="5")
    first = dispense(line, 5)
    first.delete()
    dispense(line, 5)

    response = admin_client.post(
        url("dispenselog_changelist") + "?deleted=yes",
        {"action": "restore_selected", "_selected_action": [first.pk]},
        follow=True,
    )

    assert any("Not restored" in m and "only 0.00 remaining" in m for m in messages_of(response))
    assert DispenseLog.all_objects.get(pk=first.pk).is_deleted
