"""The audit trail: one row per catalog transition, in django-fsm-log's ``StateLog`` shape."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from ..validation import object_id_text


class CatalogStateLogQuerySet(models.QuerySet["CatalogStateLog"]):
    def for_(self, obj: models.Model) -> CatalogStateLogQuerySet:
        """The transitions of one object, whatever its primary key type."""
        content_type = ContentType.objects.db_manager(self.db).get_for_model(obj)
        return self.filter(content_type=content_type, object_id=object_id_text(obj.pk))


class CatalogStateLog(models.Model):
    """One row per catalog transition: django-fsm-log's ``StateLog``, with room for UUID keys."""

    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source_state = models.CharField(max_length=255, null=True, blank=True, default=None)  # noqa: DJ001
    state = models.CharField("target state", max_length=255)
    transition = models.CharField(max_length=255)

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=255)
    content_object = GenericForeignKey("content_type", "object_id")

    description = models.TextField(blank=True, default="")

    objects = CatalogStateLogQuerySet.as_manager()

    class Meta:
        app_label = "django_catalog"
        verbose_name = "state log"
        verbose_name_plural = "state logs"
        get_latest_by = "timestamp"
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        when = f"{self.timestamp:%Y-%m-%d %H:%M:%S}"
        return f"{when} {self.transition}: {self.source_state} -> {self.state}"
