"""The catalog's app config: connects the audit trail and the event delivery, and registers
the system checks."""

from django.apps import AppConfig


class DjangoCatalogConfig(AppConfig):
    name = "django_catalog"
    label = "django_catalog"
    verbose_name = "Catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_fsm.signals import post_transition

        from . import checks  # noqa: F401  (registers the system checks)
        from .events import connect_delivery
        from .fsm import transition_recorder
        from .models import Basket, CatalogStateLog, WorkItem

        record_transition = transition_recorder(CatalogStateLog)
        for model in (Basket, WorkItem):
            post_transition.connect(
                record_transition,
                sender=model,
                weak=False,
                dispatch_uid=f"django_catalog.audit.{model.__name__}",
            )
        connect_delivery()
