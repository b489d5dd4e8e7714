"""The README's pictures are files of the repository, and PNGs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_every_picture_the_readme_shows_is_a_png_in_the_repository():
    readme = (ROOT / "README.md").read_text()
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)

    assert "diagrams/screenshots/board.png" in pictures
    assert "diagrams/screenshots/basket.png" in pictures
    for picture in pictures:
        assert (ROOT / picture).read_bytes()[:8] == PNG_SIGNATURE, picture
