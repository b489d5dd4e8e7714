"""Helpers that read and post admin pages the way a browser does."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.urls import reverse


def url(name: str, *args) -> str:
    return reverse(f"admin:django_catalog_{name}", args=args)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


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
