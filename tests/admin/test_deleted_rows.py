"""Deleted rows in the admin: no transition buttons, forged presses get a message, and
retiring a catalog item that was ordered works (a soft delete, not a protected hard delete)."""

from __future__ import annotations

import pytest

from django_catalog.models import Basket, BasketStatus, CatalogItem, CatalogStateLog, WorkItem
from tests.admin.pages import change_form_data, messages_of, transition_button_names, url

pytestmark = pytest.mark.django_db


def test_a_deleted_basket_shows_no_transition_buttons(admin_client, draft_with_lines):
    change = url("basket_change", draft_with_lines.pk)
    assert transition_button_names(admin_client, change) == ["cancel", "commit"]

    draft_with_lines.delete()

    assert transition_button_names(admin_client, change) == []


def test_a_deleted_work_item_shows_no_transition_buttons(admin_client, work_item):
    work_item.delete()
    assert transition_button_names(admin_client, url("workitem_change", work_item.pk)) == []


def test_a_forged_button_press_on_a_deleted_basket_is_a_message(
    admin_client, draft_with_lines, catalog_rows
):
    change = url("basket_change", draft_with_lines.pk)
    data = change_form_data(admin_client, change, _fsm_transition_to="cancel")
    draft_with_lines.delete()
    before = catalog_rows()

    response = admin_client.post(change, data, follow=True)

    assert response.status_code == 200
    assert messages_of(response)[-1] == (
        f"Basket {draft_with_lines.pk} was deleted; restore it before changing its status."
    )
    assert catalog_rows() == before


def test_a_forged_transition_form_on_a_deleted_basket_is_a_message(
    admin_client, draft_with_lines, catalog_rows
):
    draft_with_lines.delete()
    before = catalog_rows()

    response = admin_client.post(
        url("basket_transition", draft_with_lines.pk, "commit"),
        {"work_types": "collect"},
        follow=True,
    )

    assert response.status_code == 200
    assert messages_of(response)[-1] == (
        f"Basket {draft_with_lines.pk} was deleted; restore it before changing its status."
    )
    assert Basket.all_objects.get(pk=draft_with_lines.pk).status == BasketStatus.DRAFT
    assert catalog_rows() == before


def test_a_catalog_item_that_was_ordered_can_be_retired(admin_client, committed):
    item = committed.items.first().catalog_item
    delete = url("catalogitem_delete", item.pk)

    page = admin_client.get(delete)
    assert page.status_code == 200
    assert not page.context["protected"]
    assert page.context["deleted_objects"] == [f"Catalog item: {item}"]

    admin_client.post(delete, {"post": "yes"})

    assert CatalogItem.all_objects.get(pk=item.pk).is_deleted
    assert committed.items.filter(catalog_item=item).exists()  # the order keeps its line


def test_the_delete_action_retires_catalog_items_that_were_ordered(admin_client, committed):
    items = [line.catalog_item for line in committed.items.all()]

    admin_client.post(
        url("catalogitem_changelist"),
        {"action": "delete_selected", "_selected_action": [i.pk for i in items], "post": "yes"},
    )

    assert not CatalogItem.objects.filter(pk__in=[i.pk for i in items]).exists()
    assert CatalogItem.all_objects.filter(pk__in=[i.pk for i in items]).count() == 2
    assert WorkItem.objects.for_basket(committed).exists()
    assert CatalogStateLog.objects.for_(committed).exists()


def test_saving_a_change_form_opened_before_the_delete_keeps_the_row_deleted(
    admin_client, make_catalog_item
):
    item = make_catalog_item(name="Retired")
    change = url("catalogitem_change", item.pk)
    opened_earlier = change_form_data(admin_client, change, name="Renamed")
    item.delete()

    admin_client.post(change, opened_earlier)

    stored = CatalogItem.all_objects.get(pk=item.pk)
    assert stored.name == "Renamed"
    assert stored.is_deleted
