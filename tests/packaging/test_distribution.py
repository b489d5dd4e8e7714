"""The sdist and wheel build cleanly and carry the metadata PyPI will show.

The build runs once per test run, on a copy of what the sdist needs, without build isolation
(``build`` and ``setuptools`` come with the ``test`` extra), so it needs no network and
leaves the checkout untouched; it takes a second or two.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST_NAME = "django-catalog-fsm"
# Setuptools deprecations (licence metadata, config keys) and any other build warning.
WARNING = re.compile(r"warning|deprecat", re.IGNORECASE)


class Build:
    def __init__(self, output: str, returncode: int, dist: Path) -> None:
        self.output = output
        self.returncode = returncode
        self.dist = dist

    def only(self, pattern: str) -> Path:
        found = sorted(self.dist.glob(pattern))
        assert len(found) == 1, f"expected one {pattern} in {self.dist}, found {found}"
        return found[0]

    def wheel_metadata(self):
        with zipfile.ZipFile(self.only("*.whl")) as wheel:
            [name] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
            return HeaderParser().parsestr(wheel.read(name).decode())


@pytest.fixture(scope="session")
def build(tmp_path_factory) -> Build:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    dist = tmp_path_factory.mktemp("dist")
    # distutils warns that byte-compiling is off when this is set; that is the caller's
    # choice, not something the package's metadata can fix.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return Build(result.stdout + result.stderr, result.returncode, dist)


def test_sdist_and_wheel_build_without_warnings(build):
    assert build.returncode == 0, f"the build failed:\n{build.output}"
    warnings = [line for line in build.output.splitlines() if WARNING.search(line)]
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings)


def test_wheel_is_named_for_pypi_and_installs_django_catalog(build):
    metadata = build.wheel_metadata()
    assert metadata["Name"] == DIST_NAME
    with zipfile.ZipFile(build.only("*.whl")) as wheel:
        names = wheel.namelist()
    assert "django_catalog/__init__.py" in names
    assert "django_catalog/py.typed" in names


def test_licence_is_an_spdx_expression_with_its_file(build):
    metadata = build.wheel_metadata()
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    # PEP 639: a licence expression replaces the licence classifiers.
    assert not [c for c in metadata.get_all("Classifier") if c.startswith("License ::")]
    with zipfile.ZipFile(build.only("*.whl")) as wheel:
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in wheel.namelist())
    with tarfile.open(build.only("*.tar.gz")) as sdist:
        assert any(n.endswith("/LICENSE") for n in sdist.getnames())


def test_requirements_cover_supported_django_and_cap_django_fsm_2(build):
    requires = build.wheel_metadata().get_all("Requires-Dist")
    assert "Django<6.1,>=5.2" in requires
    assert "django-fsm-2<5,>=4.2" in requires


def test_classifiers_list_each_supported_django_and_python(build):
    classifiers = set(build.wheel_metadata().get_all("Classifier"))
    djangos = {c for c in classifiers if c.startswith("Framework :: Django ::")}
    pythons = {
        c for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert djangos == {"Framework :: Django :: 5.2", "Framework :: Django :: 6.0"}
    assert pythons == {f"Programming Language :: Python :: 3.{minor}" for minor in range(10, 15)}
