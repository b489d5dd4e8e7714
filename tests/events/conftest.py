"""Fixtures of the event tests: the test handlers' record, and a clock to move forward."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone as django_timezone

from django_catalog import events
from tests.events import handlers


@pytest.fixture(autouse=True)
def handler_calls():
    """What the test handlers received, emptied around each test."""
    handlers.calls.clear()
    handlers.flaky_failures_left = 0
    yield handlers.calls
    handlers.calls.clear()


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
