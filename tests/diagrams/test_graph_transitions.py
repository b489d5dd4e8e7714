"""django-fsm-2's own ``graph_transitions`` command works on the catalog's models."""

from __future__ import annotations

import re
from io import StringIO

from django.core.management import call_command

EDGE = re.compile(r'"[\w.]+\.status\.(\w+)" -> "[\w.]+\.status\.(\w+)" \[label=(\w+)\]')


def graph_edges(target: str) -> set[tuple[str, str, str]]:
    out = StringIO()
    call_command("graph_transitions", target, stdout=out)
    return set(EDGE.findall(out.getvalue()))


def test_graph_transitions_draws_the_basket():
    assert graph_edges("django_catalog.Basket.status") == {
        ("draft", "committed", "commit"),
        ("draft", "cancelled", "cancel"),
    }


def test_graph_transitions_draws_the_work_item_with_both_unblock_targets():
    assert graph_edges("django_catalog.WorkItem") == {
        ("pending", "in_progress", "start"),
        ("in_progress", "completed", "complete"),
        ("pending", "blocked", "block"),
        ("in_progress", "blocked", "block"),
        ("blocked", "pending", "unblock"),
        ("blocked", "in_progress", "unblock"),
        ("pending", "cancelled", "cancel"),
        ("in_progress", "cancelled", "cancel"),
        ("blocked", "cancelled", "cancel"),
    }


def test_graph_transitions_marks_final_states_and_shows_human_labels():
    out = StringIO()
    call_command("graph_transitions", "django_catalog.WorkItem.status", stdout=out)
    dot = out.getvalue()

    assert re.search(r"work_item\.status\.completed\" \[label=Completed shape=doublecircle\]", dot)
    assert re.search(
        r"work_item\.status\.in_progress\" \[label=\"In Progress\" shape=circle\]", dot
    )
