"""The UUID / timestamp / soft-delete base-model contract ("django-basemodels").

The PyPI package of that name is an unrelated project, so the contract lives here:

* :class:`UUIDModel` gives a UUID4 primary key ``id``.
* :class:`BaseModel` gives ``created_at``, ``updated_at`` and ``deleted_at``.
  ``objects`` hides soft-deleted rows and ``all_objects`` includes them; both
  the instance ``delete()`` and a bulk ``queryset.delete()`` soft-delete, so
  there is no path that silently hard-deletes. ``hard_delete()`` really deletes.
* ``deleted_at`` is written only by ``delete()`` and ``restore()``, each one conditional
  ``UPDATE``; ``save()`` never writes it, so a copy loaded before a delete cannot undo it
  by saving, and one loaded before a restore cannot delete again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import models
from django.db.models.sql.where import AND
from django.utils import timezone

_QS = TypeVar("_QS", bound="SoftDeleteQuerySet[Any]")
_M = TypeVar("_M", bound=models.Model)


class SoftDeleteQuerySet(models.QuerySet[_M]):
    """A queryset whose ``delete()`` marks rows deleted instead of removing them."""

    def delete(self) -> tuple[int, dict[str, int]]:
        """Soft-delete every row not deleted yet; rows already deleted keep their timestamp."""
        now = timezone.now()
        count = self.filter(deleted_at__isnull=True).update(deleted_at=now, updated_at=now)
        return count, {self.model._meta.label: count}

    delete.queryset_only = True  # type: ignore[attr-defined]

    def hard_delete(self) -> tuple[int, dict[str, int]]:
        """Really delete the rows (and cascade as Django does)."""
        return super().delete()

    hard_delete.queryset_only = True  # type: ignore[attr-defined]

    def restore(self) -> int:
        """Undelete the rows; returns how many were restored."""
        return self.filter(deleted_at__isnull=False).update(
            deleted_at=None, updated_at=timezone.now()
        )

    def with_deleted(self: _QS) -> _QS:
        """Include soft-deleted rows: drop the default manager's "not deleted" filter.

        Every other filter already applied is kept, so this chains anywhere.
        """
        clone = self._chain()  # type: ignore[attr-defined]
        where = clone.query.where
        if where.connector == AND:
            where.children = [child for child in where.children if not _is_alive_filter(child)]
        return clone

    def deleted_only(self: _QS) -> _QS:
        """Only soft-deleted rows."""
        return self.with_deleted().filter(deleted_at__isnull=False)


def _is_alive_filter(node: Any) -> bool:
    """Is this WHERE child the ``deleted_at IS NULL`` filter the default manager adds?"""
    target = getattr(getattr(node, "lhs", None), "target", None)
    return (
        getattr(node, "lookup_name", None) == "isnull"
        and getattr(target, "name", None) == "deleted_at"
        and node.rhs is True
    )


class SoftDeleteManager(models.Manager[_M]):
    """Manager whose querysets hide soft-deleted rows unless asked otherwise."""

    _hide_deleted = True

    def __init__(self, *, include_deleted: bool = False) -> None:
        super().__init__()
        self._hide_deleted = not include_deleted

    def deconstruct(
        self,
    ) -> tuple[bool, str | None, str | None, Sequence[Any] | None, dict[str, Any] | None]:
        as_manager, path, qs_class, args, kwargs = super().deconstruct()
        if not self._hide_deleted:
            kwargs = {**(kwargs or {}), "include_deleted": True}
        return as_manager, path, qs_class, args, kwargs

    def get_queryset(self) -> models.QuerySet[_M]:
        qs = super().get_queryset()
        return qs.filter(deleted_at__isnull=True) if self._hide_deleted else qs


class UUIDModel(models.Model):
    """Abstract model with a UUID4 primary key ``id``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class BaseModel(models.Model):
    """Abstract model with timestamps and soft delete."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SoftDeleteManager.from_queryset(SoftDeleteQuerySet)()
    all_objects = SoftDeleteManager.from_queryset(SoftDeleteQuerySet)(include_deleted=True)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save every field but ``deleted_at``: only ``delete()`` and ``restore()`` change it.

        A new row is inserted with all its fields. Saving a row that was deleted (or
        restored) since this copy was loaded leaves that change in place.
        """
        if not self._state.adding and not kwargs.get("force_insert") and not args:
            update_fields = kwargs.get("update_fields")
            if update_fields is None:
                deferred = self.get_deferred_fields()
                update_fields = [
                    field.name
                    for field in self._meta.concrete_fields
                    if not field.primary_key and field.attname not in deferred
                ]
            kwargs["update_fields"] = [name for name in update_fields if name != "deleted_at"]
        super().save(*args, **kwargs)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def delete(self, using: Any = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        """Soft-delete: stamp ``deleted_at`` once; a second call keeps the first timestamp.

        One conditional ``UPDATE ... WHERE deleted_at IS NULL``, so a stale copy deleting a
        row that is already deleted changes nothing (and learns the first timestamp).
        """
        now = timezone.now()
        rows = self._own_row(using)
        count = rows.filter(deleted_at__isnull=True).update(deleted_at=now, updated_at=now)
        if count:
            self.deleted_at = self.updated_at = now
        else:
            self.deleted_at = rows.values_list("deleted_at", flat=True).first()
        return count, {self._meta.label: count}

    def hard_delete(
        self, using: Any = None, keep_parents: bool = False
    ) -> tuple[int, dict[str, int]]:
        """Really delete the row (cascading as Django does)."""
        return super().delete(using=using, keep_parents=keep_parents)

    def restore(self, using: Any = None) -> None:
        """Undo a soft delete (one conditional ``UPDATE ... WHERE deleted_at IS NOT NULL``)."""
        now = timezone.now()
        rows = self._own_row(using)
        if rows.filter(deleted_at__isnull=False).update(deleted_at=None, updated_at=now):
            self.updated_at = now
        self.deleted_at = None

    def _own_row(self, using: Any) -> models.QuerySet[Any]:
        """This row, deleted or not, on the database it was loaded from (or ``using``)."""
        return type(self)._base_manager.using(using or self._state.db).filter(pk=self.pk)
