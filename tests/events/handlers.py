"""Event handlers the tests configure in ``CATALOG_EVENT_HANDLERS`` (by dotted path).

Each records what it was called with in :data:`calls`, as (handler name, event id, event
name), so a test can assert who received what, how often and in which order.
"""

from __future__ import annotations

import threading

from tests.models import Organization

calls: list[tuple[str, str, str]] = []
_lock = threading.Lock()

#: How many more times :func:`flaky` raises before it succeeds.
flaky_failures_left = 0

LAB = "tests.events.handlers.lab"
BILLING = "tests.events.handlers.billing"
FAILING = "tests.events.handlers.failing"
FLAKY = "tests.events.handlers.flaky"
WRITES_THEN_FAILS = "tests.events.handlers.writes_then_fails"


class HandlerDown(Exception):
    """What the failing handlers raise."""


def _record(name: str, event) -> None:
    with _lock:
        calls.append((name, str(event.id), event.name))


def lab(event) -> None:
    _record("lab", event)


def billing(event) -> None:
    _record("billing", event)


def failing(event) -> None:
    _record("failing", event)
    raise HandlerDown("the lab interface is down")


def flaky(event) -> None:
    global flaky_failures_left
    _record("flaky", event)
    if flaky_failures_left > 0:
        flaky_failures_left -= 1
        raise HandlerDown("timed out")


def writes_then_fails(event) -> None:
    """Writes a row to the database, then raises: the row must not survive."""
    _record("writes_then_fails", event)
    Organization.objects.create(name=f"written by a failed handler for {event.id}")
    raise HandlerDown("failed after writing")


def received(name: str | None = None) -> list[tuple[str, str, str]]:
    """The calls so far (of one handler, when ``name`` is given)."""
    return [call for call in calls if name is None or call[0] == name]


#: :func:`blocking` waits for this before it returns (set by the test).
release = threading.Event()
#: Set by :func:`blocking` once it has started.
started = threading.Event()
BLOCKING = "tests.events.handlers.blocking"


def blocking(event) -> None:
    """Holds its delivery until the test releases it."""
    _record("blocking", event)
    started.set()
    if not release.wait(30):
        raise HandlerDown("never released")
