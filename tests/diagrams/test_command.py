"""``manage.py catalog_diagrams`` and the files it writes, with and without Graphviz."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from django_catalog import diagrams
from django_catalog.diagrams import GraphvizNotFoundError, render_dot, render_svg, write_diagrams
from django_catalog.models import Basket, WorkItem
from tests.models import Parcel

ROOT = Path(__file__).resolve().parents[2]
FAKE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"/>\n'


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("catalog_diagrams", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def fake_dot(tmp_path_factory, monkeypatch):
    """A stand-in ``dot`` on PATH that records its input and prints a fixed SVG."""
    bin_dir = tmp_path_factory.mktemp("bin")
    received = tmp_path_factory.mktemp("dot") / "input"
    script = bin_dir / "dot"
    script.write_text(
        f"#!/bin/sh\n[ \"$1\" = -Tsvg ] || exit 2\ncat > '{received}'\n"
        f"printf '%s\\n' '{FAKE_SVG.decode().strip()}'\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return received


def test_by_default_the_catalogs_machines_are_written_in_every_format(tmp_path, fake_dot):
    out, err = run("--output", str(tmp_path / "out"))

    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "basket_status.dot",
        "basket_status.mmd",
        "basket_status.svg",
        "workitem_status.dot",
        "workitem_status.mmd",
        "workitem_status.svg",
    ]
    assert (tmp_path / "out" / "basket_status.dot").read_text() == render_dot(Basket)
    assert (tmp_path / "out" / "workitem_status.svg").read_bytes() == FAKE_SVG
    assert fake_dot.read_text() == render_dot(WorkItem)  # the last SVG rendered
    assert f"Wrote {tmp_path / 'out' / 'basket_status.mmd'}" in out
    assert err == ""


def test_formats_and_targets_can_be_chosen(tmp_path):
    run("tests.Parcel.status", "--format", "mermaid", "--format", "dot", "-o", str(tmp_path))

    assert sorted(p.name for p in tmp_path.iterdir()) == ["parcel_status.dot", "parcel_status.mmd"]


def test_unknown_target_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match=r"django_catalog\.Basket has no field 'colour'"):
        run("django_catalog.Basket.colour", "-o", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_without_graphviz_svg_is_skipped_with_how_to_install_it(tmp_path, no_dot):
    _, err = run("--output", str(tmp_path))

    assert "Skipping SVG" in err
    assert "apt-get install graphviz" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "basket_status.dot",
        "basket_status.mmd",
        "workitem_status.dot",
        "workitem_status.mmd",
    ]


def test_write_diagrams_reports_missing_graphviz_and_returns_what_it_wrote(tmp_path, monkeypatch):
    monkeypatch.setattr(diagrams.shutil, "which", lambda name: None)
    messages: list[str] = []

    written = write_diagrams(["tests.Parcel"], output_dir=tmp_path, notify=messages.append)

    assert written == [tmp_path / "parcel_status.dot", tmp_path / "parcel_status.mmd"]
    assert messages == [f"Skipping SVG: {diagrams.INSTALL_GRAPHVIZ}"]


def test_render_svg_without_graphviz_says_how_to_install_it(no_dot):
    with pytest.raises(GraphvizNotFoundError, match=r"apt-get install graphviz"):
        render_svg(render_dot(Parcel))


def test_asking_only_for_svg_without_graphviz_writes_nothing_but_says_why(tmp_path, no_dot):
    _, err = run("--format", "svg", "--output", str(tmp_path))

    assert "apt-get install graphviz" in err
    assert list(tmp_path.iterdir()) == []


def test_check_passes_on_fresh_files_and_names_the_stale_ones(tmp_path):
    run("tests.Parcel", "-f", "dot", "-f", "mermaid", "-o", str(tmp_path))
    out, _ = run("tests.Parcel", "--check", "-o", str(tmp_path))
    assert out == "State diagrams are up to date.\n"

    (tmp_path / "parcel_status.mmd").write_text("stateDiagram-v2\n")
    with pytest.raises(CommandError, match=r"out of date: .*parcel_status\.mmd\. Regenerate"):
        run("tests.Parcel", "--check", "-o", str(tmp_path))


def test_check_counts_a_missing_file_as_stale(tmp_path):
    run("tests.Parcel", "-f", "dot", "-o", str(tmp_path))
    with pytest.raises(CommandError, match=r"parcel_status\.mmd"):
        run("tests.Parcel", "--check", "-o", str(tmp_path))


def test_files_are_byte_identical_across_processes_with_different_hash_seeds(tmp_path):
    outputs = []
    for seed in ("1", "2"):
        out_dir = tmp_path / seed
        env = {
            **os.environ,
            "PYTHONHASHSEED": seed,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "CATALOG_TEST_DATABASE": "sqlite",
        }
        subprocess.run(
            [sys.executable, "-m", "django", "catalog_diagrams", "tests.Ticket", "tests.Parcel",
             "django_catalog.WorkItem", "-f", "dot", "-f", "mermaid", "-o", str(out_dir)],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        outputs.append({p.name: p.read_bytes() for p in sorted(out_dir.iterdir())})

    assert len(outputs[0]) == 8
    assert outputs[0] == outputs[1]


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot program")
def test_real_graphviz_renders_the_basket_as_svg():
    svg = render_svg(render_dot(Basket))

    assert svg.lstrip().startswith(b"<?xml")
    assert b"<svg" in svg
    assert b"commit [has lines]" in svg
