"""The demo project runs end to end, and running it again adds nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLES = [
    "clinic_organization",
    "clinic_visit",
    "django_catalog_catalogitem",
    "django_catalog_basket",
    "django_catalog_basketitem",
    "django_catalog_workitem",
    "django_catalog_dispenselog",
    "django_catalog_catalogstatelog",
    "django_catalog_event",
    "django_catalog_eventdelivery",
]


def run_demo(database: Path, diagrams: Path) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "demo_project.settings",
        "CATALOG_DEMO_DB": str(database),
    }
    result = subprocess.run(
        [sys.executable, "example/manage.py", "demo", "--diagrams", str(diagrams)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def row_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        return {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES
        }


def test_demo_runs_twice_without_duplicates(tmp_path):
    database = tmp_path / "demo.sqlite3"

    first = run_demo(database, tmp_path / "diagrams")
    after_first = row_counts(database)
    second = run_demo(database, tmp_path / "diagrams")
    after_second = row_counts(database)

    assert after_second == after_first
    assert after_first["django_catalog_basket"] == 2  # the visit's order and a draft
    assert after_first["django_catalog_dispenselog"] == 2  # two lots
    assert all(after_first.values()), after_first
    for heading in ("Basket for Visit V-1042", "Work board", "Audit trail", "State diagrams"):
        assert heading in first
    assert second.split("Basket for")[1] == first.split("Basket for")[1]


def test_demo_delivers_the_order_to_the_lab_and_retries_the_flaky_billing(tmp_path):
    database = tmp_path / "demo.sqlite3"

    first = run_demo(database, tmp_path / "diagrams")
    second = run_demo(database, tmp_path / "diagrams")

    story = first.split("Basket for")[0]
    assert story.count("Lab interface received order") == 1
    assert story.index("Billing timed out") < story.index("Billing charged order")
    assert "Retried the failed deliveries: deliver_due() delivered 1" in story
    deliveries = first.split("Events for other systems")[1].split("State diagrams")[0]
    assert "send_order_to_lab  delivered  1" in deliveries
    retried = "charge_order       delivered  2         clinic.integrations.BillingTimeout"
    assert retried in deliveries
    assert "Lab interface" not in second  # nothing new was committed: nothing is sent again


def test_demo_renders_the_state_diagrams_into_the_folder_it_names(tmp_path):
    diagrams = tmp_path / "diagrams"

    output = run_demo(tmp_path / "demo.sqlite3", diagrams)

    assert f"Rendered into {diagrams}" in output
    for name in ("basket_status.dot", "basket_status.mmd", "workitem_status.mmd"):
        assert (diagrams / name).read_text().strip(), name


def test_demo_lines_spawn_the_work_their_catalog_items_name(tmp_path):
    output = run_demo(tmp_path / "demo.sqlite3", tmp_path / "diagrams")

    board = output.split("Work board")[1].split("Audit trail")[0]
    spawned = {tuple(line.split()[:2]) for line in board.splitlines() if line.startswith("    ")}
    assert spawned == {
        ("collect", "Complete"),
        ("process", "Complete"),
        ("report", "Complete"),
        ("acquire", "Chest"),
        ("report", "Chest"),
        ("dispense", "Amoxicillin"),
    }
    assert "Chest X-ray: spawns acquire, report" in output


def test_the_demo_admin_serves_the_work_board_it_points_to():
    source = (ROOT / "example/clinic/management/commands/demo_superuser.py").read_text()
    assert "http://127.0.0.1:8000/admin/django_catalog/workitem/board/" in source
    check = (
        "import django; django.setup(); from django.urls import resolve; "
        "print(resolve('/admin/django_catalog/workitem/board/').url_name)"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=ROOT / "example",
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "demo_project.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django_catalog_work_board"
