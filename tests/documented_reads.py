"""The documented reads, and what PostgreSQL's plan for each of them looks like.

Shared by the plan test (``tests/test_read_plans.py``) and the read benchmark
(``tests/benchmarks/read_benchmark.py``), so both check the same reads in the same way. Each
read is run as a host would run it (the queryset evaluated, the property read); the plans
are those of the SQL it actually sent, captured and passed to ``EXPLAIN (FORMAT JSON)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_catalog.models import Basket, BasketItem, CatalogItem, CatalogStateLog, WorkItem
from tests.bulk_data import YearOfOrders

#: A table is "large" above this many rows: reading it whole is what the reads must not do.
LARGE_TABLE_ROWS = 10_000

PAGE = 50


@dataclass(frozen=True)
class Target:
    """The objects one run of the reads is about: a basket, its visit and line, a staff user."""

    basket: Basket
    visit: Any
    line: BasketItem
    user: Any
    organization: Any


@dataclass(frozen=True)
class Read:
    label: str
    run: Callable[[Target], Any]


DOCUMENTED_READS = [
    Read(
        'WorkItem.objects.open().of_type("collect")[:50]',
        lambda t: list(WorkItem.objects.open().of_type("collect")[:PAGE]),
    ),
    Read("WorkItem.objects.open()[:50]", lambda t: list(WorkItem.objects.open()[:PAGE])),
    Read(
        "WorkItem.objects.assigned_to_user(user).open()[:50]",
        lambda t: list(WorkItem.objects.assigned_to_user(t.user).open()[:PAGE]),
    ),
    Read(
        "WorkItem.objects.assigned_to_user(None).open()[:50]",
        lambda t: list(WorkItem.objects.assigned_to_user(None).open()[:PAGE]),
    ),
    Read(
        "WorkItem.objects.for_context(visit).open()",
        lambda t: list(WorkItem.objects.for_context(t.visit).open()),
    ),
    Read(
        'WorkItem.objects.for_context(visit).open().of_type("collect").assigned_to_user(user)',
        lambda t: list(
            WorkItem.objects.for_context(t.visit).open().of_type("collect").assigned_to_user(t.user)
        ),
    ),
    Read("Basket.objects.for_context(visit)", lambda t: list(Basket.objects.for_context(t.visit))),
    Read(
        "CatalogStateLog.objects.for_(basket)",
        lambda t: list(CatalogStateLog.objects.for_(t.basket)),
    ),
    Read("basket.work_progress()", lambda t: t.basket.work_progress()),
    Read("line.quantity_dispensed", lambda t: t.line.quantity_dispensed),
    Read(
        'CatalogItem.objects.for_owner(owner).available().by_category("category-1")',
        lambda t: list(
            CatalogItem.objects.for_owner(t.organization).available().by_category("category-1")
        ),
    ),
]


def documented_read(label: str) -> Read:
    """The read documented as ``label``."""
    (read,) = [read for read in DOCUMENTED_READS if read.label == label]
    return read


def targets(data: YearOfOrders, count: int) -> list[Target]:
    """``count`` targets spread evenly over the data set, from the oldest basket to the newest."""
    found = []
    for n in range(count):
        i = (n * data.baskets) // count + data.baskets // (2 * count)
        basket = Basket.objects.get(pk=data.basket_id(i))
        found.append(
            Target(
                basket=basket,
                visit=basket.context,
                line=BasketItem.objects.get(pk=data.line_id(i * 3)),
                user=data.staff[n % len(data.staff)],
                organization=data.organization,
            )
        )
    return found


def plans(read: Read, target: Target) -> list[dict[str, Any]]:
    """The PostgreSQL plan (``EXPLAIN (FORMAT JSON)``, top node) of each query ``read`` sends."""
    with CaptureQueriesContext(connection) as queries:
        read.run(target)
    found = []
    with connection.cursor() as cursor:
        for query in queries:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {query['sql']}")
            (explained,) = cursor.fetchone()
            if isinstance(explained, str):
                explained = json.loads(explained)
            found.append(explained[0]["Plan"])
    return found


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``plan``'s node and all the nodes below it."""
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def table_rows(table: str) -> int:
    """The planner's estimate of the rows in ``table`` (as of the last ANALYZE)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        (rows,) = cursor.fetchone()
    return int(rows)


def sequential_scans(found_plans: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(table, rows) of every table the plans read whole."""
    return [
        (node["Relation Name"], table_rows(node["Relation Name"]))
        for plan in found_plans
        for node in plan_nodes(plan)
        if node["Node Type"] == "Seq Scan"
    ]


def large_sequential_scans(found_plans: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The sequential scans of a table holding more than :data:`LARGE_TABLE_ROWS` rows."""
    return [(t, rows) for t, rows in sequential_scans(found_plans) if rows > LARGE_TABLE_ROWS]


def indexes_used(found_plans: list[dict[str, Any]]) -> list[str]:
    """The indexes the plans read, in plan order, each once."""
    nodes = [node for plan in found_plans for node in plan_nodes(plan)]
    return list(dict.fromkeys(node["Index Name"] for node in nodes if "Index Name" in node))
