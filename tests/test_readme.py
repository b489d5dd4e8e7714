"""The README's quick start runs as pasted."""

import re
from pathlib import Path

import pytest

from django_catalog.models import Basket, CatalogStateLog, WorkItem

README = Path(__file__).resolve().parent.parent / "README.md"


def quick_start_code() -> str:
    section = README.read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert blocks, "the Quick start section has no python block"
    return blocks[0]


@pytest.mark.django_db
def test_quick_start_runs_as_pasted(capsys):
    exec(compile(quick_start_code(), "README.md quick start", "exec"), {})
    basket = Basket.objects.get()
    assert basket.is_committed
    assert WorkItem.objects.filter(basket_item__basket=basket).count() == 2 * 3
    assert CatalogStateLog.objects.for_(basket).get().transition == "commit"
    assert "commit draft -> committed by nurse-joy" in capsys.readouterr().out
