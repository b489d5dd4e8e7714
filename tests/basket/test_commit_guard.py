"""The "has lines" guard of a commit, read by commit_basket's lock statement, holds at every
door: the service, the transition called directly, a stale copy, a caller's transaction."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_fsm import TransitionNotAllowed

from django_catalog.exceptions import BasketEmptyError
from django_catalog.models import Basket, BasketItem, BasketStatus, CatalogStateLog, WorkItem
from django_catalog.models.basket import HAS_LINES_ANNOTATION
from django_catalog.services import commit_basket, create_basket

pytestmark = pytest.mark.django_db

LINES_TABLE = BasketItem._meta.db_table


def assert_still_an_untouched_draft(basket):
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.DRAFT
    assert not WorkItem.objects.exists()
    assert not CatalogStateLog.objects.exists()


def test_commit_basket_reads_the_guard_in_its_lock_statement(basket_item):
    with CaptureQueriesContext(connection) as queries:
        commit_basket(basket_item.basket, work_types=["collect"])

    selects = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 1
    assert "EXISTS" in selects[0]
    assert LINES_TABLE in selects[0]
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in selects[0]


def test_commit_basket_refuses_a_basket_whose_lines_are_all_soft_deleted(basket_item):
    basket_item.delete()

    with pytest.raises(BasketEmptyError):
        commit_basket(basket_item.basket, work_types=["collect"])

    assert_still_an_untouched_draft(basket_item.basket)


def test_commit_basket_commits_a_basket_with_one_live_line_among_deleted_ones(
    basket_item, catalog_item
):
    deleted = BasketItem.objects.create(basket=basket_item.basket, catalog_item=catalog_item)
    deleted.delete()

    commit_basket(basket_item.basket, work_types=["collect"])

    assert WorkItem.objects.get().basket_item == basket_item


def test_the_transition_called_directly_asks_the_database(basket_item):
    basket = Basket.objects.get(pk=basket_item.basket_id)
    basket_item.delete()

    with pytest.raises(TransitionNotAllowed):
        basket.commit(work_types=["collect"])

    assert_still_an_untouched_draft(basket)


def test_a_stale_copy_is_checked_against_the_lines_it_has_now(basket_item):
    stale = Basket.objects.get(pk=basket_item.basket_id)
    BasketItem.objects.filter(pk=basket_item.pk).delete()  # plain ORM, behind its back

    with pytest.raises(BasketEmptyError):
        commit_basket(stale, work_types=["collect"])
    with pytest.raises(TransitionNotAllowed):
        stale.commit(work_types=["collect"])

    assert_still_an_untouched_draft(stale)


def test_the_answer_read_by_the_lock_never_reaches_the_callers_object(basket_item):
    basket = basket_item.basket

    returned = commit_basket(basket, work_types=["collect"])

    assert returned is basket
    assert HAS_LINES_ANNOTATION not in basket.__dict__


def test_a_refused_commit_inside_a_callers_transaction_leaves_it_usable(basket):
    with transaction.atomic():
        kept = create_basket(notes="ordered in the same request")
        with pytest.raises(BasketEmptyError):
            commit_basket(basket)
        assert Basket.objects.filter(pk=kept.pk).exists()

    assert Basket.objects.get(pk=kept.pk).notes == "ordered in the same request"
    assert_still_an_untouched_draft(basket)
