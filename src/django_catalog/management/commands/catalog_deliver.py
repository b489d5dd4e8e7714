"""``manage.py catalog_deliver``: deliver due events, in a loop or once (for cron)."""

from __future__ import annotations

import time
from argparse import ArgumentParser, ArgumentTypeError
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from django_catalog.events import deliver_due, prune_delivered


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def _whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise ArgumentTypeError(f"must not be negative, got {text}")
    return value


class Command(BaseCommand):
    help = (
        "Deliver the catalog's due events to their handlers: pending deliveries whose enqueued "
        "task was lost, and retries. Runs until stopped (Ctrl-C, SIGTERM), or once with --once. "
        "Any number of these may run at once, on any number of machines (PostgreSQL)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Deliver what is due, then exit (for cron)."
        )
        parser.add_argument(
            "--interval",
            type=_positive_number,
            default=5.0,
            help="Seconds to sleep when nothing was due (default: 5).",
        )
        parser.add_argument(
            "--limit",
            type=_whole_number,
            default=None,
            help="Attempt at most this many deliveries per round (default: all that are due).",
        )
        parser.add_argument(
            "--prune",
            type=_whole_number,
            metavar="DAYS",
            default=None,
            help="First delete deliveries delivered more than DAYS days ago, and the events "
            "older than that with nothing left to deliver.",
        )

    def handle(
        self,
        *args: Any,
        once: bool,
        interval: float,
        limit: int | None,
        prune: int | None,
        **options: Any,
    ) -> None:
        verbosity = options["verbosity"]
        if prune is not None:
            deliveries, events = prune_delivered(timedelta(days=prune))
            self.stdout.write(
                f"Pruned {deliveries} delivered deliveries and {events} events older than "
                f"{prune} days."
            )
        try:
            while True:
                delivered = deliver_due(limit=limit)
                if verbosity >= 1 and (delivered or once):
                    self.stdout.write(f"Delivered {delivered} event deliveries.")
                if once:
                    return
                if not delivered:
                    time.sleep(interval)
        except KeyboardInterrupt:
            # What was being delivered rolls back and stays pending: at least once.
            return
