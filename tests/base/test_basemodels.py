"""The UUID / timestamp / soft-delete base-model contract."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from django_catalog.models import Basket, CatalogItem
from tests.models import Organization

pytestmark = pytest.mark.django_db


def test_delete_stamps_deleted_at_and_bumps_updated_at(catalog_item):
    updated = catalog_item.updated_at
    catalog_item.delete()
    stored = CatalogItem.all_objects.get(pk=catalog_item.pk)
    assert stored.deleted_at is not None
    assert stored.updated_at > updated
    assert stored.is_deleted


def test_a_second_delete_keeps_the_first_timestamp(catalog_item):
    catalog_item.delete()
    first = CatalogItem.all_objects.get(pk=catalog_item.pk).deleted_at
    CatalogItem.all_objects.get(pk=catalog_item.pk).delete()
    assert CatalogItem.all_objects.get(pk=catalog_item.pk).deleted_at == first


def test_restore_undeletes(catalog_item):
    catalog_item.delete()
    catalog_item.restore()
    assert CatalogItem.objects.filter(pk=catalog_item.pk).exists()
    assert not catalog_item.is_deleted


def test_hard_delete_removes_the_row(catalog_item):
    catalog_item.hard_delete()
    assert not CatalogItem.all_objects.filter(pk=catalog_item.pk).exists()


def test_queryset_delete_soft_deletes(make_catalog_item):
    make_catalog_item(name="A", category="lab")
    make_catalog_item(name="B", category="lab")
    keep = make_catalog_item(name="C", category="imaging")
    count, per_model = CatalogItem.objects.by_category("lab").delete()
    assert count == 2
    assert per_model == {"django_catalog.CatalogItem": 2}
    assert list(CatalogItem.objects.all()) == [keep]
    assert CatalogItem.all_objects.count() == 3


def test_queryset_delete_keeps_earlier_deletion_timestamps(make_catalog_item):
    early = make_catalog_item(name="A")
    early.delete()
    first = CatalogItem.all_objects.get(pk=early.pk).deleted_at
    make_catalog_item(name="B")
    assert CatalogItem.all_objects.all().delete()[0] == 1
    assert CatalogItem.all_objects.get(pk=early.pk).deleted_at == first


def test_queryset_hard_delete_really_deletes(make_catalog_item):
    make_catalog_item(name="A")
    CatalogItem.objects.all().hard_delete()
    assert not CatalogItem.all_objects.exists()


def test_queryset_restore(make_catalog_item):
    item = make_catalog_item(name="A")
    item.delete()
    assert CatalogItem.all_objects.deleted_only().restore() == 1
    assert CatalogItem.objects.get() == item


def test_with_deleted_and_deleted_only_chain_with_catalog_filters(make_catalog_item, organization):
    other = Organization.objects.create(name="Other")
    live = make_catalog_item(name="Live")
    gone = make_catalog_item(name="Gone")
    make_catalog_item(name="Elsewhere", owner=other).delete()
    gone.delete()

    assert list(CatalogItem.objects.for_owner(organization).available()) == [live]
    assert set(CatalogItem.objects.for_owner(organization).with_deleted()) == {live, gone}
    assert set(CatalogItem.objects.with_deleted().for_owner(organization).available()) == {
        live,
        gone,
    }
    assert list(CatalogItem.objects.for_owner(organization).deleted_only()) == [gone]
    assert list(CatalogItem.all_objects.deleted_only().for_owner(organization)) == [gone]


def test_soft_deleted_lines_do_not_count_for_a_basket(basket, catalog_item):
    from django_catalog.models import BasketItem

    line = BasketItem.objects.create(basket=basket, catalog_item=catalog_item)
    line.delete()
    assert Basket.objects.get(pk=basket.pk).total_items == 0


# --- only delete() and restore() write deleted_at ------------------------------------------


def test_a_stale_copys_save_does_not_resurrect_a_retired_item(catalog_item):
    stale = CatalogItem.objects.get(pk=catalog_item.pk)
    catalog_item.delete()

    stale.name = "Blood Test (renamed)"
    stale.save()

    stored = CatalogItem.all_objects.get(pk=catalog_item.pk)
    assert stored.is_deleted
    assert stored.name == "Blood Test (renamed)"


def test_a_stale_copys_save_does_not_delete_a_restored_item(catalog_item):
    catalog_item.delete()
    stale = CatalogItem.all_objects.get(pk=catalog_item.pk)
    catalog_item.restore()

    stale.save()

    assert not CatalogItem.all_objects.get(pk=catalog_item.pk).is_deleted


def test_save_with_update_fields_naming_deleted_at_leaves_it_alone(catalog_item):
    catalog_item.deleted_at = catalog_item.created_at

    catalog_item.save(update_fields=["deleted_at", "name"])

    assert not CatalogItem.all_objects.get(pk=catalog_item.pk).is_deleted


def test_a_stale_second_delete_keeps_the_first_timestamp_and_learns_it(catalog_item):
    stale = CatalogItem.objects.get(pk=catalog_item.pk)
    catalog_item.delete()
    first = CatalogItem.all_objects.get(pk=catalog_item.pk).deleted_at

    count, _ = stale.delete()

    assert count == 0
    assert CatalogItem.all_objects.get(pk=catalog_item.pk).deleted_at == first
    assert stale.deleted_at == first


def test_delete_writes_only_the_deletion_stamps(catalog_item):
    stale = CatalogItem.objects.get(pk=catalog_item.pk)
    CatalogItem.objects.filter(pk=catalog_item.pk).update(name="Renamed elsewhere")

    stale.delete()

    assert CatalogItem.all_objects.get(pk=catalog_item.pk).name == "Renamed elsewhere"


def test_restore_writes_only_the_deletion_stamps(catalog_item):
    catalog_item.delete()
    CatalogItem.all_objects.filter(pk=catalog_item.pk).update(name="Renamed elsewhere")

    catalog_item.restore()

    stored = CatalogItem.objects.get(pk=catalog_item.pk)
    assert stored.name == "Renamed elsewhere"
    assert catalog_item.deleted_at is None


def test_saving_a_row_that_no_longer_exists_does_not_insert_it_again(catalog_item):
    stale = CatalogItem.objects.get(pk=catalog_item.pk)
    catalog_item.hard_delete()

    with pytest.raises(DatabaseError), transaction.atomic():
        stale.save()

    assert not CatalogItem.all_objects.filter(pk=stale.pk).exists()
