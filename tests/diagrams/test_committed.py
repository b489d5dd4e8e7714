"""The diagrams committed in diagrams/ and copied into README.md match the code.

Only DOT and Mermaid are compared (SVG depends on the Graphviz version), so this
check needs no Graphviz.
"""

from __future__ import annotations

from pathlib import Path

from diagrams.readme_sync import embed

from django_catalog.diagrams import FORMATS, resolve_targets, stale_diagrams

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = ROOT / "diagrams"
REGENERATE = "Run `make diagrams` and commit the result."


def test_committed_dot_and_mermaid_files_match_the_code():
    stale = stale_diagrams(None, ("dot", "mermaid"), DIAGRAMS)

    assert not stale, (
        "These state diagrams differ from what the code generates (or are missing): "
        f"{', '.join(str(path.relative_to(ROOT)) for path in stale)}. {REGENERATE}"
    )


def test_no_leftover_diagrams_of_machines_that_are_gone():
    expected = {
        f"{model._meta.model_name}_{field}.{FORMATS[fmt]}"
        for model, field in resolve_targets(None)
        for fmt in FORMATS
    }
    present = {p.name for p in DIAGRAMS.iterdir() if p.suffix in (".dot", ".mmd", ".svg")}

    assert present <= expected, (
        f"Unexpected files in diagrams/: {sorted(present - expected)}. {REGENERATE}"
    )
    assert {name for name in expected if not name.endswith(".svg")} <= present, REGENERATE


def test_readme_shows_the_current_mermaid_diagrams():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert "<!-- diagram: basket_status.mmd -->" in readme
    assert "<!-- diagram: workitem_status.mmd -->" in readme
    assert embed(readme, DIAGRAMS) == readme, f"README.md's diagrams are out of date. {REGENERATE}"
