"""``manage.py catalog_deliver``: once, in a loop, and pruning."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_catalog.events import Event, EventDelivery
from django_catalog.management.commands import catalog_deliver
from django_catalog.services import commit_basket
from django_catalog.states import DeliveryStatus
from tests.events.handlers import LAB, received

pytestmark = pytest.mark.django_db


@pytest.fixture
def due_delivery(draft_with_lines, event_handlers, lost_enqueues):
    """One committed basket whose delivery to the lab is due (its enqueue was lost)."""
    event_handlers({"*": [LAB]})
    commit_basket(draft_with_lines)
    return EventDelivery.objects.get()


def run(*args):
    out = StringIO()
    call_command("catalog_deliver", *args, stdout=out)
    return out.getvalue()


def test_once_delivers_what_is_due_and_exits(due_delivery):
    output = run("--once")

    assert "Delivered 1 event deliveries." in output
    assert len(received("lab")) == 1
    due_delivery.refresh_from_db()
    assert due_delivery.status == DeliveryStatus.DELIVERED


def test_once_with_a_limit(due_delivery, basket):
    basket.cancel()

    assert "Delivered 1 event deliveries." in run("--once", "--limit", "1")
    assert "Delivered 1 event deliveries." in run("--once", "--limit", "1")
    assert "Delivered 0 event deliveries." in run("--once", "--limit", "1")


def test_the_loop_sleeps_when_nothing_is_due_and_stops_on_interrupt(due_delivery, monkeypatch):
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        raise KeyboardInterrupt

    monkeypatch.setattr(catalog_deliver.time, "sleep", sleep)

    output = run("--interval", "2.5")

    assert "Delivered 1 event deliveries." in output
    assert sleeps == [2.5]  # one round delivered, the next found nothing and slept
    assert len(received("lab")) == 1


def test_prune_drops_old_delivered_rows_first(due_delivery):
    run("--once")
    EventDelivery.objects.update(delivered_at=timezone.now() - timedelta(days=8))
    Event.objects.update(created_at=timezone.now() - timedelta(days=8))

    output = run("--once", "--prune", "7")

    assert "Pruned 1 delivered deliveries and 1 events older than 7 days." in output
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "args",
    [["--interval", "0"], ["--interval", "soon"], ["--prune", "-1"], ["--limit", "x"]],
)
def test_bad_arguments_are_refused(db, args):
    with pytest.raises(CommandError):
        call_command("catalog_deliver", "--once", *args)
