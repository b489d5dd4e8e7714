"""Fixtures of the diagram tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_dot(tmp_path_factory, monkeypatch):
    """A PATH on which Graphviz's ``dot`` cannot be found."""
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("empty-bin")))
