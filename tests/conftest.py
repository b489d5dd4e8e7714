from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from django_catalog.models import Basket, BasketItem, CatalogItem
from tests.models import Organization, Visit


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are skipped, visibly, when the suite runs on another database."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with CATALOG_TEST_DATABASE=postgres)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="nurse", password="x")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="doctor", password="x")


@pytest.fixture
def organization(db):
    return Organization.objects.create(name="Clinic")


@pytest.fixture
def visit(organization):
    return Visit.objects.create(organization=organization, patient="Ada")


@pytest.fixture
def make_catalog_item(organization):
    def make(**fields):
        fields.setdefault("owner", organization)
        fields.setdefault("name", "Blood Test")
        fields.setdefault("unit_price", Decimal("50.00"))
        return CatalogItem.objects.create(**fields)

    return make


@pytest.fixture
def catalog_item(make_catalog_item):
    return make_catalog_item(code="LAB-001", category="laboratory")


@pytest.fixture
def basket(db):
    return Basket.objects.create()


@pytest.fixture
def basket_item(basket, catalog_item):
    return BasketItem.objects.create(
        basket=basket, catalog_item=catalog_item, unit_price=catalog_item.unit_price
    )


@pytest.fixture
def draft_with_lines(visit, make_catalog_item):
    """A draft basket for a visit with two lines (quantities 1 and 2)."""
    from django_catalog.services import add_item, create_basket

    basket = create_basket(context=visit)
    add_item(basket, make_catalog_item(name="Blood Test"), quantity=1)
    add_item(basket, make_catalog_item(name="X-Ray", unit_price=Decimal("120.00")), quantity=2)
    return basket
