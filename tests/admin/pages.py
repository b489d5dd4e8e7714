"""Helpers that read and post admin pages the way a browser does."""

from __future__ import annotations

import re

from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.html import strip_tags

LINK = re.compile(r'href="([^"]+)"')


def url(name: str, *args) -> str:
    return reverse(f"admin:django_catalog_{name}", args=args)


def messages_of(response) -> list[str]:
    """The page's messages as the user reads them (links reduced to their text)."""
    return [strip_tags(str(message)) for message in response.context["messages"]]


def message_links(response) -> list[str]:
    """The addresses the page's messages link to."""
    return [link for message in response.context["messages"] for link in LINK.findall(str(message))]


def change_form_data(client, change_url: str, **extra) -> dict:
    """What a browser posts from the change page: its form fields and the inlines' counters."""
    response = client.get(change_url)
    assert response.status_code == 200
    data = {}
    form = response.context["adminform"].form
    for bound in form:
        value = bound.value()
        if value is not None:
            data[bound.html_name] = value
    for inline in response.context["inline_admin_formsets"]:
        for bound in inline.formset.management_form:
            data[bound.html_name] = bound.value()
    return {**data, **extra}


def transition_button_names(client, change_url: str) -> list[str]:
    response = client.get(change_url)
    assert response.status_code == 200
    return [
        transition.name
        for block in response.context["fsm_object_transitions"]
        for transition in block.available_transitions
    ]


def grant(user, *codenames: str) -> None:
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="django_catalog", codename__in=codenames)
    )


def commit_page_data(client, basket, **work_by_item) -> dict:
    """What a browser posts from the Commit page: each line's box as shown (prefilled from
    its catalog item), except the boxes of the items named in ``work_by_item``."""
    response = client.get(url("basket_transition", basket.pk, "commit"))
    assert response.status_code == 200
    data = {}
    for row in response.context["transition_form"].line_rows:
        name = row.line.catalog_item.name
        data[row.field.html_name] = work_by_item.pop(name, row.field.value())
    assert not work_by_item, f"no line for {list(work_by_item)}"
    return data
