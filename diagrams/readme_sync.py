"""Copy the generated Mermaid diagrams into README.md, between their markers.

A README block looks like::

    <!-- diagram: basket_status.mmd -->
    ```mermaid
    ...
    ```
    <!-- /diagram -->

``make diagrams`` runs this after regenerating ``diagrams/``; a test checks that the
README's copies match the files, so the README cannot fall behind the code either.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(
    r"(?P<open><!-- diagram: (?P<name>[\w.-]+) -->\n).*?(?P<close><!-- /diagram -->)", re.DOTALL
)


def embed(readme: str, diagrams_dir: Path) -> str:
    """``readme`` with every marked block replaced by the current content of its file."""

    def block(match: re.Match[str]) -> str:
        source = (diagrams_dir / match["name"]).read_text(encoding="utf-8")
        return f"{match['open']}```mermaid\n{source}```\n{match['close']}"

    return BLOCK.sub(block, readme)


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    updated = embed(text, ROOT / "diagrams")
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
        print(f"Updated the diagrams in {readme.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
