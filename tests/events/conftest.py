"""Fixtures of the event tests: handlers, a Tasks backend that loses enqueues, a clock."""

from __future__ import annotations

from datetime import timedelta

import django
import pytest
from django.utils import timezone as django_timezone

from django_catalog import events
from tests.events import handlers

DUMMY_BACKEND = (
    "django.tasks.backends.dummy.DummyBackend"
    if django.VERSION >= (6, 0)
    else "django_tasks.backends.dummy.DummyBackend"
)


@pytest.fixture(autouse=True)
def handler_calls():
    """What the test handlers received, emptied around each test."""
    handlers.calls.clear()
    handlers.flaky_failures_left = 0
    yield handlers.calls
    handlers.calls.clear()


@pytest.fixture
def event_handlers(settings):
    """Configure ``CATALOG_EVENT_HANDLERS`` (read at call time)."""

    def configure(mapping):
        settings.CATALOG_EVENT_HANDLERS = mapping

    return configure


@pytest.fixture
def lost_enqueues(settings):
    """A Tasks backend that keeps what is enqueued and never runs it (as after a crash)."""
    settings.TASKS = {"default": {"BACKEND": DUMMY_BACKEND}}


class Clock:
    """``timezone.now()`` as the delivery code sees it, moved forward by the test."""

    def __init__(self):
        self.offset = timedelta(0)

    def now(self):
        return django_timezone.now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    """Lets a test move the delivery code's clock forward (to let a backoff pass)."""
    clock = Clock()
    monkeypatch.setattr(events, "timezone", clock)
    return clock
