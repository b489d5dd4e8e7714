"""Without Chromium the browser tests skip with how to install it, but fail in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_browser_tests(ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["CATALOG_CHROMIUM"] = str(ROOT / "no-such-chromium")
    env["CATALOG_TEST_DATABASE"] = "sqlite"
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "-m",
            "browser",
            "tests/browser",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_locally_they_skip_saying_how_to_install_chromium():
    result = run_browser_tests(ci=None)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped" in result.stdout
    assert "apt-get install chromium" in result.stdout
    assert "passed" not in result.stdout


def test_in_ci_they_fail():
    result = run_browser_tests(ci="true")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "CI installs it (.ci/run), so its absence is an error." in result.stdout
    assert "skipped" not in result.stdout
