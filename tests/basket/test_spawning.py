"""insert_work_items: the work items one INSERT ... SELECT writes are those a save would write."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from django_catalog.models import BasketItem, WorkItem, WorkItemStatus
from django_catalog.spawning import _bulk_create_work_items, insert_work_items

pytestmark = pytest.mark.django_db

ROLES = ["collect", "process", "report"]


@pytest.fixture
def lines(basket, catalog_item):
    BasketItem.objects.bulk_create(
        [BasketItem(basket=basket, catalog_item=catalog_item) for _ in range(4)]
    )
    return BasketItem.objects.filter(basket=basket)


def spawned(lines):
    return WorkItem.all_objects.filter(basket_item__in=lines)


def test_spawns_one_pending_item_per_line_and_role(lines):
    created = insert_work_items(lines, ROLES)

    assert created == 12
    pairs = set(spawned(lines).values_list("basket_item_id", "spawn_role", "work_type"))
    assert pairs == {(line.pk, role, role) for line in lines for role in ROLES}
    assert set(spawned(lines).values_list("status", flat=True)) == {WorkItemStatus.PENDING}


def test_spawned_items_get_random_version_4_ids(lines):
    insert_work_items(lines, ROLES)

    ids = list(spawned(lines).values_list("id", flat=True))
    assert len(set(ids)) == 12
    assert all(isinstance(pk, uuid.UUID) for pk in ids)
    assert {(pk.version, pk.variant) for pk in ids} == {(4, uuid.RFC_4122)}


def test_spawned_items_have_the_defaults_a_save_gives(lines):
    line = lines.first()
    saved = WorkItem.objects.create(basket_item=line, work_type="reference", spawn_role="reference")

    insert_work_items(lines, ["collect"])

    item = spawned(lines).get(basket_item=line, spawn_role="collect")
    varying = {"id", "created_at", "updated_at", "work_type", "spawn_role"}
    for field in WorkItem._meta.concrete_fields:
        if field.attname not in varying:
            assert getattr(item, field.attname) == getattr(saved, field.attname), field.name


def test_spawned_items_are_timestamped_now(lines):
    before = timezone.now()

    insert_work_items(lines, ["collect"])

    after = timezone.now()
    for item in spawned(lines):
        assert before <= item.created_at <= after
        assert before <= item.updated_at <= after
        assert item.deleted_at is None


def test_existing_line_and_role_pairs_are_skipped(lines):
    line = lines.first()
    existing = WorkItem.objects.create(basket_item=line, work_type="collect", spawn_role="collect")
    existing.delete()  # soft-deleted: the pair still exists

    created = insert_work_items(lines, ROLES)

    assert created == 11
    assert spawned(lines).filter(basket_item=line, spawn_role="collect").get() == existing


def test_a_second_run_creates_nothing(lines):
    insert_work_items(lines, ROLES)

    assert insert_work_items(lines, ROLES) == 0
    assert spawned(lines).count() == 12


def test_only_the_lines_of_the_queryset_get_work(lines):
    removed = lines.first()
    removed.delete()  # soft-deleted line: the default manager no longer lists it

    insert_work_items(BasketItem.objects.filter(basket=removed.basket), ROLES)

    assert not WorkItem.all_objects.filter(basket_item=removed).exists()
    assert spawned(lines).count() == 9


def test_no_roles_inserts_nothing(lines):
    assert insert_work_items(lines, []) == 0
    assert not spawned(lines).exists()


def test_the_bulk_create_fallback_gives_the_same_rows(lines):
    line = lines.first()
    WorkItem.objects.create(basket_item=line, work_type="collect", spawn_role="collect")

    created = _bulk_create_work_items(lines, ROLES)

    assert created == 11
    pairs = set(spawned(lines).values_list("basket_item_id", "spawn_role"))
    assert pairs == {(line.pk, role) for line in lines for role in ROLES}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_commits_spawn_each_work_item_once(catalog_item, user):
    from django_catalog.models import Basket, CatalogStateLog
    from django_catalog.services import commit_basket
    from tests.bulk_data import draft_basket_with_lines
    from tests.concurrency import run_concurrently

    basket = draft_basket_with_lines(50, catalog_item)

    outcomes = run_concurrently(
        lambda i: commit_basket(Basket.objects.get(pk=basket.pk), work_types=ROLES).pk, workers=8
    )

    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert WorkItem.objects.for_basket(basket).count() == 50 * len(ROLES)
    assert CatalogStateLog.objects.for_(basket).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_commits_of_stale_copies_leave_one_commit_and_no_duplicates(catalog_item):
    """Without the service's lock, the losers' inserts skip the winner's rows, then roll back."""
    from django_fsm import ConcurrentTransition

    from django_catalog.models import Basket, CatalogStateLog
    from tests.bulk_data import draft_basket_with_lines
    from tests.concurrency import run_concurrently

    basket = draft_basket_with_lines(50, catalog_item)
    copies = [Basket.objects.get(pk=basket.pk) for _ in range(8)]

    outcomes = run_concurrently(lambda i: copies[i].commit(work_types=ROLES), workers=8)

    assert sum(o.ok for o in outcomes) == 1
    assert all(isinstance(o.error, ConcurrentTransition) for o in outcomes if not o.ok)
    assert WorkItem.objects.for_basket(basket).count() == 50 * len(ROLES)
    assert CatalogStateLog.objects.for_(basket).count() == 1
