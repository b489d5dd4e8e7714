"""The renderer draws exactly the transitions declared in the code, the same way every time."""

from __future__ import annotations

import functools

import pytest

from django_catalog.diagrams import (
    Edge,
    condition_label,
    describe,
    render_dot,
    render_mermaid,
    resolve_targets,
)
from django_catalog.models import Basket, WorkItem
from tests.models import Parcel, Ticket

PARCEL_DOT = """\
digraph "Parcel.status" {
\tgraph [label="Parcel.status", labelloc=t, fontname=Helvetica];
\tnode [shape=ellipse, fontname=Helvetica];
\tedge [fontname=Helvetica, fontsize=10];
\t"__initial__" [label="", shape=point, width=0.15];
\t"packed" [label="Packed"];
\t"shipped" [label="Shipped"];
\t"delivered" [label="Delivered", peripheries=2];
\t"lost" [label="Lost in transit", peripheries=2];
\t"returned" [label="Returned to sender", peripheries=2];
\t"__initial__" -> "packed";
\t"packed" -> "shipped" [label="ship [has label]"];
\t"packed" -> "returned" [label="return_to_sender"];
\t"shipped" -> "delivered" [label="deliver [has label and signed for]"];
\t"shipped" -> "lost" [label="deliver (on error)", style=dashed];
\t"shipped" -> "returned" [label="return_to_sender"];
}
"""

PARCEL_MERMAID = """\
---
title: Parcel.status
---
stateDiagram-v2
    state "Packed" as packed
    state "Shipped" as shipped
    state "Delivered" as delivered
    state "Lost in transit" as lost
    state "Returned to sender" as returned
    [*] --> packed
    packed --> shipped : ship [has label]
    packed --> returned : return_to_sender
    shipped --> delivered : deliver [has label and signed for]
    shipped --> lost : deliver (on error)
    shipped --> returned : return_to_sender
    delivered --> [*]
    lost --> [*]
    returned --> [*]
"""


def test_dot_of_a_machine_with_guards_several_sources_and_an_error_state():
    assert render_dot(Parcel) == PARCEL_DOT


def test_mermaid_of_a_machine_with_guards_several_sources_and_an_error_state():
    assert render_mermaid(Parcel) == PARCEL_MERMAID


def test_states_keep_the_order_of_the_choices_with_their_human_labels():
    machine = describe(Parcel)
    assert machine.states == (
        ("packed", "Packed"),
        ("shipped", "Shipped"),
        ("delivered", "Delivered"),
        ("lost", "Lost in transit"),
        ("returned", "Returned to sender"),
    )
    assert machine.initial == "packed"
    assert machine.finals == {"delivered", "lost", "returned"}


def test_wildcard_sources_computed_targets_and_unchanged_state_are_expanded():
    machine = describe(Ticket)
    assert [state for state, _ in machine.states] == ["archived", "closed", "new", "open"]
    assert set(machine.edges) == {
        # RETURN_VALUE: one edge per allowed state
        Edge("new", "open", "triage"),
        Edge("new", "closed", "triage"),
        # '+': every state but the target
        Edge("archived", "open", "reopen"),
        Edge("closed", "open", "reopen"),
        Edge("new", "open", "reopen"),
        # '*': every state, except where the method declares its own transition
        Edge("archived", "closed", "close"),
        Edge("new", "closed", "close"),
        Edge("open", "closed", "close"),
        Edge("closed", "archived", "close"),
        # target None keeps the state
        *(Edge(state, state, "touch") for state in ("archived", "closed", "new", "open")),
    }
    assert machine.initial == "new"
    assert machine.finals == set()


def test_each_state_field_of_a_model_is_its_own_machine():
    machine = describe(Ticket, "phase")
    assert machine.edges == (Edge("a", "b", "advance"),)
    assert machine.finals == {"b"}


def test_basket_commit_shows_its_guard():
    assert describe(Basket).edges == (
        Edge("draft", "committed", "commit [has lines]"),
        Edge("draft", "cancelled", "cancel"),
    )


def test_work_item_unblock_gets_one_edge_per_state_it_can_resume():
    unblock = [edge for edge in describe(WorkItem).edges if edge.label == "unblock"]
    assert unblock == [
        Edge("blocked", "pending", "unblock"),
        Edge("blocked", "in_progress", "unblock"),
    ]


def test_a_transition_from_several_sources_draws_one_edge_per_source():
    block = [
        (edge.source, edge.target) for edge in describe(WorkItem).edges if edge.label == "block"
    ]
    assert block == [("pending", "blocked"), ("in_progress", "blocked")]


def _is_ready(obj):
    return True


def workitem_is_assigned(obj):
    return True


def work_item_has_owner(obj):
    return True


def test_guard_labels_are_readable_names():
    labelled = functools.partial(_is_ready)
    labelled.label = "ready to go"

    assert condition_label(labelled, WorkItem) == "ready to go"
    assert condition_label(functools.partial(_is_ready), WorkItem) == "is ready"
    assert condition_label(workitem_is_assigned, WorkItem) == "is assigned"
    assert condition_label(work_item_has_owner, WorkItem) == "has owner"
    assert condition_label(work_item_has_owner, Basket) == "work item has owner"
    assert condition_label(lambda obj: True, Basket) == "condition"


def test_mermaid_ids_are_plain_words_and_labels_cannot_break_the_syntax():
    from django_catalog.diagrams import _mermaid_ids, _mermaid_text

    assert _mermaid_ids(["in progress", "in-progress", "2nd"]) == {
        "in progress": "in_progress",
        "in-progress": "in_progress_2",
        "2nd": "s_2nd",
    }
    assert _mermaid_text('say "hi"; #1') == "say #quot;hi#quot;#59; #35;1"


def test_rendering_twice_gives_identical_text():
    assert render_dot(WorkItem) == render_dot(WorkItem)
    assert render_mermaid(WorkItem) == render_mermaid(WorkItem)


def test_targets_default_to_the_catalogs_machines():
    assert resolve_targets(None) == [(Basket, "status"), (WorkItem, "status")]


def test_a_model_alone_stands_for_all_its_state_fields():
    assert resolve_targets(["tests.Ticket", "tests.Parcel.status"]) == [
        (Ticket, "status"),
        (Ticket, "phase"),
        (Parcel, "status"),
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("django_catalog", "expected app_label.Model or app_label.Model.field"),
        ("django_catalog.Nope", "'django_catalog.Nope': App 'django_catalog' doesn't have"),
        ("django_catalog.Basket.notes", "django_catalog.Basket.notes is not a django-fsm state"),
        ("django_catalog.Basket.nope", "django_catalog.Basket has no field 'nope'"),
        ("django_catalog.CatalogItem", "django_catalog.CatalogItem has no django-fsm state field"),
    ],
)
def test_unknown_targets_are_refused_with_the_name_that_failed(spec, message):
    with pytest.raises(LookupError, match=message.replace(".", r"\.")):
        resolve_targets([spec])
