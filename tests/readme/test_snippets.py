"""The README's Python snippets run as shown, their free names (``visit``, ``nurse``,
``line``, ...) filled from the test fixtures."""

from __future__ import annotations

import doctest
from decimal import Decimal

import pytest

from django_catalog.models import CatalogStateLog, WorkItem, WorkItemStatus
from django_catalog.services import (
    add_item,
    commit_basket,
    complete_work_item,
    create_basket,
    start_work_item,
)
from django_catalog.signals import work_item_status_changed
from tests.readme.readme import README, code_blocks, python_blocks, run_python, sections_with_code

#: Every Python block of the README, by section, and the test that runs it.
TESTED_BLOCKS = {
    "## Install": 1,  # test_install.py
    "## Quick start": 1,  # test_install.py
    "## Money": 1,  # here
    "## Work items": 4,  # here (three python, one pycon)
    "### Work each item spawns": 1,  # here
    "## Dispensing": 1,  # here
    "## Signals": 1,  # here
    "### Configuring handlers": 1,  # test_events.py
    "### Deduplicating in a handler": 1,  # test_events.py
    "## Audit trail": 1,  # here
    "## Concurrency and idempotency": 1,  # test_concurrency_example.py
}


def test_every_python_block_of_the_readme_is_run_by_a_test():
    assert sections_with_code("python", "pycon") == TESTED_BLOCKS


@pytest.fixture
def committed_basket(draft_with_lines, user):
    """The visit's basket, committed by ``user``: two lines x collect, process, report."""
    return commit_basket(
        draft_with_lines, committed_by=user, work_types=["collect", "process", "report"]
    )


def work_of(basket, work_type):
    return WorkItem.objects.for_basket(basket).filter(work_type=work_type).order_by("pk")


@pytest.mark.django_db
def test_work_item_services_snippet(committed_basket, user, other_user):
    item, other_item = work_of(committed_basket, "collect")
    services_block = python_blocks("## Work items")[0]

    run_python(
        services_block,
        {"item": item, "other_item": other_item, "nurse": user, "doctor": other_user},
        "## Work items",
    )

    assert item.status == WorkItemStatus.COMPLETED
    assert item.assigned_to == user
    assert other_item.status == WorkItemStatus.CANCELLED
    assert [row.transition for row in CatalogStateLog.objects.for_(item).order_by("pk")] == [
        "start",
        "block",
        "unblock",
        "complete",
    ]
    assert CatalogStateLog.objects.for_(other_item).get().description == "ordered twice"


@pytest.mark.django_db
def test_work_board_snippet(committed_basket, visit, user, other_user):
    mine, someone_elses = work_of(committed_basket, "collect")
    start_work_item(mine, by=user)
    start_work_item(someone_elses, by=other_user)
    board_block = python_blocks("## Work items")[1]

    namespace = run_python(board_block, {"visit": visit, "nurse": user}, "## Work items")

    assert list(namespace["board"]) == [mine]


@pytest.mark.django_db
def test_basket_reads_snippet(committed_basket, visit, make_catalog_item):
    draft = create_basket(context=visit)
    add_item(draft, make_catalog_item(name="Urine test"))
    create_basket(context=None)
    basket_block = python_blocks("## Work items")[2]

    namespace = run_python(basket_block, {"visit": visit}, "## Work items")

    assert list(namespace["orders"]) == [draft, committed_basket]
    assert list(namespace["to_finish"]) == [draft]


@pytest.mark.django_db
def test_work_progress_example(committed_basket):
    work = list(WorkItem.objects.for_basket(committed_basket).order_by("pk"))
    for item in work[:5]:
        start_work_item(item)
    for item in work[:3]:
        complete_work_item(item)
    (example,) = code_blocks("## Work items", "pycon")
    test = doctest.DocTestParser().get_doctest(
        example, {"basket": committed_basket}, "work_progress", str(README), 0
    )
    runner = doctest.DocTestRunner()

    runner.run(test)

    assert runner.summarize(verbose=False).failed == 0


@pytest.mark.django_db
def test_money_snippet(routed_draft, make_catalog_item, capsys):
    from django_catalog.services import add_item

    vaccine = make_catalog_item(name="Vaccine", unit_price=Decimal("30.00"), currency="EUR")
    (block,) = python_blocks("## Money")

    run_python(
        block, {"basket": routed_draft, "vaccine": vaccine, "add_item": add_item}, "## Money"
    )

    assert capsys.readouterr().out.splitlines() == [
        "182.50 USD 182.50 USD",
        "['EUR', 'USD']",
        "30.00 EUR + 182.50 USD",
    ]


@pytest.mark.django_db
def test_work_each_item_spawns_snippet(organization, visit, user):
    (block,) = python_blocks("### Work each item spawns")

    namespace = run_python(
        block, {"clinic": organization, "visit": visit, "nurse": user}, "### Work each item spawns"
    )

    basket = namespace["basket"]
    spawned = {
        (work.basket_item.catalog_item.name, work.work_type)
        for work in basket.work_items().select_related("basket_item__catalog_item")
    }
    assert basket.committed_by == user
    assert spawned == {
        ("Complete blood count", "collect"),
        ("Complete blood count", "process"),
        ("Complete blood count", "report"),
        ("Chest X-ray", "acquire"),
        ("Chest X-ray", "report"),
        ("Chest X-ray", "second read"),
        ("Amoxicillin 500 mg", "dispense"),
    }


@pytest.mark.django_db
def test_dispensing_snippet(make_committed_line, user):
    line = make_committed_line(quantity="5")
    (block,) = python_blocks("## Dispensing")

    namespace = run_python(block, {"line": line, "pharmacist": user}, "## Dispensing")

    log = namespace["log"]
    assert (log.basket_item, log.quantity_dispensed, log.dispensed_by) == (line, 2, user)
    assert (log.lot_number, log.metadata) == ("LOT-42", {"station": "B"})
    assert line.quantity_dispensed == Decimal("2.00")
    assert line.quantity_remaining == Decimal("3.00")


class WardBoard:
    """The host's own code the signal snippet calls: records what it is asked to flag."""

    def __init__(self):
        self.flagged = []

    def flag(self, work_item, by):
        self.flagged.append((work_item, by))


@pytest.mark.django_db
def test_signals_snippet(committed_basket, user, django_capture_on_commit_callbacks):
    item = work_of(committed_basket, "collect").first()
    ward_board = WardBoard()
    (block,) = python_blocks("## Signals")
    namespace = run_python(block, {"ward_board": ward_board}, "## Signals")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            start_work_item(item, by=user)
            item.block("sample haemolysed", by=user)
    finally:
        work_item_status_changed.disconnect(namespace["notify_ward"])

    assert ward_board.flagged == [(item, user)]


@pytest.mark.django_db
def test_audit_trail_snippet(committed_basket, capsys):
    (block,) = python_blocks("## Audit trail")

    run_python(block, {"basket": committed_basket}, "## Audit trail")

    assert "commit draft -> committed nurse" in capsys.readouterr().out
