"""State diagrams drawn from the transitions declared in the code.

The diagrams are read from django-fsm-2's own metadata (each transition method's
``_django_fsm``): states and their human labels come from the field's choices, the
initial state from its default, edges from the declared sources, targets, guards and
``on_error`` states. Nothing is described twice, so a diagram cannot disagree with the
model it was drawn from. Output is byte-for-byte deterministic, which lets a test
compare committed diagrams with what the code generates.

Formats: Graphviz DOT (:func:`render_dot`), Mermaid ``stateDiagram-v2``
(:func:`render_mermaid`) and SVG (:func:`render_svg`, needs Graphviz's ``dot``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.encoding import force_str
from django_fsm import ANY_OTHER_STATE, ANY_STATE, FSMFieldMixin, State

__all__ = [
    "DEFAULT_TARGETS",
    "FORMATS",
    "Edge",
    "GraphvizNotFoundError",
    "StateMachine",
    "describe",
    "diagram_stem",
    "graphviz_available",
    "render",
    "render_dot",
    "render_mermaid",
    "render_svg",
    "resolve_targets",
    "stale_diagrams",
    "write_diagrams",
]

#: The catalog's own state machines, drawn when no target is named.
DEFAULT_TARGETS = ("django_catalog.Basket.status", "django_catalog.WorkItem.status")

#: Output format -> file extension.
FORMATS = {"dot": "dot", "mermaid": "mmd", "svg": "svg"}

INSTALL_GRAPHVIZ = (
    "Graphviz's `dot` program was not found on PATH; it is needed to render SVG. "
    "Install Graphviz (e.g. `apt-get install graphviz`, `brew install graphviz` or "
    "`choco install graphviz`), or ask only for the dot and mermaid formats."
)

_INITIAL_NODE = "__initial__"

Target = tuple[type[models.Model], str]


class GraphvizNotFoundError(RuntimeError):
    """SVG was asked for but Graphviz's ``dot`` program is not installed.

    A tooling problem, not a catalog domain error, hence not a ``CatalogError``.
    """

    def __init__(self) -> None:
        super().__init__(INSTALL_GRAPHVIZ)


@dataclass(frozen=True)
class Edge:
    """One drawn arrow: a transition (or its ``on_error`` fallback) from one state."""

    source: str
    target: str
    label: str
    on_error: bool = False


@dataclass(frozen=True)
class StateMachine:
    """Everything a diagram shows about one FSM field, in drawing order."""

    name: str
    states: tuple[tuple[str, str], ...]  # (state value, human label)
    initial: str | None
    finals: frozenset[str]
    edges: tuple[Edge, ...]


def _fsm_field(model: type[models.Model], field_name: str) -> FSMFieldMixin:
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        raise LookupError(f"{model._meta.label} has no field {field_name!r}") from None
    if not isinstance(field, FSMFieldMixin):
        raise LookupError(f"{model._meta.label}.{field_name} is not a django-fsm state field")
    return field


def condition_label(condition: Callable[..., Any], model: type[models.Model]) -> str:
    """A guard's readable name: its ``label`` attribute, else its function name.

    ``basket_has_lines`` on ``Basket`` reads ``has lines``: a leading model-name
    prefix is dropped and underscores become spaces.
    """
    label = getattr(condition, "label", None)
    if label:
        return force_str(label)
    function = condition.func if isinstance(condition, partial) else condition
    name = getattr(function, "__name__", "") or type(function).__name__
    if name == "<lambda>":
        name = "condition"
    name = name.strip("_")
    snake_model = re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()
    for prefix in sorted({f"{model._meta.model_name}_", f"{snake_model}_"}, key=len, reverse=True):
        if name.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix) :]
            break
    return name.replace("_", " ")


def describe(model: type[models.Model], field_name: str = "status") -> StateMachine:
    """Collect the states and edges of ``model.field_name`` from its declared transitions.

    A transition from several sources gives one edge per source; ``'*'`` and ``'+'``
    sources are expanded to the states they cover; a ``GET_STATE``/``RETURN_VALUE``
    target gives one edge per allowed state (every state when none are listed); a
    ``None`` target (state unchanged) is a loop.
    """
    field = _fsm_field(model, field_name)
    labels: dict[str, str] = {}
    for value, label in field.flatchoices:
        labels.setdefault(force_str(value), force_str(label))

    transitions = list(field.get_all_transitions(model))
    mentioned: set[str] = set()
    for transition in transitions:
        for state in (transition.source, transition.on_error):
            if state is not None and state not in (ANY_STATE, ANY_OTHER_STATE):
                mentioned.add(force_str(state))
        target = transition.target
        if isinstance(target, State):
            mentioned.update(force_str(state) for state in target.allowed_states)
        elif target is not None:
            mentioned.add(force_str(target))
    for state in sorted(mentioned - labels.keys()):
        labels[state] = state
    order = {state: position for position, state in enumerate(labels)}
    all_states = list(labels)

    # django-fsm picks a method's transition by source: the state itself, else '*', else '+'.
    declared_sources: dict[str, set[str]] = {}
    for transition in transitions:
        declared_sources.setdefault(transition.name, set()).add(force_str(transition.source))

    edges: set[Edge] = set()
    for transition in transitions:
        conditions = [condition_label(c, model) for c in transition.conditions]
        label = transition.name + (f" [{' and '.join(conditions)}]" if conditions else "")
        target = transition.target
        literal_target = None if isinstance(target, State) or target is None else force_str(target)

        if transition.source in (ANY_STATE, ANY_OTHER_STATE):
            declared = declared_sources[transition.name]
            sources = [s for s in all_states if s not in declared]
            if transition.source == ANY_OTHER_STATE:
                covered_by_any = ANY_STATE in declared
                sources = [s for s in sources if s != literal_target and not covered_by_any]
        else:
            sources = [force_str(transition.source)]

        for source in sources:
            if isinstance(target, State):
                targets = [force_str(s) for s in target.allowed_states] or all_states
            else:
                targets = [source if target is None else force_str(target)]
            edges.update(Edge(source, t, label) for t in targets)
            if transition.on_error is not None:
                error_label = f"{transition.name} (on error)"
                edges.add(Edge(source, force_str(transition.on_error), error_label, on_error=True))

    default = force_str(field.get_default()) if field.has_default() else None
    with_outgoing = {edge.source for edge in edges}
    return StateMachine(
        name=f"{model._meta.object_name}.{field.name}",
        states=tuple(labels.items()),
        initial=default if default in labels else None,
        finals=frozenset(state for state in labels if state not in with_outgoing),
        edges=tuple(
            sorted(
                edges,
                key=lambda e: (order[e.source], order[e.target], e.on_error, e.label),
            )
        ),
    )


_DOT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\r\n": "\\n", "\r": "\\n", "\n": "\\n"}


def _dot_quote(text: str) -> str:
    """A DOT quoted string showing ``text`` as it is.

    Backslashes are doubled (DOT would read ``\\N``, ``\\G``, ``\\l`` in a label as
    escapes), quotes escaped, line breaks kept as ``\\n``, other control characters shown
    as spaces. ``<`` and ``>`` need nothing: only ``<...>`` outside quotes is an HTML label.
    """
    escaped = re.sub(r'\r\n|[\\"\r\n]', lambda match: _DOT_ESCAPES[match[0]], _printable(text))
    return f'"{escaped}"'


def _printable(text: str) -> str:
    """Control characters other than line breaks become spaces."""
    return "".join(
        " " if unicodedata.category(char) == "Cc" and char not in "\r\n" else char for char in text
    )


def render_dot(model: type[models.Model], field_name: str = "status") -> str:
    """Graphviz DOT source: a point marks the initial state, double borders the final ones."""
    machine = describe(model, field_name)
    lines = [
        f"digraph {_dot_quote(machine.name)} {{",
        f"\tgraph [label={_dot_quote(machine.name)}, labelloc=t, fontname=Helvetica];",
        "\tnode [shape=ellipse, fontname=Helvetica];",
        "\tedge [fontname=Helvetica, fontsize=10];",
    ]
    if machine.initial is not None:
        lines.append(f'\t{_dot_quote(_INITIAL_NODE)} [label="", shape=point, width=0.15];')
    for value, label in machine.states:
        extra = ", peripheries=2" if value in machine.finals else ""
        lines.append(f"\t{_dot_quote(value)} [label={_dot_quote(label)}{extra}];")
    if machine.initial is not None:
        lines.append(f"\t{_dot_quote(_INITIAL_NODE)} -> {_dot_quote(machine.initial)};")
    for edge in machine.edges:
        style = ", style=dashed" if edge.on_error else ""
        lines.append(
            f"\t{_dot_quote(edge.source)} -> {_dot_quote(edge.target)} "
            f"[label={_dot_quote(edge.label)}{style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_ids(states: Iterable[str]) -> dict[str, str]:
    """Mermaid state ids must be plain words: sanitise values, keeping them unique."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for value in states:
        base = re.sub(r"\W", "_", value, flags=re.ASCII) or "state"
        if base[0].isdigit():
            base = f"s_{base}"
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}_{number}", number + 1
        ids[value] = candidate
        taken.add(candidate)
    return ids


# Characters a Mermaid label shows as they are; every other one is written as an entity.
_MERMAID_PLAIN = re.compile(r"[\w \-.,()\[\]/'!?+=@$^|~]")


def _mermaid_text(text: str) -> str:
    """A Mermaid label showing ``text``, on one line, that cannot end its statement early.

    Letters, digits, spaces and harmless punctuation stay; line breaks become spaces; any
    other character (``"``, ``;``, ``#``, ``:``, ``<``, ``>``, braces, ...) is written as
    Mermaid's entity code (``#quot;``, ``#59;``), which Mermaid shows as the character
    itself and never reads as syntax or HTML.
    """
    return "".join(map(_mermaid_char, _printable(text)))


def _mermaid_char(char: str) -> str:
    if _MERMAID_PLAIN.fullmatch(char):
        return char
    if char in "\r\n":
        return " "
    return "#quot;" if char == '"' else f"#{ord(char)};"


def render_mermaid(model: type[models.Model], field_name: str = "status") -> str:
    """Mermaid ``stateDiagram-v2`` text: ``[*] -->`` the initial state, ``--> [*]`` from finals."""
    machine = describe(model, field_name)
    ids = _mermaid_ids(value for value, _ in machine.states)
    lines = ["---", f"title: {machine.name}", "---", "stateDiagram-v2"]
    for value, label in machine.states:
        lines.append(f'    state "{_mermaid_text(label)}" as {ids[value]}')
    if machine.initial is not None:
        lines.append(f"    [*] --> {ids[machine.initial]}")
    for edge in machine.edges:
        lines.append(f"    {ids[edge.source]} --> {ids[edge.target]} : {_mermaid_text(edge.label)}")
    for value, _ in machine.states:
        if value in machine.finals:
            lines.append(f"    {ids[value]} --> [*]")
    return "\n".join(lines) + "\n"


def graphviz_available() -> bool:
    """Is Graphviz's ``dot`` program on PATH?"""
    return shutil.which("dot") is not None


def render_svg(dot_source: str) -> bytes:
    """Lay out DOT source with Graphviz's ``dot``; raises :class:`GraphvizNotFoundError`."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFoundError()
    completed = subprocess.run(
        [dot, "-Tsvg"], input=dot_source.encode(), capture_output=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"dot -Tsvg failed: {completed.stderr.decode(errors='replace').strip()}")
    return completed.stdout


def render(model: type[models.Model], field_name: str, fmt: str) -> bytes:
    """One diagram in one of :data:`FORMATS`, as the bytes written to its file."""
    if fmt == "dot":
        return render_dot(model, field_name).encode()
    if fmt == "mermaid":
        return render_mermaid(model, field_name).encode()
    if fmt == "svg":
        return render_svg(render_dot(model, field_name))
    raise ValueError(f"unknown diagram format {fmt!r}; choose from {', '.join(FORMATS)}")


def resolve_targets(specs: Sequence[str] | None) -> list[Target]:
    """Turn ``app_label.Model[.field]`` names into (model, FSM field name) pairs.

    A model without a field name stands for all its FSM fields. No names means the
    catalog's own machines (:data:`DEFAULT_TARGETS`). Raises ``LookupError`` with the
    offending name when it cannot be resolved.
    """
    targets: list[Target] = []
    for spec in specs or DEFAULT_TARGETS:
        parts = spec.split(".")
        if len(parts) not in (2, 3) or not all(parts):
            raise LookupError(f"{spec!r}: expected app_label.Model or app_label.Model.field")
        try:
            model = apps.get_model(parts[0], parts[1])
        except (LookupError, ValueError) as exc:
            raise LookupError(f"{spec!r}: {exc}") from None
        if len(parts) == 3:
            _fsm_field(model, parts[2])
            names = [parts[2]]
        else:
            names = [f.name for f in model._meta.fields if isinstance(f, FSMFieldMixin)]
            if not names:
                raise LookupError(f"{spec!r}: {model._meta.label} has no django-fsm state field")
        targets.extend((model, name) for name in names if (model, name) not in targets)
    return targets


def diagram_stem(model: type[models.Model], field_name: str) -> str:
    """File name without extension, e.g. ``basket_status``."""
    return f"{model._meta.model_name}_{field_name}"


def _stems(targets: Sequence[Target]) -> list[str]:
    stems = [diagram_stem(model, name) for model, name in targets]
    return [
        stem if stems.count(stem) == 1 else f"{model._meta.app_label}_{stem}"
        for stem, (model, _) in zip(stems, targets, strict=True)
    ]


def _check_formats(formats: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(formats))
    unknown = [fmt for fmt in chosen if fmt not in FORMATS]
    if unknown:
        raise ValueError(f"unknown diagram format {unknown[0]!r}; choose from {', '.join(FORMATS)}")
    return chosen


def _print_to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def write_diagrams(
    specs: Sequence[str] | None = None,
    formats: Iterable[str] = ("dot", "mermaid", "svg"),
    output_dir: str | Path = "diagrams",
    notify: Callable[[str], None] = _print_to_stderr,
) -> list[Path]:
    """Write each target's diagram in each format to ``output_dir``; return the files written.

    Without Graphviz, SVG is skipped: ``notify`` gets the install hint once and the
    other formats are still written.
    """
    chosen = _check_formats(formats)
    targets = resolve_targets(specs)
    if "svg" in chosen and not graphviz_available():
        notify(f"Skipping SVG: {INSTALL_GRAPHVIZ}")
        chosen.remove("svg")
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for (model, field_name), stem in zip(targets, _stems(targets), strict=True):
        for fmt in chosen:
            path = output / f"{stem}.{FORMATS[fmt]}"
            path.write_bytes(render(model, field_name, fmt))
            written.append(path)
    return written


def stale_diagrams(
    specs: Sequence[str] | None = None,
    formats: Iterable[str] = ("dot", "mermaid"),
    output_dir: str | Path = "diagrams",
) -> list[Path]:
    """Files in ``output_dir`` that are missing or differ from what the code generates now.

    Meant for CI; the default formats need no Graphviz.
    """
    chosen = _check_formats(formats)
    targets = resolve_targets(specs)
    stale: list[Path] = []
    for (model, field_name), stem in zip(targets, _stems(targets), strict=True):
        for fmt in chosen:
            path = Path(output_dir) / f"{stem}.{FORMATS[fmt]}"
            if not path.is_file() or path.read_bytes() != render(model, field_name, fmt):
                stale.append(path)
    return stale
