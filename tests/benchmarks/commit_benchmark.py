"""Benchmark: commit_basket against the straightforward per-row algorithm and the floor.

Run it with ``make bench`` (or ``python -m tests.benchmarks.commit_benchmark`` from the
repository root). For 10, 100 and 1,000 lines x 3 work types, on SQLite and on PostgreSQL,
it prints queries and median milliseconds per commit of:

(a) ``commit_basket`` as shipped;
(b) the straightforward algorithm (written below as the baseline): lock the basket, loop over
    the lines and work types with ``get_or_create``, then the same audited transition;
(c) the floor: one status UPDATE plus one bulk INSERT of the same work items
    (``bulk_create``), in a transaction, with the line ids already known;
(d) the set-based floor: one status UPDATE plus the INSERT ... SELECT that (a) uses, in a
    transaction: what (a) costs without its lock (which also reads the guard) and audit row;
(e) ``commit_basket`` with ``work_types=None``: the same work, read from the catalog item's
    ``work_types`` by the database (``json_each`` / ``jsonb_array_elements``);

then the ratios (b)/(a), (a)/(c), (a)/(d) and (e)/(a), the peak Python memory (tracemalloc) of
committing 10,000 lines, and the EXPLAIN plan of the catalog read on 100,000 items. It checks
the issue's targets and exits non-zero if one is missed.

Each database is measured in its own process, configured by ``tests/settings.py``
(``CATALOG_TEST_DATABASE``), so PostgreSQL is found exactly as the test suite finds it
(``tests/postgres.py``). The benchmark creates its own database (Django's test-database
machinery) and drops it at the end. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DATABASES = ("sqlite", "postgres")
WORK_TYPES = ["collect", "process", "report"]
SIZES = (10, 100, 1000)
# Timed runs per size (after one untimed run that counts the queries).
RUNS = {10: 15, 100: 9, 1000: 5}
BASELINE_RUNS = {10: 9, 100: 5, 1000: 3}
MEMORY_LINES = 10_000
CATALOG_SIZE = 100_000

# The targets at 1,000 lines x 3 work types.
TARGET_SIZE = 1000
MIN_SPEEDUP = {"postgresql": 20.0, "sqlite": 5.0}
MAX_OVER_FLOOR = {"postgresql": 1.5}


@dataclass
class Measure:
    queries: int
    times_ms: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)


def setup_django(database: str) -> None:
    os.environ["CATALOG_TEST_DATABASE"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()


# --- the three algorithms ------------------------------------------------------------------


def straightforward_commit(basket: Any, committed_by: Any, work_types: list[str]) -> Any:
    """BASELINE, not the shipped code: the per-row commit a first version would write.

    Same models, same guarantees (row lock, idempotency, audited transition), but one
    ``get_or_create`` per (line, work type): a SELECT, then a SAVEPOINT, an INSERT and a
    RELEASE for each work item.
    """
    from django.db import transaction

    from django_catalog.models import Basket, BasketStatus, WorkItem

    with transaction.atomic():
        locked = Basket.objects.select_for_update().get(pk=basket.pk)
        if locked.status != BasketStatus.COMMITTED:
            for line in locked.items.all():
                for work_type in work_types:
                    WorkItem.objects.get_or_create(
                        basket_item=line, spawn_role=work_type, defaults={"work_type": work_type}
                    )
            # status, committed_at/by, audit row; the work was made above, so none is spawned
            locked.commit(by=committed_by, work_types=[])
    basket.refresh_from_db()
    return basket


def floor_commit(basket: Any, line_ids: list[Any], work_types: list[str]) -> None:
    """(c) The floor: one status UPDATE and one bulk INSERT of the same rows, nothing else."""
    from django.db import transaction
    from django.utils import timezone

    from django_catalog.models import Basket, BasketStatus, WorkItem

    with transaction.atomic():
        Basket.objects.filter(pk=basket.pk).update(
            status=BasketStatus.COMMITTED, committed_at=timezone.now()
        )
        WorkItem.objects.bulk_create(
            [
                WorkItem(basket_item_id=line_id, work_type=work_type, spawn_role=work_type)
                for line_id in line_ids
                for work_type in work_types
            ]
        )


def set_based_floor_commit(basket: Any, work_types: list[str]) -> None:
    """(d) One status UPDATE and commit_basket's own INSERT ... SELECT, nothing else."""
    from django.db import transaction
    from django.utils import timezone

    from django_catalog.models import Basket, BasketItem, BasketStatus
    from django_catalog.spawning import insert_work_items

    with transaction.atomic():
        Basket.objects.filter(pk=basket.pk).update(
            status=BasketStatus.COMMITTED, committed_at=timezone.now()
        )
        insert_work_items(BasketItem.objects.filter(basket=basket), work_types)


# --- measuring -----------------------------------------------------------------------------


def fresh_basket(lines: int, catalog_item: Any) -> tuple[Any, list[Any]]:
    from tests.bulk_data import draft_basket_with_lines

    basket = draft_basket_with_lines(lines, catalog_item)
    return basket, list(basket.items.values_list("id", flat=True))


def count_queries(lines: int, catalog_item: Any, commit: Callable[[Any, list[Any]], Any]) -> int:
    """Queries of one commit (an untimed run that also warms caches)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    basket, line_ids = fresh_basket(lines, catalog_item)
    # Django keeps the last 9,000 queries only; the baseline issues more than that.
    connection.queries_log = deque()
    try:
        with CaptureQueriesContext(connection) as queries:
            commit(basket, line_ids)
        return len(queries)
    finally:
        connection.queries_log = deque(maxlen=connection.queries_limit)


def time_ms(lines: int, catalog_item: Any, commit: Callable[[Any, list[Any]], Any]) -> float:
    """Milliseconds of one commit of a fresh basket (its setup is not timed)."""
    basket, line_ids = fresh_basket(lines, catalog_item)
    gc.collect()
    started = time.perf_counter()
    commit(basket, line_ids)
    return (time.perf_counter() - started) * 1000


def measure(
    lines: int, catalog_item: Any, algorithms: dict[str, Callable[[Any, list[Any]], Any]]
) -> dict[str, Measure]:
    """Count each algorithm's queries, then time them in turns.

    Taking turns spreads drift (a growing table, autovacuum, a busy neighbour) over all
    of them instead of charging it to whichever would run last.
    """
    measures = {
        name: Measure(count_queries(lines, catalog_item, commit), [])
        for name, commit in algorithms.items()
    }
    for turn in range(RUNS[lines]):
        for name, commit in algorithms.items():
            if name == "b" and turn >= BASELINE_RUNS[lines]:
                continue
            measures[name].times_ms.append(time_ms(lines, catalog_item, commit))
    return measures


Commit = Callable[[Any, list[Any]], Any]


def peak_memory_mib(lines: int, catalog_item: Any, commit: Commit) -> float:
    basket, line_ids = fresh_basket(lines, catalog_item)
    gc.collect()
    tracemalloc.start()
    try:
        commit(basket, line_ids)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def catalog_read_plan() -> str:
    from django.db import connection

    from django_catalog.models import CatalogItem
    from tests.bulk_data import analyze, insert_catalog

    organizations = insert_catalog(CATALOG_SIZE, owners=100, categories=20)
    analyze()
    read = CatalogItem.objects.for_owner(organizations[5]).available().by_category("category-3")
    rows = read.count()
    options = {"analyze": True} if connection.vendor == "postgresql" else {}
    sql = "CatalogItem.objects.for_owner(owner).available().by_category(category)"
    return f"{sql}  -> {rows} rows\n{read.explain(**options)}"


def database_label() -> str:
    import sqlite3

    from django.db import connection

    if connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)
        return f"PostgreSQL {major}.{minor}"
    return f"SQLite {sqlite3.sqlite_version} (in memory)"


def run_one(database: str) -> int:
    """Benchmark one database in this process; returns the number of missed targets."""
    setup_django(database)
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from django_catalog.models import Basket, CatalogItem, WorkItem
    from django_catalog.services import commit_basket
    from tests.models import Organization

    if connection.vendor == "postgresql":
        connection.settings_dict["TEST"]["NAME"] = "django_catalog_benchmark"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        for model in (Basket, WorkItem, CatalogItem, Organization):
            ContentType.objects.get_for_model(model)
        user = get_user_model().objects.create_user(username="bench")
        supplier = Organization.objects.create(name="Bench supplier")
        # (a) names the work itself; (e) spawns the same work from the item's defaults.
        catalog_item = CatalogItem.objects.create(
            owner=supplier, name="Blood test", work_types=WORK_TYPES
        )

        algorithms: dict[str, Callable[[Any, list[Any]], Any]] = {
            "a": lambda b, ids: commit_basket(b, committed_by=user, work_types=WORK_TYPES),
            "b": lambda b, ids: straightforward_commit(b, user, WORK_TYPES),
            "c": lambda b, ids: floor_commit(b, ids, WORK_TYPES),
            "d": lambda b, ids: set_based_floor_commit(b, WORK_TYPES),
            "e": lambda b, ids: commit_basket(b, committed_by=user),
        }
        results = {lines: measure(lines, catalog_item, algorithms) for lines in SIZES}
        memory = {
            name: peak_memory_mib(MEMORY_LINES, catalog_item, algorithms[name]) for name in "acd"
        }
        plan = catalog_read_plan()
        return report(connection.vendor, results, memory, plan)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def report(
    vendor: str, results: dict[int, dict[str, Measure]], memory: dict[str, float], plan: str
) -> int:
    print(f"### {database_label()}\n")
    print(
        "| lines x types | (a) commit_basket | (b) straightforward | (c) floor, bulk_create "
        "| (d) floor, INSERT ... SELECT | (e) commit_basket, item defaults "
        "| (b)/(a) | (a)/(c) | (a)/(d) | (e)/(a) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for lines, by_name in results.items():
        a, b, c, d, e = (by_name[name] for name in "abcde")
        cells = [f"{m.queries} q, {m.median_ms:.1f} ms" for m in (a, b, c, d, e)]
        print(
            f"| {lines:,} x {len(WORK_TYPES)} | {' | '.join(cells)} "
            f"| {b.median_ms / a.median_ms:.1f}x | {a.median_ms / c.median_ms:.2f}x "
            f"| {a.median_ms / d.median_ms:.2f}x | {e.median_ms / a.median_ms:.2f}x |"
        )
    print(
        f"\nPeak Python memory (tracemalloc) of one commit, {MEMORY_LINES:,} lines x "
        f"{len(WORK_TYPES)}: (a) {memory['a']:.2f} MiB, (c) {memory['c']:.2f} MiB, "
        f"(d) {memory['d']:.2f} MiB\n"
    )
    print(f"Catalog read on {CATALOG_SIZE:,} items:\n```\n{plan}\n```\n")

    target = results[TARGET_SIZE]
    speedup = target["b"].median_ms / target["a"].median_ms
    checks = [(f"(b)/(a) >= {MIN_SPEEDUP[vendor]:g}", speedup >= MIN_SPEEDUP[vendor])]
    if vendor in MAX_OVER_FLOOR:
        # The floor is (c); (d) is the stricter one for a set-based commit.
        limit = MAX_OVER_FLOOR[vendor]
        for floor in "cd":
            ratio = target["a"].median_ms / target[floor].median_ms
            checks.append((f"(a)/({floor}) <= {limit:g}", ratio <= limit))
    for label, met in checks:
        verdict = "met" if met else "MISSED"
        print(f"Target at {TARGET_SIZE:,} x {len(WORK_TYPES)}: {label}: {verdict}")
    print()
    return sum(not met for _, met in checks)


def machine_summary() -> str:
    import django

    cpu = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            models = (ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name"))
            cpu = next(models, "")
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores{f' ({cpu})' if cpu else ''}, "
        f"Python {platform.python_version()}, Django {django.get_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=[*DATABASES, "all"], default="all")
    args = parser.parse_args(argv)
    if args.database != "all":
        return 1 if run_one(args.database) else 0

    print(f"## commit benchmark: {machine_summary()}\n", flush=True)
    failed = False
    for database in DATABASES:
        started = time.perf_counter()
        code = subprocess.call(
            [sys.executable, "-m", "tests.benchmarks.commit_benchmark", "--database", database]
        )
        print(f"({database}: {time.perf_counter() - started:.0f} s)\n", flush=True)
        failed = failed or code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
