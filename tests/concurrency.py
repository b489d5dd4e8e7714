"""Run callables in real concurrent threads, each on its own database connection.

Used by the PostgreSQL tests (``@pytest.mark.postgres`` with ``transaction=True``): every
worker waits at a barrier, so all of them hit the database at the same moment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections


@dataclass
class Outcome:
    """What one worker got: its return value or the exception it raised."""

    index: int
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_concurrently(
    work: Callable[[int], Any] | Sequence[Callable[[], Any]],
    workers: int = 8,
    timeout: float = 60,
) -> list[Outcome]:
    """Call ``work(i)`` for i in range(workers) (or each callable of a sequence) at once.

    Returns one :class:`Outcome` per worker, in worker order. Each thread closes its own
    connection when done, so the test database can be dropped afterwards.
    """
    calls: list[Callable[[], Any]] = (
        [(lambda i=i: work(i)) for i in range(workers)] if callable(work) else list(work)
    )
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome(index=i) for i in range(len(calls))]

    def run(i: int) -> None:
        try:
            barrier.wait(timeout)
            outcomes[i].value = calls[i]()
        except BaseException as exc:  # recorded for the test to assert on
            outcomes[i].error = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    stuck = [i for i, thread in enumerate(threads) if thread.is_alive()]
    if stuck:
        raise TimeoutError(f"workers {stuck} did not finish within {timeout}s (deadlock?)")
    return outcomes
