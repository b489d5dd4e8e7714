"""Labels holding quotes, brackets, line breaks, ``<``/``>`` and the formats' own syntax are
drawn as they are and cannot break the DOT or Mermaid output."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from django_catalog.diagrams import graphviz_available, render_dot, render_mermaid, render_svg
from tests.models import AWKWARD_TEXT, Awkward

SVG = "{http://www.w3.org/2000/svg}"
EDGE_LABEL = f"release [{AWKWARD_TEXT}]"


def svg_texts(svg: bytes, kind: str) -> dict[str, str]:
    """The text drawn for each node or edge of the SVG, by its title, lines joined by \\n."""
    drawn = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") == kind:
            title = group.find(f"{SVG}title").text
            drawn[title] = "\n".join(text.text or "" for text in group.iter(f"{SVG}text"))
    return drawn


@pytest.mark.skipif(not graphviz_available(), reason="needs Graphviz's dot program")
def test_dot_draws_awkward_labels_exactly_as_written():
    svg = render_svg(render_dot(Awkward))

    nodes = svg_texts(svg, "node")
    edges = svg_texts(svg, "edge")

    assert nodes["held"] == AWKWARD_TEXT
    assert nodes["done"] == "Done"
    assert edges["held->done"] == EDGE_LABEL


def test_dot_labels_stay_inside_their_quotes():
    dot = render_dot(Awkward)
    held = next(line for line in dot.splitlines() if line.startswith('\t"held" '))

    # One statement on one line: the label's quotes and line break are escaped.
    assert held.endswith("];")
    assert held.count('"') - held.count('\\"') == 4
    assert "\\\\N" in held and "back\\\\slash" in held and "\\nnext" in held


MERMAID_STATEMENT = re.compile(
    r"---|title: .+|stateDiagram-v2"
    r'|    state "[^"\n]*" as \w+'
    r"|    (\[\*\]|\w+) --> (\[\*\]|\w+)( : [^\n]*)?"
)


def unescape_mermaid(text: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m[1])), text.replace("#quot;", '"'))


def test_mermaid_keeps_every_label_in_its_statement():
    lines = render_mermaid(Awkward).splitlines()

    assert all(MERMAID_STATEMENT.fullmatch(line) for line in lines), lines
    (state,) = [line for line in lines if line.endswith(" as held")]
    (edge,) = [line for line in lines if line.startswith("    held --> done : ")]
    label = edge.removeprefix("    held --> done : ")
    bare = re.sub(r"#(\d+|quot);", "", label)  # the entity codes taken out
    for syntax in ('"', ";", "#", "<", ">", "{", "}", ":", "-->", "%%", "[*]", "\\"):
        assert syntax not in bare
    assert unescape_mermaid(label) == EDGE_LABEL.replace("\n", " ")
    assert unescape_mermaid(state.split('"')[1]) == AWKWARD_TEXT.replace("\n", " ")
