"""List filters that list only what appears in the rows, never every object of the site.

For plain foreign keys (users, catalog items) Django's ``RelatedOnlyFieldListFilter`` already
does this; :class:`GenericRelationFilter` does it for a generic relation (a basket's
context), which Django's filters cannot follow. Nothing here knows the catalog's models
beyond the relation paths the subclasses name.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest


def _generic_relation_columns(model: type[Model], path: str) -> tuple[str, str]:
    """The (content type, object id) lookups of the generic relation at the end of ``path``."""
    *steps, name = path.split(LOOKUP_SEP)
    target: Any = model
    for step in steps:
        target = target._meta.get_field(step).related_model
    relation = target._meta.get_field(name)
    prefix = "".join(f"{step}{LOOKUP_SEP}" for step in steps)
    return f"{prefix}{relation.ct_field}", f"{prefix}{relation.fk_field}"


class GenericRelationFilter(admin.SimpleListFilter):
    """Filter by the object a generic relation points to, listing only those in the rows.

    Subclasses set :attr:`relation`, the path from the listed model to a
    ``GenericForeignKey`` (``"context"``, ``"basket_item__basket__context"``). The choices
    cost one query for the distinct (content type, id) pairs and one per content type.
    """

    relation: ClassVar[str] = ""
    parameter_name = "context"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        ct_column, id_column = _generic_relation_columns(model_admin.model, self.relation)
        pairs = (
            model_admin.get_queryset(request)
            .exclude(**{f"{ct_column}__isnull": True})
            .order_by()
            .values_list(ct_column, id_column)
            .distinct()
        )
        ids_by_type: dict[int, set[str]] = defaultdict(set)
        for content_type_id, object_id in pairs:
            ids_by_type[content_type_id].add(object_id)
        choices = []
        for content_type_id, object_ids in ids_by_type.items():
            content_type = ContentType.objects.get_for_id(content_type_id)
            for obj in content_type.get_all_objects_for_this_type(pk__in=object_ids):
                choices.append((f"{content_type_id}-{obj.pk}", str(obj)))
        return sorted(choices, key=lambda choice: choice[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        content_type_id, _, object_id = value.partition("-")
        if not content_type_id.isdigit() or not object_id:
            return queryset.none()
        ct_column, id_column = _generic_relation_columns(queryset.model, self.relation)
        return queryset.filter(**{ct_column: int(content_type_id), id_column: object_id})


class ChosenObjectFilter(admin.SimpleListFilter):
    """Filter by one object reached through :attr:`path`, for links ("this basket's work").

    It lists no choices of its own (so it lists no objects at all); it appears in the
    sidebar only while a link has chosen an object, showing that object's name.
    """

    path: ClassVar[str] = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        if not value:
            return []
        chosen = self._chosen(model_admin.model)
        return [(value, f"unknown {self.title}" if chosen is None else str(chosen))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        chosen = self._chosen(queryset.model)
        return queryset.none() if chosen is None else queryset.filter(**{self.path: chosen})

    def _chosen(self, model: type[Model]) -> Model | None:
        value = self.value()
        if not value:
            return None
        target: Any = model
        for step in self.path.split(LOOKUP_SEP):
            target = target._meta.get_field(step).related_model
        try:
            return target._base_manager.filter(pk=value).first()
        except (ValidationError, ValueError):
            return None
