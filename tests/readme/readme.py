"""The README's code blocks, read by section heading, for the tests that run them.

Reading by heading (not by position) makes a test fail when the section it runs is renamed,
removed or loses its code, instead of silently running something else.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"

_HEADING = re.compile(r"^(#{1,6}) (.+?)\s*$")
_FENCE = re.compile(r"^```(\S*)\s*$")


def _blocks_by_section(text: str) -> list[tuple[str, str, str]]:
    """(heading, language, code) for every fenced block, headings inside blocks ignored."""
    found = []
    heading = ""
    language = None
    lines: list[str] = []
    for line in text.splitlines():
        fence = _FENCE.match(line)
        if language is None:
            if fence:
                language, lines = fence.group(1), []
            elif _HEADING.match(line):
                heading = line.strip()
        elif fence and not fence.group(1):
            found.append((heading, language, "\n".join(lines) + "\n"))
            language = None
        else:
            lines.append(line)
    assert language is None, "README.md has an unclosed code block"
    return found


def code_blocks(heading: str, language: str = "python") -> list[str]:
    """The ``language`` blocks directly under ``heading`` (e.g. ``"## Install"``), in order."""
    text = README.read_text(encoding="utf-8")
    assert heading in text.splitlines(), f"README.md has no section {heading!r}"
    blocks = [
        code for at, lang, code in _blocks_by_section(text) if (at, lang) == (heading, language)
    ]
    assert blocks, f"README.md's {heading!r} has no {language} block"
    return blocks


def python_blocks(heading: str) -> list[str]:
    """The Python blocks directly under ``heading``."""
    return code_blocks(heading, "python")


def sections_with_code(*languages: str) -> dict[str, int]:
    """How many blocks of ``languages`` each section holds (sections without any left out)."""
    counts: dict[str, int] = {}
    for heading, language, _code in _blocks_by_section(README.read_text(encoding="utf-8")):
        if language in languages:
            counts[heading] = counts.get(heading, 0) + 1
    return counts


def run_python(code: str, namespace: dict, heading: str) -> dict:
    """Execute a README block in ``namespace`` (its free names) and return the namespace."""
    exec(compile(code, f"README.md, {heading}", "exec"), namespace)
    return namespace
