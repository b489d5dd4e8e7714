"""render_page_svg: a machine for a web page, with labels and links per state, with or
without Graphviz."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from django_catalog.diagrams import describe, graphviz_available, render_dot, render_page_svg
from django_catalog.models import WorkItem
from tests.models import Parcel, Ticket

SVG = "{http://www.w3.org/2000/svg}"
LABELS = {"shipped": "Shipped\n7", "lost": "Lost in transit\n0"}
LINKS = {"shipped": "/parcels/?status=shipped", "lost": "/parcels/?status=lost&page=2"}


def nodes(svg: str) -> dict[str, ET.Element]:
    """The grandalf drawing's states by value."""
    root = ET.fromstring(svg)
    return {g.get("data-state"): g for g in root.iter(f"{SVG}g") if g.get("class") == "node"}


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def test_grandalf_draws_every_state_with_its_label_and_link():
    svg = render_page_svg(Parcel, state_labels=LABELS, state_links=LINKS, layout="grandalf")

    drawn = nodes(svg)  # parsing proves it is well-formed XML
    assert set(drawn) == {value for value, _ in describe(Parcel).states}
    assert texts(drawn["shipped"]) == ["Shipped", "7"]
    assert texts(drawn["packed"]) == ["Packed"]
    link = drawn["lost"].find(f"{SVG}a")
    assert link is not None and link.get("href") == "/parcels/?status=lost&page=2"
    assert drawn["packed"].find(f"{SVG}a") is None


def test_grandalf_marks_final_states_with_a_double_border_and_the_initial_with_a_dot():
    svg = render_page_svg(Parcel, layout="grandalf")

    drawn = nodes(svg)
    assert len(list(drawn["delivered"].iter(f"{SVG}ellipse"))) == 2
    assert len(list(drawn["shipped"].iter(f"{SVG}ellipse"))) == 1
    root = ET.fromstring(svg)
    initial = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node initial"]
    assert len(initial) == 1


def test_grandalf_draws_one_arrow_per_pair_of_states_with_every_transition_named():
    svg = render_page_svg(Parcel, layout="grandalf")

    root = ET.fromstring(svg)
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    pairs = {(e.source, e.target) for e in describe(Parcel).edges}
    assert len(edges) == len(pairs) + 1  # and the arrow into the initial state
    labels = {text for edge in edges for text in texts(edge)}
    assert {"ship [has label]", "deliver (on error)", "return_to_sender"} <= labels


def test_grandalf_draws_loops_and_states_in_separate_parts():
    svg = render_page_svg(Ticket, layout="grandalf", direction="TB")

    root = ET.fromstring(svg)
    labels = {t.text for t in root.iter(f"{SVG}text")}
    assert "touch" in " ".join(label or "" for label in labels)  # the loop's label
    assert set(nodes(svg)) == {value for value, _ in describe(Ticket).states}


def test_without_graphviz_auto_uses_grandalf(no_dot):
    svg = render_page_svg(WorkItem, state_links={"pending": "/board/?status=pending"})

    assert 'data-state="pending"' in svg
    assert '<a href="/board/?status=pending"' in svg


@pytest.mark.skipif(not graphviz_available(), reason="Graphviz's dot is not installed")
def test_with_graphviz_dot_draws_it_as_an_element_for_html():
    svg = render_page_svg(Parcel, state_labels=LABELS, state_links=LINKS, layout="dot")

    assert svg.startswith("<svg")  # no XML prolog or doctype
    assert 'xlink:href="/parcels/?status=shipped"' in svg
    assert ">Shipped</text>" in svg
    assert ">7</text>" in svg


def test_dot_source_carries_the_links_labels_and_direction():
    source = render_dot(Parcel, state_labels=LABELS, state_links=LINKS, direction="LR")

    assert "rankdir=LR" in source
    assert (
        '\t"shipped" [label="Shipped\\n7", URL="/parcels/?status=shipped", target=_top, '
        'tooltip="Shipped 7"];'
    ) in source.splitlines()


def test_text_in_labels_cannot_break_the_svg():
    svg = render_page_svg(
        Parcel,
        state_labels={"packed": '<b>"Packed" & sealed</b>'},
        state_links={"packed": '/x?a="1"&b=<2>'},
        layout="grandalf",
    )

    packed = nodes(svg)["packed"]
    assert texts(packed) == ['<b>"Packed" & sealed</b>']
    assert packed.find(f"{SVG}a").get("href") == '/x?a="1"&b=<2>'


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"state_labels": {"flying": "x"}}, "Parcel.status has no state 'flying' to label"),
        ({"state_links": {"flying": "/"}}, "Parcel.status has no state 'flying' to link"),
        ({"layout": "neato"}, "unknown layout 'neato'; choose from auto, dot, grandalf"),
        ({"direction": "RL", "layout": "grandalf"}, "unknown direction 'RL'; choose from TB, LR"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError) as error:
        render_page_svg(Parcel, **kwargs)

    assert str(error.value) == message
