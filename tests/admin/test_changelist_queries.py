"""Every list page costs the same number of queries whatever the number of rows on it.

The rows' names read related rows (a work item names its item and its basket's visit, a
generic relation), so each page loads them up front; a page that read them row by row
would cost more queries with more rows, and fail here.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_catalog.models import DispenseLog, WorkItem
from django_catalog.services import add_item, commit_basket, create_basket, start_work_item
from tests.admin.pages import url
from tests.models import Visit

pytestmark = pytest.mark.django_db

CHANGELISTS = ["catalogitem", "basket", "basketitem", "workitem", "dispenselog", "catalogstatelog"]


@pytest.fixture
def place_orders(organization, routed_catalog, user):
    """Add ``count`` committed orders, each for its own visit, with work under way."""

    def place(count: int) -> None:
        for _ in range(count):
            visit = Visit.objects.create(organization=organization, patient="Ada")
            basket = create_basket(context=visit)
            add_item(basket, routed_catalog["blood"])
            medicine = add_item(basket, routed_catalog["medicine"], quantity=2)
            commit_basket(basket, committed_by=user)
            start_work_item(WorkItem.objects.get(basket_item=medicine), by=user)
            DispenseLog.objects.create(
                basket_item=medicine, quantity_dispensed=1, dispensed_by=user
            )

    return place


def queries_for(client, address: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_a_list_page_costs_the_same_queries_for_more_rows(admin_client, place_orders, changelist):
    address = url(f"{changelist}_changelist")
    place_orders(2)
    queries_for(admin_client, address)  # warms per-process caches (content types)
    few = queries_for(admin_client, address)

    place_orders(6)
    many = queries_for(admin_client, address)

    assert many == few


def test_the_work_list_filtered_by_basket_costs_the_same_queries_for_more_rows(
    admin_client, place_orders, routed_draft, routed_catalog
):
    for _ in range(3):
        add_item(routed_draft, routed_catalog["xray"])
    commit_basket(routed_draft)
    address = f"{url('workitem_changelist')}?basket={routed_draft.pk}"
    place_orders(1)
    queries_for(admin_client, address)
    few = queries_for(admin_client, address)

    place_orders(6)
    many = queries_for(admin_client, address)

    assert many == few
