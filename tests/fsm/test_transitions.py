"""Statuses change only through transitions, which guard, persist and roll back as a unit."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from django_catalog.models import (
    Basket,
    BasketItem,
    BasketStatus,
    CatalogStateLog,
    WorkItem,
    WorkItemStatus,
)

pytestmark = pytest.mark.django_db


# --- protection -------------------------------------------------------------------------


def test_assigning_basket_status_directly_raises(basket):
    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        basket.status = BasketStatus.COMMITTED
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.DRAFT


def test_assigning_work_item_status_directly_raises(work_item):
    with pytest.raises(AttributeError):
        work_item.status = WorkItemStatus.COMPLETED
    assert WorkItem.objects.get(pk=work_item.pk).status == WorkItemStatus.PENDING


def test_refresh_from_db_still_reloads_a_protected_status(basket_item):
    basket = basket_item.basket
    Basket.objects.get(pk=basket.pk).commit()
    basket.refresh_from_db()
    assert basket.status == BasketStatus.COMMITTED


# --- basket: commit and cancel ----------------------------------------------------------


def test_can_proceed_reports_the_has_lines_guard(basket, catalog_item):
    assert can_proceed(basket.commit, check_conditions=False)
    assert not can_proceed(basket.commit)
    BasketItem.objects.create(basket=basket, catalog_item=catalog_item)
    assert can_proceed(basket.commit)


def test_commit_without_lines_is_refused_and_writes_nothing(basket):
    with pytest.raises(TransitionNotAllowed):
        basket.commit()
    assert basket.status == BasketStatus.DRAFT
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.DRAFT
    assert not CatalogStateLog.objects.exists()


def test_commit_persists_itself_with_its_side_effects(basket_item, user):
    basket = basket_item.basket
    created = basket.commit(by=user, work_types=["collect", "report"])
    fresh = Basket.objects.get(pk=basket.pk)
    assert fresh.status == BasketStatus.COMMITTED
    assert fresh.committed_by == user
    assert fresh.committed_at == basket.committed_at
    assert created == 2
    spawned = WorkItem.objects.filter(basket_item=basket_item)
    assert {w.spawn_role for w in spawned} == {"collect", "report"}


def test_a_following_save_is_harmless(basket_item):
    basket = basket_item.basket
    basket.commit(work_types=["collect"])
    basket.save()
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.COMMITTED
    assert WorkItem.objects.count() == 1
    assert CatalogStateLog.objects.count() == 1


def test_committed_and_cancelled_baskets_cannot_transition(basket_item, basket):
    basket.commit()
    with pytest.raises(TransitionNotAllowed):
        basket.cancel()
    with pytest.raises(TransitionNotAllowed):
        basket.commit()
    other = Basket.objects.create()
    other.cancel()
    with pytest.raises(TransitionNotAllowed):
        other.commit()
    assert Basket.objects.get(pk=other.pk).status == BasketStatus.CANCELLED


def test_cancel_moves_a_draft_to_cancelled(basket):
    basket.cancel()
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.CANCELLED


def test_failed_side_effect_rolls_back_state_and_restores_the_object(
    basket_item, spawn_fails_after_insert
):
    basket = basket_item.basket
    with pytest.raises(RuntimeError):
        basket.commit(work_types=["collect"])
    assert basket.status == BasketStatus.DRAFT
    assert basket.committed_at is None
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.DRAFT
    assert not WorkItem.objects.exists()
    assert not CatalogStateLog.objects.exists()


def test_commit_refuses_bad_work_types_and_writes_nothing(basket_item):
    basket = basket_item.basket
    for bad in ("collect", ["collect", ""], [None], ["x" * 101]):
        with pytest.raises(ValueError, match="work_types"):
            basket.commit(work_types=bad)
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.DRAFT
    assert not WorkItem.objects.exists()
    assert not CatalogStateLog.objects.exists()


def test_a_stale_copy_never_overwrites_a_newer_state(basket_item):
    basket = basket_item.basket
    stale = Basket.objects.get(pk=basket.pk)
    basket.cancel()
    with pytest.raises(ConcurrentTransition):
        stale.commit(work_types=["collect"])
    assert stale.status == BasketStatus.DRAFT  # in-memory state restored
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.CANCELLED
    assert not WorkItem.objects.exists()
    assert CatalogStateLog.objects.count() == 1


def test_a_transition_inside_a_rolled_back_transaction_leaves_nothing(basket_item):
    basket = basket_item.basket
    with pytest.raises(RuntimeError), transaction.atomic():
        basket.commit(work_types=["collect"])
        raise RuntimeError("the caller's request failed later")
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.DRAFT
    assert not WorkItem.objects.exists()
    assert not CatalogStateLog.objects.exists()


# --- work items -------------------------------------------------------------------------


def test_start_accepts_a_positional_user(work_item, user):
    work_item.start(user)
    fresh = WorkItem.objects.get(pk=work_item.pk)
    assert fresh.status == WorkItemStatus.IN_PROGRESS
    assert fresh.assigned_to == user
    assert fresh.started_at is not None


def test_start_only_from_pending(work_item):
    work_item.start()
    with pytest.raises(TransitionNotAllowed):
        work_item.start()
    assert CatalogStateLog.objects.for_(work_item).count() == 1


def test_complete_only_from_in_progress(work_item):
    assert not can_proceed(work_item.complete)
    with pytest.raises(TransitionNotAllowed):
        work_item.complete()
    assert WorkItem.objects.get(pk=work_item.pk).completed_at is None
    work_item.start()
    assert can_proceed(work_item.complete)
    work_item.complete()
    assert WorkItem.objects.get(pk=work_item.pk).status == WorkItemStatus.COMPLETED


def test_completed_work_is_final(work_item):
    work_item.start()
    work_item.complete()
    for name in ("start", "complete", "block", "unblock", "cancel"):
        assert not can_proceed(getattr(work_item, name)), name


def test_work_item_stale_copy_cannot_start_again(work_item, user, other_user):
    stale = WorkItem.objects.get(pk=work_item.pk)
    work_item.start(user)
    with pytest.raises(ConcurrentTransition):
        stale.start(other_user)
    assert WorkItem.objects.get(pk=work_item.pk).assigned_to == user
    assert CatalogStateLog.objects.for_(work_item).count() == 1


def test_failed_transition_restores_cached_relations(basket_item, user, spawn_fails_after_insert):
    basket = basket_item.basket
    with pytest.raises(RuntimeError):
        basket.commit(by=user, work_types=["collect"])
    assert basket.committed_by_id is None
    assert basket.committed_by is None


def test_full_clean_works_with_a_protected_status(basket, work_item):
    basket.full_clean()
    work_item.full_clean()
    assert basket.status == BasketStatus.DRAFT
