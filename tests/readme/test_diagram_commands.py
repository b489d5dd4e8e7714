"""The README's ``catalog_diagrams`` command lines run as shown, in order.

``shop.Order.status`` stands for the reader's own model; the test project's ``Parcel``
plays it.
"""

from __future__ import annotations

import shlex

from django.core.management import call_command

from tests.readme.readme import code_blocks

PREFIX = ["python", "manage.py", "catalog_diagrams"]
READERS_MODEL, OURS = "shop.Order.status", "tests.Parcel.status"


def command_lines() -> list[list[str]]:
    (block,) = code_blocks("### Diagrams", "bash")
    commands = [shlex.split(line, comments=True) for line in block.splitlines()]
    return [words for words in commands if words]


def test_diagram_commands_run_as_shown(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    commands = command_lines()
    assert len(commands) == 3

    for words in commands:
        assert words[: len(PREFIX)] == PREFIX
        arguments = [OURS if word == READERS_MODEL else word for word in words[len(PREFIX) :]]
        call_command("catalog_diagrams", *arguments)

    assert (tmp_path / "diagrams" / "basket_status.mmd").is_file()
    assert (tmp_path / "diagrams" / "workitem_status.dot").is_file()
    assert [path.name for path in (tmp_path / "docs" / "diagrams").iterdir()] == [
        "parcel_status.mmd"
    ]
