"""Domain signals: each sent once, after the commit; never for a rollback or a replay."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from django.db import transaction

from django_catalog import signals
from django_catalog.exceptions import OverDispenseError, WorkItemStateError
from django_catalog.models import Basket, BasketItem, DispenseLog, WorkItem, WorkItemStatus
from django_catalog.services import (
    add_item,
    block_work_item,
    cancel_basket,
    cancel_work_item,
    commit_basket,
    complete_work_item,
    create_basket,
    dispense,
    start_work_item,
    unblock_work_item,
)

pytestmark = pytest.mark.django_db

S = WorkItemStatus


class Received(list):
    """Every call a signal made to the receiver: one dict of keyword arguments per send."""


@pytest.fixture
def listen():
    """Connect a recording receiver to a signal for the duration of the test."""
    connected = []

    def connect(signal):
        received = Received()

        def receiver(sender, signal, **kwargs):
            received.append({"sender": sender, **kwargs})

        signal.connect(receiver, weak=False)
        connected.append((signal, receiver))
        return received

    yield connect
    for signal, receiver in connected:
        signal.disconnect(receiver)


class Rollback(Exception):
    pass


# --- basket_committed --------------------------------------------------------------------


def test_basket_committed_is_sent_once_after_the_commit(
    draft_with_lines, listen, django_capture_on_commit_callbacks
):
    received = listen(signals.basket_committed)
    with django_capture_on_commit_callbacks(execute=True):
        commit_basket(draft_with_lines, work_types=["collect", "report"])
        assert received == []  # not before the transaction commits

    [call] = received
    assert call["sender"] is Basket
    assert call["basket"] == draft_with_lines
    assert call["basket"].status == "committed"
    spawned = WorkItem.objects.for_basket(draft_with_lines)
    assert len(spawned) == 4
    assert {item.pk for item in call["work_items"]} == {item.pk for item in spawned}


def test_basket_committed_without_spawning_work_sends_no_work_items(
    draft_with_lines, listen, django_capture_on_commit_callbacks
):
    received = listen(signals.basket_committed)
    with django_capture_on_commit_callbacks(execute=True):
        commit_basket(draft_with_lines, spawn_work=False)
    assert [list(call["work_items"]) for call in received] == [[]]


def test_basket_committed_is_not_sent_on_rollback(
    draft_with_lines, listen, django_capture_on_commit_callbacks
):
    received = listen(signals.basket_committed)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        commit_basket(draft_with_lines, work_types=["collect"])
        raise Rollback
    assert callbacks == []
    assert received == []
    assert Basket.objects.get(pk=draft_with_lines.pk).status == "draft"


def test_basket_committed_is_not_sent_on_replay(
    draft_with_lines, listen, django_capture_on_commit_callbacks
):
    commit_basket(draft_with_lines, work_types=["collect"])
    received = listen(signals.basket_committed)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        commit_basket(draft_with_lines, work_types=["collect"])
    assert callbacks == []
    assert received == []


def test_a_direct_model_commit_sends_it_too(
    draft_with_lines, listen, django_capture_on_commit_callbacks
):
    received = listen(signals.basket_committed)
    with django_capture_on_commit_callbacks(execute=True):
        draft_with_lines.commit(work_types=["collect"])
    assert len(received) == 1
    assert len(received[0]["work_items"]) == 2


# --- basket_cancelled --------------------------------------------------------------------


def test_basket_cancelled_is_sent_once_after_the_commit(
    basket, listen, django_capture_on_commit_callbacks
):
    received = listen(signals.basket_cancelled)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_basket(basket)
        assert received == []
    assert received == [{"sender": Basket, "basket": basket}]


def test_basket_cancelled_is_not_sent_on_rollback_or_replay(
    basket, listen, django_capture_on_commit_callbacks
):
    received = listen(signals.basket_cancelled)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        cancel_basket(basket)
        raise Rollback
    assert (callbacks, received) == ([], [])

    cancel_basket(basket)  # really cancelled (its callback is never run: the test's transaction)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        cancel_basket(basket)
    assert (callbacks, received) == ([], [])


# --- work_item_status_changed ------------------------------------------------------------


@pytest.mark.parametrize("blocked_from", [S.PENDING, S.IN_PROGRESS])
def test_work_item_status_changed_is_sent_for_every_transition(
    work_item, user, other_user, listen, django_capture_on_commit_callbacks, blocked_from
):
    received = listen(signals.work_item_status_changed)
    steps = [
        (lambda: block_work_item(work_item, "no sample", by=other_user), S.BLOCKED, other_user),
        (lambda: unblock_work_item(work_item, by=user), blocked_from, user),
        (lambda: complete_work_item(work_item, by=other_user), S.COMPLETED, other_user),
    ]
    if blocked_from == S.IN_PROGRESS:
        steps.insert(0, (lambda: start_work_item(work_item, by=user), S.IN_PROGRESS, user))
    else:
        steps.insert(2, (lambda: start_work_item(work_item, by=user), S.IN_PROGRESS, user))

    expected = []
    source = S.PENDING
    for run, target, actor in steps:
        with django_capture_on_commit_callbacks(execute=True):
            run()
            assert len(received) == len(expected)  # nothing before the commit
        expected.append(
            {
                "sender": WorkItem,
                "work_item": work_item,
                "source": source,
                "target": target,
                "by": actor,
            }
        )
        assert received == expected
        source = target


def test_cancel_sends_it_with_the_actor(
    work_item, user, listen, django_capture_on_commit_callbacks
):
    received = listen(signals.work_item_status_changed)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_work_item(work_item, "ordered twice", by=user)
    assert [(c["source"], c["target"], c["by"]) for c in received] == [
        (S.PENDING, S.CANCELLED, user)
    ]


def test_by_is_the_audit_rows_actor(work_item, user, listen, django_capture_on_commit_callbacks):
    # start(user) without by= records the user as the actor; the signal says the same.
    received = listen(signals.work_item_status_changed)
    with django_capture_on_commit_callbacks(execute=True):
        work_item.start(user)
    assert received[0]["by"] == user


def test_direct_model_transitions_send_it_too(
    work_item, listen, django_capture_on_commit_callbacks
):
    received = listen(signals.work_item_status_changed)
    with django_capture_on_commit_callbacks(execute=True):
        work_item.start()
        work_item.complete()
    assert [(c["source"], c["target"]) for c in received] == [
        (S.PENDING, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.COMPLETED),
    ]


def test_work_item_status_changed_is_not_sent_on_rollback(
    work_item, listen, django_capture_on_commit_callbacks
):
    received = listen(signals.work_item_status_changed)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        start_work_item(work_item)
        raise Rollback
    assert (callbacks, received) == ([], [])
    assert WorkItem.objects.get(pk=work_item.pk).status == S.PENDING


def test_a_refused_transition_sends_nothing(work_item, listen, django_capture_on_commit_callbacks):
    received = listen(signals.work_item_status_changed)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValueError):
            work_item.block("")
        with pytest.raises(WorkItemStateError):
            complete_work_item(work_item)
    assert (callbacks, received) == ([], [])


def test_work_item_status_changed_is_not_sent_on_replay(
    work_item, listen, django_capture_on_commit_callbacks
):
    work_item.start()
    work_item.complete()
    received = listen(signals.work_item_status_changed)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        complete_work_item(work_item)
    assert (callbacks, received) == ([], [])


# --- item_dispensed ----------------------------------------------------------------------


def test_item_dispensed_is_sent_once_after_the_commit(
    make_committed_line, listen, django_capture_on_commit_callbacks
):
    line = make_committed_line(quantity="3")
    received = listen(signals.item_dispensed)
    with django_capture_on_commit_callbacks(execute=True):
        log = dispense(line, 2, lot_number="LOT-1")
        assert received == []
    assert received == [{"sender": DispenseLog, "dispense_log": log}]
    assert received[0]["dispense_log"].quantity_dispensed == Decimal("2")


def test_item_dispensed_is_not_sent_on_rollback_or_refusal(
    make_committed_line, listen, django_capture_on_commit_callbacks
):
    line = make_committed_line(quantity="3")
    received = listen(signals.item_dispensed)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Rollback), transaction.atomic():
            dispense(line, 1)
            raise Rollback
        with pytest.raises(OverDispenseError):
            dispense(line, 4)
    assert (callbacks, received) == ([], [])
    assert not DispenseLog.objects.exists()


# --- receivers that fail ------------------------------------------------------------------


def test_a_failing_receiver_is_logged_and_does_not_stop_the_others(
    draft_with_lines, listen, django_capture_on_commit_callbacks, caplog
):
    def broken(sender, **kwargs):
        raise RuntimeError("mail server down")

    signals.basket_committed.connect(broken, weak=False)
    try:
        received = listen(signals.basket_committed)
        with (
            caplog.at_level(logging.ERROR, logger="django.dispatch"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            commit_basket(draft_with_lines)
    finally:
        signals.basket_committed.disconnect(broken)

    assert len(received) == 1
    [record] = caplog.records
    assert record.name == "django.dispatch"
    assert "mail server down" in record.getMessage()
    assert Basket.objects.get(pk=draft_with_lines.pk).status == "committed"


# --- with real transactions ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_signals_follow_real_commits_and_rollbacks(listen, make_catalog_item, user):
    committed = listen(signals.basket_committed)
    changed = listen(signals.work_item_status_changed)
    dispensed = listen(signals.item_dispensed)

    basket = create_basket()
    line = add_item(basket, make_catalog_item(), quantity=2)
    with pytest.raises(Rollback), transaction.atomic():
        commit_basket(basket, work_types=["collect"])
        raise Rollback
    assert committed == []

    commit_basket(basket, work_types=["collect"])
    assert [call["basket"].pk for call in committed] == [basket.pk]

    work_item = WorkItem.objects.get(basket_item=line)
    with transaction.atomic():
        start_work_item(work_item, by=user)
        assert changed == []  # the outer transaction has not committed yet
    assert [(c["target"], c["by"]) for c in changed] == [(S.IN_PROGRESS, user)]

    log = dispense(BasketItem.objects.get(pk=line.pk), 2)
    assert [call["dispense_log"].pk for call in dispensed] == [log.pk]
