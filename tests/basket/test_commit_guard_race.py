"""The first lines of an empty basket racing its commit (PostgreSQL, real concurrent
connections): the guard read by the lock statement never lets an empty basket be committed,
and never leaves a line of a committed basket without its work."""

from __future__ import annotations

import pytest

from django_catalog.exceptions import BasketAlreadyCommittedError, BasketEmptyError
from django_catalog.models import Basket, BasketStatus, CatalogStateLog, WorkItem
from django_catalog.services import add_item, commit_basket, create_basket
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8
WORK_TYPES = ["collect", "report"]


@pytest.mark.parametrize("attempt", range(3))
def test_first_lines_racing_commits_of_an_empty_basket(visit, make_catalog_item, attempt):
    empty = create_basket(context=visit)
    items = [make_catalog_item(name=f"Item {i}") for i in range(WORKERS)]

    def add_or_commit(i: int):
        copy = Basket.objects.get(pk=empty.pk)
        if i % 2:
            return commit_basket(copy, work_types=WORK_TYPES)
        return add_item(copy, items[i])

    outcomes = run_concurrently(add_or_commit, workers=WORKERS)

    committers, adders = outcomes[1::2], outcomes[0::2]
    assert all(isinstance(o.error, BasketEmptyError) for o in committers if not o.ok), committers
    assert all(isinstance(o.error, BasketAlreadyCommittedError) for o in adders if not o.ok), adders
    basket = Basket.objects.get(pk=empty.pk)
    lines = list(basket.items.all())
    assert len(lines) == sum(o.ok for o in adders)
    if basket.status == BasketStatus.COMMITTED:
        assert lines, "an empty basket was committed"
        for line in lines:
            assert sorted(line.work_items.values_list("spawn_role", flat=True)) == WORK_TYPES
        assert CatalogStateLog.objects.for_(basket).count() == 1
    else:
        assert basket.status == BasketStatus.DRAFT
        assert not any(o.ok for o in committers)
        assert not WorkItem.objects.exists()
        assert not CatalogStateLog.objects.for_(basket).exists()
