"""The seven concurrency guarantees, each proven on PostgreSQL with real concurrent connections.

Every test releases at least 8 workers at once (``tests.concurrency.run_concurrently``: one
thread and one database connection per worker, held at a barrier until all are ready) and
then checks what the database holds, not what the workers believe.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models.signals import post_init
from django_fsm import ConcurrentTransition

from django_catalog.exceptions import (
    BasketAlreadyCommittedError,
    BasketCancelledError,
    BasketStateError,
    IdempotencyKeyConflictError,
    WorkItemStateError,
)
from django_catalog.models import (
    Basket,
    BasketItem,
    BasketStatus,
    CatalogStateLog,
    WorkItem,
    WorkItemStatus,
)
from django_catalog.services import (
    add_item,
    cancel_basket,
    commit_basket,
    create_basket,
    start_work_item,
)
from tests.concurrency import Outcome, run_concurrently
from tests.models import Visit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8
WORK_TYPES = ["collect", "process", "report"]


def errors(outcomes: list[Outcome]) -> list[BaseException]:
    return [o.error for o in outcomes if o.error is not None]


def values(outcomes: list[Outcome]) -> list:
    return [o.value for o in outcomes if o.ok]


def audit_rows(obj) -> list[CatalogStateLog]:
    return list(CatalogStateLog.objects.for_(obj))


@pytest.fixture
def make_draft(visit, make_catalog_item):
    """Build a draft basket with ``lines`` lines, each for its own catalog item."""

    def make(lines: int = 2) -> Basket:
        basket = create_basket(context=visit)
        for n in range(lines):
            add_item(basket, make_catalog_item(name=f"Test {n}"), quantity=n + 1)
        return basket

    return make


# --- 1. create_basket with one idempotency key ------------------------------------------


def test_same_idempotency_key_creates_exactly_one_basket_and_every_caller_gets_it(visit):
    outcomes = run_concurrently(
        lambda i: create_basket(context=visit, idempotency_key="visit-1-order", notes="fasting"),
        workers=WORKERS,
    )

    assert errors(outcomes) == []
    stored = Basket.all_objects.get(idempotency_key="visit-1-order")
    assert {basket.pk for basket in values(outcomes)} == {stored.pk}
    assert Basket.all_objects.count() == 1


def test_same_idempotency_key_inside_callers_transactions_creates_exactly_one_basket(visit):
    """As under ``ATOMIC_REQUESTS``: each caller's insert waits for the winner's transaction."""

    def create_in_request(_: int) -> Basket:
        with transaction.atomic():
            return create_basket(context=visit, idempotency_key="visit-1-order")

    outcomes = run_concurrently(create_in_request, workers=WORKERS)

    assert errors(outcomes) == []
    assert len({basket.pk for basket in values(outcomes)}) == 1
    assert Basket.all_objects.count() == 1


# --- 2. an idempotency key reused with other parameters ---------------------------------


def test_key_reused_for_other_contexts_is_a_conflict_and_never_returns_another_contexts_basket(
    organization,
):
    visits = [Visit.objects.create(organization=organization, patient=f"P{i}") for i in range(8)]

    outcomes = run_concurrently(
        lambda i: create_basket(context=visits[i], idempotency_key="shared-key"), workers=WORKERS
    )

    stored = Basket.all_objects.get(idempotency_key="shared-key")
    winners = [o for o in outcomes if o.ok]
    assert len(winners) == 1
    assert winners[0].value.pk == stored.pk
    assert stored.context == visits[winners[0].index]
    losers = [o.error for o in outcomes if not o.ok]
    assert len(losers) == WORKERS - 1
    for error in losers:
        assert isinstance(error, IdempotencyKeyConflictError)
        assert error.idempotency_key == "shared-key"
        assert error.basket_id == stored.pk
        assert error.fields == ["context"]
    assert Basket.all_objects.count() == 1


def test_key_reused_with_other_notes_or_metadata_conflicts_while_same_replays_succeed(visit):
    variants = [
        {"notes": "", "metadata": {}},
        {"notes": "urgent", "metadata": {}},
        {"notes": "", "metadata": {"ward": "3B"}},
        {"notes": "", "metadata": {}},
    ] * 2

    outcomes = run_concurrently(
        lambda i: create_basket(context=visit, idempotency_key="k", **variants[i]), workers=8
    )

    stored = Basket.all_objects.get(idempotency_key="k")
    stored_params = {"notes": stored.notes, "metadata": stored.metadata}
    for outcome in outcomes:
        if variants[outcome.index] == stored_params:
            assert outcome.ok, outcome.error
            assert outcome.value.pk == stored.pk
        else:
            assert isinstance(outcome.error, IdempotencyKeyConflictError)
            assert outcome.error.basket_id == stored.pk
            assert outcome.error.fields in (["notes"], ["metadata"], ["notes", "metadata"])
    assert Basket.all_objects.count() == 1


# --- 3. commit_basket on one basket ------------------------------------------------------


def test_concurrent_commits_commit_once_with_one_audit_row_and_all_work_items(make_draft, user):
    draft = make_draft(lines=3)
    copies = [Basket.objects.get(pk=draft.pk) for _ in range(WORKERS)]

    outcomes = run_concurrently(
        lambda i: commit_basket(copies[i], committed_by=user, work_types=WORK_TYPES),
        workers=WORKERS,
    )

    assert errors(outcomes) == []
    assert all(basket.status == BasketStatus.COMMITTED for basket in values(outcomes))
    basket = Basket.objects.get(pk=draft.pk)
    assert basket.is_committed
    [log] = audit_rows(basket)
    assert (log.transition, log.source_state, log.state) == ("commit", "draft", "committed")
    work = WorkItem.objects.for_basket(basket)
    assert work.count() == 3 * len(WORK_TYPES)
    for line in basket.items.all():
        assert sorted(line.work_items.values_list("spawn_role", flat=True)) == sorted(WORK_TYPES)


def test_concurrent_model_commits_through_stale_copies_commit_once(make_draft):
    """The transition itself, without the service's row lock: losers see ConcurrentTransition."""
    draft = make_draft(lines=2)
    copies = [Basket.objects.get(pk=draft.pk) for _ in range(WORKERS)]

    outcomes = run_concurrently(lambda i: copies[i].commit(work_types=WORK_TYPES), workers=WORKERS)

    assert len([o for o in outcomes if o.ok]) == 1
    assert all(isinstance(error, ConcurrentTransition) for error in errors(outcomes))
    basket = Basket.objects.get(pk=draft.pk)
    assert basket.is_committed
    assert len(audit_rows(basket)) == 1
    assert WorkItem.objects.for_basket(basket).count() == 2 * len(WORK_TYPES)


# --- 4. add_item racing commit_basket ---------------------------------------------------


@pytest.mark.parametrize("committers", [1, 4])
def test_add_item_racing_commit_either_gets_work_items_or_is_refused(
    make_draft, make_catalog_item, committers
):
    draft = make_draft(lines=1)
    extra_items = [make_catalog_item(name=f"Extra {i}") for i in range(WORKERS)]

    def add_or_commit(i: int):
        copy = Basket.objects.get(pk=draft.pk)
        if i < committers:
            return commit_basket(copy, work_types=WORK_TYPES)
        return add_item(copy, extra_items[i])

    outcomes = run_concurrently(add_or_commit, workers=WORKERS)

    basket = Basket.objects.get(pk=draft.pk)
    assert basket.is_committed
    assert all(o.ok for o in outcomes[:committers]), errors(outcomes[:committers])
    added = [o.value.pk for o in outcomes[committers:] if o.ok]
    refused = [o.error for o in outcomes[committers:] if not o.ok]
    assert all(isinstance(error, BasketAlreadyCommittedError) for error in refused), refused
    assert len(added) + len(refused) == WORKERS - committers
    lines = list(basket.items.all())
    assert {line.pk for line in lines} >= set(added)
    assert len(lines) == 1 + len(added)
    for line in lines:
        assert sorted(line.work_items.values_list("spawn_role", flat=True)) == sorted(WORK_TYPES)
    assert len(audit_rows(basket)) == 1


# --- 5. cancel_basket racing commit_basket ----------------------------------------------


def test_cancel_racing_commit_has_one_winner_and_losers_name_the_winners_state(make_draft):
    draft = make_draft(lines=2)

    def cancel_or_commit(i: int) -> Basket:
        copy = Basket.objects.get(pk=draft.pk)
        if i % 2:
            return cancel_basket(copy)
        return commit_basket(copy, work_types=WORK_TYPES)

    outcomes = run_concurrently(cancel_or_commit, workers=WORKERS)

    basket = Basket.objects.get(pk=draft.pk)
    assert basket.status in (BasketStatus.COMMITTED, BasketStatus.CANCELLED)
    winner_calls = {BasketStatus.COMMITTED: 0, BasketStatus.CANCELLED: 1}[basket.status]
    loser_error = {
        BasketStatus.COMMITTED: BasketAlreadyCommittedError,
        BasketStatus.CANCELLED: BasketCancelledError,
    }[basket.status]
    for outcome in outcomes:
        if outcome.index % 2 == winner_calls:
            assert outcome.ok, outcome.error
            assert outcome.value.status == basket.status
        else:
            assert isinstance(outcome.error, loser_error)
            assert isinstance(outcome.error, BasketStateError)
            assert outcome.error.status == basket.status
            assert outcome.error.basket_id == basket.pk
    [log] = audit_rows(basket)
    assert log.state == basket.status
    expected_work = 2 * len(WORK_TYPES) if basket.is_committed else 0
    assert WorkItem.objects.for_basket(basket).count() == expected_work


# --- 6. start() on one work item through stale copies -----------------------------------


@pytest.fixture
def pending_work_item(make_draft) -> WorkItem:
    basket = commit_basket(make_draft(lines=1), work_types=["collect"])
    return WorkItem.objects.for_basket(basket).get()


def test_start_through_stale_copies_succeeds_once_and_losers_get_concurrent_transition(
    pending_work_item, django_user_model
):
    workers = [django_user_model.objects.create(username=f"nurse{i}") for i in range(WORKERS)]
    copies = [WorkItem.objects.get(pk=pending_work_item.pk) for _ in range(WORKERS)]

    outcomes = run_concurrently(lambda i: copies[i].start(workers[i]), workers=WORKERS)

    winners = [o.index for o in outcomes if o.ok]
    assert len(winners) == 1
    losers = [o for o in outcomes if not o.ok]
    assert all(isinstance(o.error, ConcurrentTransition) for o in losers), errors(outcomes)
    stored = WorkItem.objects.get(pk=pending_work_item.pk)
    assert stored.status == WorkItemStatus.IN_PROGRESS
    assert stored.assigned_to == workers[winners[0]]
    [log] = audit_rows(stored)
    assert (log.transition, log.by) == ("start", workers[winners[0]])
    # A loser's copy is put back as it was loaded: still pending, nobody assigned.
    for outcome in losers:
        assert copies[outcome.index].status == WorkItemStatus.PENDING
        assert copies[outcome.index].assigned_to is None


def test_start_service_on_stale_copies_starts_once_and_losers_see_the_winners_state(
    pending_work_item, django_user_model
):
    workers = [django_user_model.objects.create(username=f"nurse{i}") for i in range(WORKERS)]
    copies = [WorkItem.objects.get(pk=pending_work_item.pk) for _ in range(WORKERS)]

    outcomes = run_concurrently(lambda i: start_work_item(copies[i], by=workers[i]), workers=8)

    [winner] = [o for o in outcomes if o.ok]
    for error in errors(outcomes):
        assert isinstance(error, WorkItemStateError)
        assert (error.work_item_id, error.status) == (pending_work_item.pk, "in_progress")
    stored = WorkItem.objects.get(pk=pending_work_item.pk)
    assert stored.assigned_to == workers[winner.index]
    [log] = audit_rows(stored)
    assert (log.transition, log.by) == ("start", workers[winner.index])


def test_stale_copy_never_overwrites_a_newer_state(pending_work_item):
    stale = WorkItem.objects.get(pk=pending_work_item.pk)
    pending_work_item.start()
    pending_work_item.complete()

    with pytest.raises(ConcurrentTransition):
        stale.start()

    stored = WorkItem.objects.get(pk=pending_work_item.pk)
    assert stored.status == WorkItemStatus.COMPLETED
    assert [log.transition for log in audit_rows(stored)] == ["start", "complete"]


def test_refreshes_overlapping_in_two_threads_both_reload_the_protected_status(make_draft):
    """One thread's refresh ending must not re-protect the status under another's reload.

    django-fsm-2 alone fails this: the second refresh raises "Direct status modification
    is not allowed" (it is what ``commit_basket``'s refresh of the caller's copy hit).
    """
    draft = make_draft(lines=1)
    first, second = (Basket.objects.get(pk=draft.pk) for _ in range(2))
    cancel_basket(draft)
    first_is_reloading, second_is_reloading, first_done = (threading.Event() for _ in range(3))
    timeout = 10
    role = threading.local()

    def hold_reload(sender, instance, **kwargs):
        # Each refresh builds one fresh Basket from its row, after lifting the protection.
        if getattr(role, "name", None) == "first":
            first_is_reloading.set()
            second_is_reloading.wait(timeout)
        else:
            second_is_reloading.set()
            first_done.wait(timeout)

    def refresh_first():
        role.name = "first"
        try:
            first.refresh_from_db()
        finally:
            first_done.set()

    def refresh_second():
        first_is_reloading.wait(timeout)
        second.refresh_from_db()

    post_init.connect(hold_reload, sender=Basket)
    try:
        outcomes = run_concurrently([refresh_first, refresh_second], timeout=timeout * 3)
    finally:
        post_init.disconnect(hold_reload, sender=Basket)

    assert errors(outcomes) == []
    assert first.status == second.status == BasketStatus.CANCELLED
    with pytest.raises(AttributeError):
        second.status = BasketStatus.DRAFT


# --- 7. many distinct baskets committed in parallel -------------------------------------


def test_parallel_commits_of_distinct_baskets_all_succeed_without_losing_work(make_draft, user):
    drafts = [make_draft(lines=2) for _ in range(WORKERS * 2)]

    def commit_two(i: int) -> list[Basket]:
        return [
            commit_basket(drafts[i], committed_by=user, work_types=WORK_TYPES),
            commit_basket(drafts[WORKERS + i], committed_by=user, work_types=WORK_TYPES),
        ]

    outcomes = run_concurrently(commit_two, workers=WORKERS)

    assert errors(outcomes) == []
    baskets = Basket.objects.filter(pk__in=[d.pk for d in drafts])
    assert all(basket.is_committed for basket in baskets)
    assert WorkItem.objects.count() == len(drafts) * 2 * len(WORK_TYPES)
    for basket in baskets:
        assert len(audit_rows(basket)) == 1


def test_overlapping_commits_in_different_orders_do_not_deadlock(make_draft):
    """Every worker commits every basket, each starting at a different one."""
    drafts = [make_draft(lines=2) for _ in range(WORKERS)]

    def commit_all_from(i: int) -> int:
        order = drafts[i:] + drafts[:i]
        return len([commit_basket(draft, work_types=WORK_TYPES) for draft in order])

    outcomes = run_concurrently(commit_all_from, workers=WORKERS)

    assert errors(outcomes) == []
    for draft in drafts:
        basket = Basket.objects.get(pk=draft.pk)
        assert basket.is_committed
        assert len(audit_rows(basket)) == 1
        assert WorkItem.objects.for_basket(basket).count() == 2 * len(WORK_TYPES)
    assert BasketItem.objects.count() == len(drafts) * 2


def test_parallel_commits_while_lines_are_added_to_other_baskets(make_draft, make_catalog_item):
    """Commits and additions share catalog items; nobody waits on anybody else's basket."""
    to_commit = [make_draft(lines=2) for _ in range(WORKERS // 2)]
    to_fill = [make_draft(lines=1) for _ in range(WORKERS // 2)]
    shared = make_catalog_item(name="Shared", unit_price=Decimal("5.00"))

    def work(i: int):
        if i % 2:
            return add_item(to_fill[i // 2], shared, quantity=2)
        return commit_basket(to_commit[i // 2], work_types=WORK_TYPES)

    outcomes = run_concurrently(work, workers=WORKERS)

    assert errors(outcomes) == []
    for draft in to_commit:
        assert WorkItem.objects.for_basket(draft).count() == 2 * len(WORK_TYPES)
    for draft in to_fill:
        assert Basket.objects.get(pk=draft.pk).items.count() == 2
