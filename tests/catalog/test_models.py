"""The specification's catalog-item model tests: fields, defaults, queries, soft delete, __str__."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType

from django_catalog.models import (
    CatalogItem,
)
from tests.models import Organization

pytestmark = pytest.mark.django_db


# --- CatalogItem -------------------------------------------------------------------------


def test_catalog_item_creation(organization):
    item = CatalogItem.objects.create(owner=organization, name="Blood Test")
    item.refresh_from_db()
    assert item.name == "Blood Test"
    assert item.code == ""
    assert item.currency == "USD"
    assert item.created_at is not None


def test_catalog_item_has_uuid_pk(catalog_item):
    assert isinstance(catalog_item.pk, uuid.UUID)
    assert catalog_item.pk.version == 4


def test_catalog_item_owner_generic_fk(catalog_item, organization):
    item = CatalogItem.objects.get(pk=catalog_item.pk)
    assert item.owner == organization
    assert item.owner_content_type == ContentType.objects.get_for_model(Organization)
    assert item.owner_id == str(organization.pk)


def test_catalog_item_price_optional(organization):
    item = CatalogItem.objects.create(owner=organization, name="Advice", unit_price=None)
    item.refresh_from_db()
    assert item.unit_price is None


def test_catalog_item_is_available_default(organization):
    item = CatalogItem.objects.create(owner=organization, name="Blood Test")
    assert item.is_available is True


def test_catalog_item_soft_delete(catalog_item):
    catalog_item.delete()
    assert catalog_item.is_deleted
    assert not CatalogItem.objects.filter(pk=catalog_item.pk).exists()
    assert CatalogItem.all_objects.get(pk=catalog_item.pk).deleted_at is not None


def test_catalog_item_ordering(make_catalog_item):
    make_catalog_item(name="B", sort_order=1)
    make_catalog_item(name="A", sort_order=1)
    make_catalog_item(name="Z", sort_order=0)
    assert [i.name for i in CatalogItem.objects.all()] == ["Z", "A", "B"]


def test_catalog_item_for_owner_query(make_catalog_item, organization):
    other = Organization.objects.create(name="Other")
    mine = make_catalog_item(name="Mine")
    make_catalog_item(name="Theirs", owner=other)
    assert list(CatalogItem.objects.for_owner(organization)) == [mine]


def test_catalog_item_available_query(make_catalog_item):
    available = make_catalog_item(name="On")
    make_catalog_item(name="Off", is_available=False)
    assert list(CatalogItem.objects.available()) == [available]


def test_catalog_item_by_category_query(make_catalog_item):
    lab = make_catalog_item(name="CBC", category="laboratory")
    make_catalog_item(name="MRI", category="imaging")
    assert list(CatalogItem.objects.by_category("laboratory")) == [lab]


def test_catalog_item_metadata_json(organization):
    item = CatalogItem.objects.create(
        owner=organization, name="CBC", metadata={"tube": "lavender", "volume_ml": 3}
    )
    item.refresh_from_db()
    assert item.metadata == {"tube": "lavender", "volume_ml": 3}


def test_catalog_item_str_representation(catalog_item):
    assert str(catalog_item) == "Blood Test"
