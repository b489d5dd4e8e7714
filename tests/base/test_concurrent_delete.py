"""Soft delete and restore under real concurrency (PostgreSQL, one connection per worker)."""

from __future__ import annotations

import pytest

from django_catalog.models import CatalogItem
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_deletes_stamp_one_timestamp_that_every_copy_learns(catalog_item):
    copies = [CatalogItem.objects.get(pk=catalog_item.pk) for _ in range(8)]

    outcomes = run_concurrently(lambda i: copies[i].delete()[0], workers=8)

    assert all(outcome.ok for outcome in outcomes), [o.error for o in outcomes]
    assert sum(outcome.value for outcome in outcomes) == 1
    stored = CatalogItem.all_objects.get(pk=catalog_item.pk).deleted_at
    assert stored is not None
    assert {copy.deleted_at for copy in copies} == {stored}


def test_saves_of_copies_loaded_before_the_delete_do_not_resurrect_it(catalog_item):
    copies = [CatalogItem.objects.get(pk=catalog_item.pk) for _ in range(7)]

    def work(i):
        if i == 0:
            return CatalogItem.objects.get(pk=catalog_item.pk).delete()
        copies[i - 1].sort_order = i
        copies[i - 1].save()

    outcomes = run_concurrently(work, workers=8)

    assert all(outcome.ok for outcome in outcomes), [o.error for o in outcomes]
    assert CatalogItem.all_objects.get(pk=catalog_item.pk).is_deleted
