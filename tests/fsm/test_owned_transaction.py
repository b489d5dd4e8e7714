"""A transition adds no savepoint inside a block opened with ``owned_transaction()``, and keeps
its savepoint everywhere else, so that a caller who catches its failure can go on."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from django_catalog.fsm import owned_transaction
from django_catalog.models import Basket, BasketStatus, CatalogStateLog, WorkItem

pytestmark = pytest.mark.django_db


def savepoints(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_a_transition_directly_inside_an_owned_block_adds_no_savepoint(basket_item):
    with owned_transaction(), CaptureQueriesContext(connection) as queries:
        basket_item.basket.commit(work_types=["collect"])

    assert savepoints(queries) == []
    assert Basket.objects.get(pk=basket_item.basket_id).status == BasketStatus.COMMITTED


def test_a_transition_inside_a_callers_block_keeps_its_savepoint(basket_item):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        basket_item.basket.commit(work_types=["collect"])

    assert [sql.split()[0] for sql in savepoints(queries)] == ["SAVEPOINT", "RELEASE"]


def test_a_block_nested_inside_an_owned_block_is_not_owned(basket_item):
    with owned_transaction(), transaction.atomic(), CaptureQueriesContext(connection) as queries:
        basket_item.basket.commit(work_types=["collect"])

    assert [sql.split()[0] for sql in savepoints(queries)] == ["SAVEPOINT", "RELEASE"]


def test_an_owned_block_is_forgotten_once_left(basket_item):
    with owned_transaction():
        pass

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        basket_item.basket.commit(work_types=["collect"])

    assert len(savepoints(queries)) == 2


def test_a_failed_transition_rolls_the_whole_owned_block_back(
    basket_item, spawn_fails_after_insert
):
    basket = basket_item.basket
    with pytest.raises(RuntimeError), owned_transaction():
        Basket.objects.filter(pk=basket.pk).update(notes="written before the transition")
        basket.commit(work_types=["collect"])

    assert basket.status == BasketStatus.DRAFT  # the object is put back as it was
    assert basket.committed_at is None
    fresh = Basket.objects.get(pk=basket.pk)
    assert (fresh.status, fresh.notes) == (BasketStatus.DRAFT, "")
    assert not WorkItem.objects.exists()
    assert not CatalogStateLog.objects.exists()


def test_a_caller_who_catches_a_direct_transitions_failure_keeps_its_transaction(
    basket_item, spawn_fails_after_insert
):
    basket = basket_item.basket
    with transaction.atomic():
        Basket.objects.filter(pk=basket.pk).update(notes="kept")
        with pytest.raises(RuntimeError):
            basket.commit(work_types=["collect"])
        # The transaction is still usable, and what the caller wrote before is still there.
        assert Basket.objects.get(pk=basket.pk).notes == "kept"

    fresh = Basket.objects.get(pk=basket.pk)
    assert (fresh.status, fresh.notes) == (BasketStatus.DRAFT, "kept")
    assert basket.status == BasketStatus.DRAFT
    assert not WorkItem.objects.exists()
    assert not CatalogStateLog.objects.exists()
