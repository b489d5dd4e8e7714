"""The work-item state machine: every transition, every refusal, and the services around it."""

from __future__ import annotations

import pytest
from django_fsm import TransitionNotAllowed

import django_catalog
from django_catalog.exceptions import CatalogError, WorkItemError, WorkItemStateError
from django_catalog.models import CatalogStateLog, WorkItem, WorkItemStatus
from django_catalog.services import (
    block_work_item,
    cancel_work_item,
    complete_work_item,
    start_work_item,
    unblock_work_item,
)
from django_catalog.validation import BLOCK_NEEDS_REASON
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db

S = WorkItemStatus

# Every (state, transition) pair the state machine allows, and where it leads.
ALLOWED = {
    (S.PENDING, "start"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "complete"): S.COMPLETED,
    (S.PENDING, "block"): S.BLOCKED,
    (S.IN_PROGRESS, "block"): S.BLOCKED,
    (S.BLOCKED, "unblock"): None,  # back to where it was blocked from
    (S.PENDING, "cancel"): S.CANCELLED,
    (S.IN_PROGRESS, "cancel"): S.CANCELLED,
    (S.BLOCKED, "cancel"): S.CANCELLED,
}
TRANSITIONS = ["start", "complete", "block", "unblock", "cancel"]
REFUSED = [(state, name) for state in S for name in TRANSITIONS if (state, name) not in ALLOWED]


def bring_to(work_item: WorkItem, state: str) -> WorkItem:
    """Move a pending work item to ``state`` through the transitions."""
    if state == S.IN_PROGRESS:
        work_item.start()
    elif state == S.COMPLETED:
        work_item.start()
        work_item.complete()
    elif state == S.BLOCKED:
        work_item.block("waiting for the patient")
    elif state == S.CANCELLED:
        work_item.cancel("ordered twice")
    assert WorkItem.objects.get(pk=work_item.pk).status == state
    return work_item


def call(work_item: WorkItem, name: str, **kwargs):
    """Call a transition with the arguments it needs."""
    if name in ("block", "cancel"):
        return getattr(work_item, name)("a reason", **kwargs)
    return getattr(work_item, name)(**kwargs)


def audit_rows(work_item: WorkItem) -> list[CatalogStateLog]:
    return list(CatalogStateLog.objects.for_(work_item))


def test_the_refused_pairs_cover_the_final_states():
    # Completed and cancelled are final: no transition leaves them.
    for final in (S.COMPLETED, S.CANCELLED):
        assert {name for state, name in REFUSED if state == final} == set(TRANSITIONS)


# --- the model's transitions -----------------------------------------------------------


def test_start_moves_pending_to_in_progress_and_assigns_the_user(work_item, user):
    work_item.start(user)
    work_item = WorkItem.objects.get(pk=work_item.pk)
    assert work_item.status == S.IN_PROGRESS
    assert work_item.assigned_to == user
    assert work_item.started_at is not None
    [row] = audit_rows(work_item)
    assert (row.transition, row.source_state, row.state, row.by) == (
        "start",
        S.PENDING,
        S.IN_PROGRESS,
        user,
    )


def test_start_records_by_as_actor_when_given(work_item, user, other_user):
    work_item.start(user, by=other_user)
    assert audit_rows(work_item)[0].by == other_user
    assert WorkItem.objects.get(pk=work_item.pk).assigned_to == user


def test_complete_moves_in_progress_to_completed(work_item, user):
    bring_to(work_item, S.IN_PROGRESS)
    work_item.complete(by=user)
    work_item = WorkItem.objects.get(pk=work_item.pk)
    assert work_item.status == S.COMPLETED
    assert work_item.completed_at is not None
    row = audit_rows(work_item)[-1]
    assert (row.transition, row.source_state, row.state, row.by) == (
        "complete",
        S.IN_PROGRESS,
        S.COMPLETED,
        user,
    )


@pytest.mark.parametrize("source", [S.PENDING, S.IN_PROGRESS])
def test_block_stores_the_reason_as_audit_description_and_remembers_the_source(
    work_item, user, source
):
    bring_to(work_item, source)
    work_item.block("sample haemolysed", by=user)
    stored = WorkItem.objects.get(pk=work_item.pk)
    assert stored.status == S.BLOCKED
    assert stored.blocked_from == source
    row = audit_rows(work_item)[-1]
    assert (row.transition, row.source_state, row.state, row.by, row.description) == (
        "block",
        source,
        S.BLOCKED,
        user,
        "sample haemolysed",
    )


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_block_without_a_reason_is_refused_and_writes_nothing(work_item, reason):
    with pytest.raises(ValueError, match=BLOCK_NEEDS_REASON):
        work_item.block(reason)
    assert work_item.status == S.PENDING
    stored = WorkItem.objects.get(pk=work_item.pk)
    assert (stored.status, stored.blocked_from) == (S.PENDING, "")
    assert audit_rows(work_item) == []


@pytest.mark.parametrize("source", [S.PENDING, S.IN_PROGRESS])
def test_unblock_returns_to_the_state_it_was_blocked_from(work_item, user, source):
    bring_to(work_item, source)
    work_item.block("no courier", by=user)
    work_item.unblock(by=user)
    stored = WorkItem.objects.get(pk=work_item.pk)
    assert stored.status == source
    assert stored.blocked_from == ""
    row = audit_rows(work_item)[-1]
    assert (row.transition, row.source_state, row.state, row.by) == (
        "unblock",
        S.BLOCKED,
        source,
        user,
    )


def test_unblock_uses_the_stored_source_not_the_callers_copy(work_item):
    # Blocked from in_progress through one copy, unblocked through a fresh copy from the database.
    bring_to(work_item, S.IN_PROGRESS)
    work_item.block("waiting for reagent")
    fresh = WorkItem.objects.get(pk=work_item.pk)
    fresh.unblock()
    assert WorkItem.objects.get(pk=work_item.pk).status == S.IN_PROGRESS


def test_a_reblocked_item_returns_to_its_latest_source(work_item):
    work_item.block("first hold")
    work_item.unblock()
    work_item.start()
    work_item.block("second hold")
    work_item.unblock()
    assert WorkItem.objects.get(pk=work_item.pk).status == S.IN_PROGRESS


@pytest.mark.parametrize("source", [S.PENDING, S.IN_PROGRESS, S.BLOCKED])
def test_cancel_records_the_reason(work_item, user, source):
    bring_to(work_item, source)
    work_item.cancel("patient left", by=user)
    stored = WorkItem.objects.get(pk=work_item.pk)
    assert stored.status == S.CANCELLED
    assert stored.blocked_from == ""
    row = audit_rows(work_item)[-1]
    assert (row.transition, row.source_state, row.state, row.by, row.description) == (
        "cancel",
        source,
        S.CANCELLED,
        user,
        "patient left",
    )


def test_cancel_without_a_reason_is_allowed(work_item):
    work_item.cancel()
    assert WorkItem.objects.get(pk=work_item.pk).status == S.CANCELLED
    assert audit_rows(work_item)[-1].description == ""


@pytest.mark.parametrize(("state", "name"), REFUSED)
def test_model_refuses_transitions_the_state_does_not_allow(work_item, state, name):
    bring_to(work_item, state)
    rows_before = len(audit_rows(work_item))
    with pytest.raises(TransitionNotAllowed):
        call(work_item, name)
    assert WorkItem.objects.get(pk=work_item.pk).status == state
    assert len(audit_rows(work_item)) == rows_before


def test_status_cannot_be_assigned_directly(work_item):
    with pytest.raises(AttributeError):
        work_item.status = S.COMPLETED


# --- the services ------------------------------------------------------------------------

SERVICES = {
    "start": lambda item, by: start_work_item(item, by=by),
    "complete": lambda item, by: complete_work_item(item, by=by),
    "block": lambda item, by: block_work_item(item, "centrifuge broken", by=by),
    "unblock": lambda item, by: unblock_work_item(item, by=by),
    "cancel": lambda item, by: cancel_work_item(item, "duplicate order", by=by),
}


def test_services_are_exported_from_the_package():
    for name in (
        "start_work_item",
        "complete_work_item",
        "block_work_item",
        "unblock_work_item",
        "cancel_work_item",
    ):
        assert getattr(django_catalog, name).__module__ == "django_catalog.services"


def test_start_work_item_assigns_by_and_records_them(work_item, user):
    result = start_work_item(work_item, by=user)
    assert result is work_item
    assert (work_item.status, work_item.assigned_to) == (S.IN_PROGRESS, user)
    assert WorkItem.objects.get(pk=work_item.pk).assigned_to == user
    assert audit_rows(work_item)[-1].by == user


def test_start_work_item_without_by_keeps_the_assignment(work_item, user):
    WorkItem.objects.filter(pk=work_item.pk).update(assigned_to=user)
    start_work_item(work_item)
    stored = WorkItem.objects.get(pk=work_item.pk)
    assert (stored.status, stored.assigned_to) == (S.IN_PROGRESS, user)
    assert audit_rows(work_item)[-1].by is None


def test_complete_work_item(work_item, user):
    start_work_item(work_item, by=user)
    result = complete_work_item(work_item, by=user)
    assert result is work_item
    assert work_item.status == S.COMPLETED
    assert work_item.completed_at is not None
    assert audit_rows(work_item)[-1].by == user


@pytest.mark.parametrize("source", [S.PENDING, S.IN_PROGRESS])
def test_block_and_unblock_services_round_trip(work_item, user, source):
    bring_to(work_item, source)
    block_work_item(work_item, "awaiting consent", by=user)
    assert (work_item.status, work_item.blocked_from) == (S.BLOCKED, source)
    assert audit_rows(work_item)[-1].description == "awaiting consent"
    unblock_work_item(work_item, by=user)
    assert work_item.status == source
    assert [row.by for row in audit_rows(work_item)[-2:]] == [user, user]


@pytest.mark.parametrize("reason", ["", "  ", None, 42])
def test_block_work_item_without_a_reason_is_refused_and_writes_nothing(work_item, reason):
    with pytest.raises(ValueError, match=BLOCK_NEEDS_REASON):
        block_work_item(work_item, reason)
    assert WorkItem.objects.get(pk=work_item.pk).status == S.PENDING
    assert audit_rows(work_item) == []


def test_cancel_work_item_records_reason_and_actor(work_item, user):
    cancel_work_item(work_item, "wrong patient", by=user)
    assert work_item.status == S.CANCELLED
    row = audit_rows(work_item)[-1]
    assert (row.description, row.by) == ("wrong patient", user)


# Finishing finished work again is a replay, not a refusal (see the idempotency test).
REPLAYS = [(S.COMPLETED, "complete"), (S.CANCELLED, "cancel")]


@pytest.mark.parametrize(("state", "name"), [pair for pair in REFUSED if pair not in REPLAYS])
def test_services_raise_a_catalog_error_naming_the_current_state(work_item, user, state, name):
    bring_to(work_item, state)
    rows_before = len(audit_rows(work_item))
    with pytest.raises(WorkItemStateError) as caught:
        SERVICES[name](work_item, user)
    error = caught.value
    assert isinstance(error, WorkItemError)
    assert isinstance(error, CatalogError)
    assert (error.work_item_id, error.status, error.action) == (work_item.pk, state, name)
    assert str(error) == f"Cannot {name} work item {work_item.pk}: it is {state}"
    assert WorkItem.objects.get(pk=work_item.pk).status == state
    assert len(audit_rows(work_item)) == rows_before


@pytest.mark.parametrize(
    ("service", "final"),
    [(complete_work_item, S.COMPLETED), (cancel_work_item, S.CANCELLED)],
)
def test_finishing_twice_returns_the_item_unchanged(work_item, user, service, final):
    bring_to(work_item, final)
    rows_before = len(audit_rows(work_item))
    assert service(work_item, by=user) is work_item
    assert WorkItem.objects.get(pk=work_item.pk).status == final
    assert len(audit_rows(work_item)) == rows_before


def test_services_check_the_locked_row_not_the_callers_stale_copy(work_item, user, other_user):
    stale = WorkItem.objects.get(pk=work_item.pk)
    start_work_item(work_item, by=user)
    # The stale copy still says pending, but the row is in progress.
    with pytest.raises(WorkItemStateError) as caught:
        start_work_item(stale, by=other_user)
    assert caught.value.status == S.IN_PROGRESS
    # ...and a transition the row allows succeeds through the stale copy, which is refreshed.
    complete_work_item(stale, by=other_user)
    assert stale.status == S.COMPLETED
    assert stale.assigned_to == user


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_pick_the_work_up_exactly_once(work_item, django_user_model):
    workers = [django_user_model.objects.create_user(username=f"tech{i}") for i in range(8)]

    def start_own_copy(i):
        return start_work_item(WorkItem.objects.get(pk=work_item.pk), by=workers[i])

    outcomes = run_concurrently(start_own_copy, workers=8)

    started = [o for o in outcomes if o.ok]
    refused = [o for o in outcomes if not o.ok]
    assert len(started) == 1
    assert all(isinstance(o.error, WorkItemStateError) for o in refused), refused
    winner = workers[started[0].index]
    assert WorkItem.objects.get(pk=work_item.pk).assigned_to == winner
    assert [row.by for row in audit_rows(work_item)] == [winner]
