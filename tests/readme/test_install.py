"""A fresh ``django-admin startproject`` set up as "Install" says runs the Quick start, twice.

Everything runs in subprocesses, in a project of its own with its own SQLite file, as a new
user would run it; the test database is not used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.readme.readme import python_blocks

COUNTS = """
import json
from django_catalog import Basket, BasketItem, CatalogItem, CatalogStateLog, WorkItem
print(json.dumps({
    model.__name__: model.objects.count()
    for model in (CatalogItem, Basket, BasketItem, WorkItem, CatalogStateLog)
}))
"""


def run(*args: str, cwd) -> str:
    """Run the test environment's Python with ``args`` in ``cwd``; fail with its output."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{' '.join(args[:3])} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def host_project(tmp_path_factory):
    """A new project with the README's Install snippet appended to its settings, migrated."""
    root = tmp_path_factory.mktemp("host")
    run("-m", "django", "startproject", "hostproject", cwd=root)
    project = root / "hostproject"
    settings = project / "hostproject" / "settings.py"
    (install_snippet,) = python_blocks("## Install")
    settings.write_text(settings.read_text() + "\n\n" + install_snippet)
    run("manage.py", "migrate", "--no-input", cwd=project)
    return project


def quick_start(project) -> str:
    (code,) = python_blocks("## Quick start")
    return run("manage.py", "shell", "-c", code, cwd=project)


def row_counts(project) -> dict[str, int]:
    return json.loads(run("manage.py", "shell", "-c", COUNTS, cwd=project).splitlines()[-1])


def test_install_snippet_passes_the_system_checks(host_project):
    run("manage.py", "check", "--fail-level", "WARNING", cwd=host_project)


def test_quick_start_runs_in_the_new_project(host_project):
    output = quick_start(host_project)

    assert "commit draft -> committed by nurse-joy" in output
    assert row_counts(host_project) == {
        "CatalogItem": 2,
        "Basket": 1,
        "BasketItem": 2,
        "WorkItem": 2 * 3,
        "CatalogStateLog": 1,
    }


def test_quick_start_pasted_again_changes_nothing(host_project):
    quick_start(host_project)
    before = row_counts(host_project)

    output = quick_start(host_project)

    assert "commit draft -> committed by nurse-joy" in output
    assert row_counts(host_project) == before
