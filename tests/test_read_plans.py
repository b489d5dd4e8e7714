"""Every documented read is served by an index once the tables are large (PostgreSQL).

The data set is a clinic after months of use (``tests.bulk_data.insert_year_of_orders``),
generated once for the module inside a transaction that is rolled back at the end, with
fresh statistics (ANALYZE). The planner is left free to choose: nothing is switched off to
force an index. The plans are those of the SQL each read actually sends.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.bulk_data import analyze, insert_year_of_orders
from tests.documented_reads import (
    DOCUMENTED_READS,
    documented_read,
    indexes_used,
    plan_nodes,
    plans,
    sequential_scans,
    targets,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# 45,000 work items and 50,000 audit rows: enough for a sequential scan to show its cost.
BASKETS = 5_000
# Smaller than any generated catalog table but the 100-item catalog: the planner reads a
# table this size whole only if no index serves the read.
SCANNED_ROWS_ALLOWED = 1_000

BOARD_PAGES = {
    'WorkItem.objects.open().of_type("collect")[:50]': "work_item_open_by_type",
    "WorkItem.objects.open()[:50]": "work_item_open",
    "WorkItem.objects.assigned_to_user(user).open()[:50]": "work_item_open_by_assignee",
}


@pytest.fixture(scope="module")
def year_of_orders(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        data = insert_year_of_orders(BASKETS)
        analyze()
        yield data
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def target(year_of_orders, django_db_blocker):
    with django_db_blocker.unblock():
        return targets(year_of_orders, 3)[1]


def test_no_documented_read_scans_a_large_table(target):
    scans = {read.label: sequential_scans(plans(read, target)) for read in DOCUMENTED_READS}

    large = {
        label: [(table, rows) for table, rows in found if rows > SCANNED_ROWS_ALLOWED]
        for label, found in scans.items()
    }
    assert large == {read.label: [] for read in DOCUMENTED_READS}


@pytest.mark.parametrize("label", BOARD_PAGES)
def test_a_board_page_walks_its_open_work_index_in_order(label, target):
    (plan,) = plans(documented_read(label), target)

    assert indexes_used([plan]) == [BOARD_PAGES[label]]
    # Read in the index's order and stopped after the page: no sort of the matching rows.
    assert plan["Node Type"] == "Limit"
    assert "Sort" not in [node["Node Type"] for node in plan_nodes(plan)]


@pytest.mark.parametrize(
    "label",
    [
        "Basket.objects.for_context(visit)",
        "WorkItem.objects.for_context(visit).open()",
        'WorkItem.objects.for_context(visit).open().of_type("collect").assigned_to_user(user)',
    ],
)
def test_a_contexts_reads_start_from_the_basket_context_index(label, target):
    found = plans(documented_read(label), target)

    assert indexes_used(found)[0] == "basket_context"
