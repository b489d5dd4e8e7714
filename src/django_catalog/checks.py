"""System checks: configuration mistakes are reported at start-up, not mid-transition."""

from __future__ import annotations

from typing import Any

from django.core import checks

from .fsm import missing_fsm_log_ignores
from .models import Basket, WorkItem


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
