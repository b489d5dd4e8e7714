"""System checks: configuration mistakes are reported at start-up, not mid-transition."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .events import backoff_seconds, max_attempts
from .fsm import missing_fsm_log_ignores
from .models import Basket, WorkItem
from .validation import clean_event_handlers


@checks.register()
def check_fsm_log_ignores_catalog_models(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """django-fsm-log must not try to store catalog transitions in its integer-keyed StateLog."""
    missing = missing_fsm_log_ignores([Basket, WorkItem])
    if not missing:
        return []
    return [
        checks.Error(
            "django-fsm-log would log catalog transitions into its StateLog, whose integer "
            "object_id cannot hold the catalog's UUID keys.",
            hint=(
                "Add to your settings: DJANGO_FSM_LOG_IGNORED_MODELS = [..., "
                + ", ".join(repr(name) for name in missing)
                + "] (or spread django_catalog.FSM_LOG_IGNORED_MODELS). The catalog keeps its own "
                "audit log, django_catalog.CatalogStateLog."
            ),
            id="django_catalog.E001",
        )
    ]


@checks.register()
def check_event_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The event settings are well formed, and every configured handler can be imported."""
    try:
        configured = clean_event_handlers(getattr(settings, "CATALOG_EVENT_HANDLERS", None))
    except ValueError as error:
        return [
            checks.Error(
                str(error),
                hint='For example: CATALOG_EVENT_HANDLERS = {"basket.committed": '
                '["lab.interface.send_order"], "*": ["audit.export"]}',
                id="django_catalog.E002",
            )
        ]
    errors: list[checks.CheckMessage] = []
    for name, paths in configured.items():
        for path in paths:
            try:
                handler = import_string(path)
            except ImportError as error:
                problem = f"cannot be imported ({error})"
            else:
                if callable(handler):
                    continue
                problem = "is not callable"
            errors.append(
                checks.Error(
                    f"CATALOG_EVENT_HANDLERS[{name!r}]: the handler {path!r} {problem}.",
                    hint="A handler is a function (or any callable) called as handler(event).",
                    id="django_catalog.E003",
                )
            )
    for read in (backoff_seconds, max_attempts):
        try:
            read()
        except ImproperlyConfigured as error:
            errors.append(checks.Error(str(error), id="django_catalog.E004"))
    return errors
