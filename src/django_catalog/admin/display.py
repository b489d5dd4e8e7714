"""How the admin shows values: an object as a link to its change page, money with its currency."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import quote
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

#: What an empty cell shows.
EMPTY = "-"


def change_url(obj: Any) -> str | None:
    """The admin change page of ``obj``, or ``None`` when its model is not in the admin."""
    opts = obj._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
    except NoReverseMatch:
        return None


def object_link(obj: Any, text: str | None = None) -> SafeString | str:
    """``obj`` by its name, linked to its change page when it has one."""
    if obj is None:
        return EMPTY
    url = change_url(obj)
    label = str(obj) if text is None else text
    return format_html('<a href="{}">{}</a>', url, label) if url else label


def money_text(money: Any) -> str:
    """A :class:`~django_catalog.money.Money` as "12.50 EUR", or the empty mark."""
    return EMPTY if money is None else str(money)
