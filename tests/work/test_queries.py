"""Reading the work: the work board's queryset filters and a basket's progress."""

from __future__ import annotations

import pytest

from django_catalog.models import WorkItem, WorkItemStatus
from django_catalog.services import add_item, commit_basket, create_basket
from tests.models import Organization, Visit

pytestmark = pytest.mark.django_db

S = WorkItemStatus


@pytest.fixture
def committed_for(make_catalog_item):
    """Commit a one-line basket for ``context`` and return its work items by type."""

    def commit(context, work_types=("collect", "report")):
        basket = create_basket(context=context)
        add_item(basket, make_catalog_item(name="Full blood count"))
        commit_basket(basket, work_types=list(work_types))
        items = WorkItem.objects.for_basket(basket)
        return basket, {item.work_type: item for item in items}

    return commit


def ids(queryset):
    return {item.pk for item in queryset}


def test_open_excludes_completed_and_cancelled(basket_item):
    def make(role):
        return WorkItem.objects.create(basket_item=basket_item, work_type=role, spawn_role=role)

    pending = make("a")
    in_progress = make("b")
    in_progress.start()
    blocked = make("c")
    blocked.block("no sample")
    completed = make("d")
    completed.start()
    completed.complete()
    cancelled = make("e")
    cancelled.cancel("ordered twice")

    assert ids(WorkItem.objects.open()) == {pending.pk, in_progress.pk, blocked.pk}


def test_for_context_keeps_the_work_of_that_contexts_baskets(committed_for, visit, organization):
    _, mine = committed_for(visit)
    committed_for(Visit.objects.create(organization=organization, patient="Grace"))
    committed_for(None)

    assert ids(WorkItem.objects.for_context(visit)) == {item.pk for item in mine.values()}


def test_for_context_tells_models_with_the_same_key_apart(committed_for, visit):
    # A context of another model whose primary key happens to be equal is someone else's work.
    other = Organization.objects.filter(pk=visit.pk).first() or Organization.objects.create(
        pk=visit.pk, name="Other clinic"
    )
    assert str(other.pk) == str(visit.pk)
    _, mine = committed_for(visit)
    _, theirs = committed_for(other)

    assert ids(WorkItem.objects.for_context(visit)) == {item.pk for item in mine.values()}
    assert ids(WorkItem.objects.for_context(other)) == {item.pk for item in theirs.values()}


def test_assigned_to_user(committed_for, visit, user, other_user):
    _, work = committed_for(visit)
    work["collect"].start(user)
    work["report"].start(other_user)
    _, unassigned = committed_for(visit, work_types=["collect"])

    assert ids(WorkItem.objects.assigned_to_user(user)) == {work["collect"].pk}
    assert ids(WorkItem.objects.assigned_to_user(None)) == {unassigned["collect"].pk}


def test_of_type(committed_for, visit):
    _, first = committed_for(visit)
    _, second = committed_for(visit)

    assert ids(WorkItem.objects.of_type("report")) == {first["report"].pk, second["report"].pk}


def test_filters_chain(committed_for, visit, organization, user):
    _, mine = committed_for(visit)
    _, done = committed_for(visit)
    _, elsewhere = committed_for(Visit.objects.create(organization=organization, patient="Grace"))
    for work in (mine, done, elsewhere):
        work["collect"].start(user)
    done["collect"].complete()

    board = WorkItem.objects.for_context(visit).open().of_type("collect").assigned_to_user(user)

    assert ids(board) == {mine["collect"].pk}
    # Chainable in any order, also after other queryset methods.
    reordered = WorkItem.objects.filter(priority=0).assigned_to_user(user).of_type("collect")
    assert ids(reordered.for_context(visit).open()) == {mine["collect"].pk}


def test_filters_hide_soft_deleted_work(committed_for, visit):
    _, work = committed_for(visit)
    work["report"].delete()

    assert ids(WorkItem.objects.for_context(visit).open()) == {work["collect"].pk}


# --- Basket.work_progress ------------------------------------------------------------------


def test_work_progress_counts_every_status_including_zeros(committed_for, visit):
    basket, _ = committed_for(visit, work_types=["a", "b", "c", "d", "e"])
    work = list(WorkItem.objects.for_basket(basket).order_by("work_type"))
    work[0].start()
    work[1].start()
    work[1].complete()
    work[2].block("waiting")
    work[3].block("waiting too")

    assert basket.work_progress() == {
        "pending": 1,
        "in_progress": 1,
        "blocked": 2,
        "completed": 1,
        "cancelled": 0,
    }


def test_work_progress_of_a_basket_without_work_is_all_zeros(basket):
    assert basket.work_progress() == dict.fromkeys(S.values, 0)


def test_work_progress_ignores_other_baskets_and_deleted_work(committed_for, visit):
    basket, work = committed_for(visit)
    committed_for(visit)
    work["report"].delete()

    assert basket.work_progress() == {**dict.fromkeys(S.values, 0), "pending": 1}


def test_work_progress_is_one_query(committed_for, visit, django_assert_num_queries):
    basket, work = committed_for(visit, work_types=["a", "b", "c"])
    for item in work.values():
        item.start()

    with django_assert_num_queries(1):
        progress = basket.work_progress()

    assert progress["in_progress"] == 3
