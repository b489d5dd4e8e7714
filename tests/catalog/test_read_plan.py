"""The catalog read ``for_owner(...).available().by_category(...)`` is served by an index.

The plan is checked on 100,000 items with fresh statistics (ANALYZE), the planner left free
to choose: nothing is switched off to force an index.
"""

from __future__ import annotations

import pytest
from django.db import connection

from django_catalog.models import CatalogItem
from tests.bulk_data import analyze, insert_catalog

pytestmark = pytest.mark.django_db

CATALOG_SIZE = 100_000
OWNER_CATEGORY_INDEX = "catalog_item_owner_category"
# How each backend's plan says it reads the whole table.
FULL_SCAN = {"postgresql": "Seq Scan", "sqlite": "SCAN django_catalog_catalogitem"}


@pytest.fixture
def large_catalog():
    organizations = insert_catalog(CATALOG_SIZE, owners=100, categories=20)
    analyze()
    return organizations


def catalog_read(owner):
    return CatalogItem.objects.for_owner(owner).available().by_category("category-3")


def test_catalog_read_uses_the_owner_category_index(large_catalog):
    read = catalog_read(large_catalog[5])

    plan = read.explain()

    assert read.exists()
    # Not the owner-only or category-only index (1,000 / 5,000 rows to visit, not ~50).
    assert OWNER_CATEGORY_INDEX in plan
    assert FULL_SCAN[connection.vendor] not in plan
