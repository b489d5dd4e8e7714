"""The README's concurrency example, served as a real view through Django's test client."""

from __future__ import annotations

import sys
import types
from decimal import Decimal

import pytest
from django.urls import path

from django_catalog.models import Basket, BasketItem, CatalogStateLog, WorkItem
from tests.models import Visit
from tests.readme.readme import python_blocks, run_python

HEADING = "## Concurrency and idempotency"


@pytest.fixture
def order_item_url(settings, monkeypatch):
    """Route ``visits/<id>/orders`` to the README's view; its ``clinic.models`` is ours."""
    monkeypatch.setitem(sys.modules, "clinic", types.ModuleType("clinic"))
    monkeypatch.setitem(sys.modules, "clinic.models", types.SimpleNamespace(Visit=Visit))
    (code,) = python_blocks(HEADING)
    views = run_python(code, {"__name__": "readme_views"}, HEADING)
    urls = types.ModuleType("readme_urls")
    urls.urlpatterns = [path("visits/<int:visit_id>/orders", views["order_item"])]
    settings.ROOT_URLCONF = urls
    return lambda visit: f"/visits/{visit.pk}/orders"


@pytest.fixture
def order(client, user, order_item_url, catalog_item, visit):
    """POST an order of ``catalog_item`` for ``visit`` (or other ones) with an idempotency key."""
    client.force_login(user)

    def post(key="order-7f3a", visit=visit, item=catalog_item, quantity="2"):
        return client.post(
            order_item_url(visit),
            {"item": str(item.pk), "quantity": quantity},
            headers={"Idempotency-Key": key},
        )

    return post


@pytest.mark.django_db(transaction=True)
def test_first_request_commits_a_basket_with_its_line_and_work(order, user, visit):
    response = order()

    assert response.status_code == 201
    basket = Basket.objects.get(pk=response.json()["basket"])
    assert response.json()["status"] == basket.status == "committed"
    assert basket.context == visit
    assert basket.committed_by == user
    (line,) = basket.items.all()
    assert line.quantity == Decimal("2")
    assert sorted(WorkItem.objects.for_basket(basket).values_list("work_type", flat=True)) == [
        "collect",
        "report",
    ]


@pytest.mark.django_db(transaction=True)
def test_retried_request_gets_the_same_basket_and_writes_nothing(order):
    first = order()

    retry = order()

    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert Basket.objects.count() == 1
    assert BasketItem.objects.count() == 1
    assert WorkItem.objects.count() == 2
    assert CatalogStateLog.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["quantity", "visit", "item"])
def test_same_key_for_another_order_is_a_conflict(order, change, organization, make_catalog_item):
    basket_id = order().json()["basket"]
    other = {
        "quantity": {"quantity": "5"},
        "visit": {"visit": Visit.objects.create(organization=organization, patient="Bo")},
        "item": {"item": make_catalog_item(name="Chest X-Ray", code="IMG-001")},
    }[change]

    response = order(**other)

    assert response.status_code == 409
    assert response.json()["basket"] == basket_id
    assert Basket.objects.count() == 1
    assert BasketItem.objects.count() == 1
    assert CatalogStateLog.objects.count() == 1
