"""Spawning a basket's work items in one statement, whatever the number of lines and work types.

``Basket.commit`` calls :func:`insert_work_items`. On PostgreSQL and SQLite the database pairs
the basket's live lines with their work types itself, in one ``INSERT ... SELECT``: no line is
read into Python, no work item is built in Python, and a (line, work type) pair that already
has a work item is skipped by the ``unique_basket_item_spawn_role`` constraint. Other
backends get the same result from a read of the lines and one ``bulk_create``.

Where a line's work types come from (a :data:`~django_catalog.validation.WorkPlan`):

* ``None``: its catalog item's ``work_types``, unnested from the JSON array by the database
  (``jsonb_array_elements`` on PostgreSQL, ``json_each`` on SQLite);
* a list: that list, for every line (the lines are cross-joined with it);
* a mapping ``{line id: [names]}``: the listed lines get their own list, the others their
  catalog item's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models import F
from django.db.models.constants import OnConflict

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models import QuerySet

    from .validation import WorkPlan

# A random (version 4) UUID computed by the database, in the form Django stores UUIDField.
UUID4_SQL = {
    # Built in since PostgreSQL 13.
    "postgresql": "gen_random_uuid()",
    # SQLite keeps UUIDs as 32 hex digits; the version nibble is 4, the variant one of 8-b.
    # (%% is a literal percent sign: the statement is run with parameters.)
    "sqlite": (
        "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2)"
        " || substr('89ab', 1 + abs(random()) %% 4, 1) || substr(hex(randomblob(2)), 2)"
        " || hex(randomblob(6)))"
    ),
}

# The string elements of each line's catalog-item work types, as (line_id, name) rows, from
# ``item_lines`` (columns ``id`` and ``item_work_types``). Elements that are not strings are
# skipped; the catalog item's validation never stores any.
_ITEM_ROLES_SQL = {
    "postgresql": (
        "SELECT item_lines.id AS line_id, roles.element #>> '{{}}' AS name"
        " FROM ({lines}) AS item_lines"
        " CROSS JOIN LATERAL jsonb_array_elements(item_lines.item_work_types) AS roles(element)"
        " WHERE jsonb_typeof(roles.element) = 'string'"
    ),
    "sqlite": (
        "SELECT item_lines.id AS line_id, roles.value AS name"
        " FROM ({lines}) AS item_lines, json_each(item_lines.item_work_types) AS roles"
        " WHERE roles.type = 'text'"
    ),
}

# The WorkItem columns that vary per row; every other column gets its default.
_LINE_COLUMN = "basket_item_id"
_ROLE_COLUMNS = ("work_type", "spawn_role")


def insert_work_items(lines: QuerySet[Any], work_types: WorkPlan = None) -> int:
    """Insert a pending work item for each (line, work type) pair that has none; returns how many.

    ``lines`` is a queryset of the basket's lines (its filters decide which lines get work);
    ``work_types`` says which work each line gets (see the module's docstring). The work type
    of each item is also its spawn role. One statement on PostgreSQL and SQLite.
    """
    if isinstance(work_types, list) and not work_types:
        return 0
    connection = connections[lines.db]
    if connection.vendor not in UUID4_SQL:
        return _bulk_create_work_items(lines, work_types)
    sql, params = _insert_select_sql(lines, work_types)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _work_model(lines: QuerySet[Any]) -> Any:
    """The work-item model, reached through the lines' ``work_items`` relation."""
    return lines.model._meta.get_field("work_items").related_model


def _compiled(queryset: QuerySet[Any], connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


def _every_line_sql(
    lines: QuerySet[Any], roles: Sequence[str], connection: BaseDatabaseWrapper
) -> tuple[str, list[Any]]:
    """(line_id, name) rows: every line of ``lines`` with every one of ``roles``."""
    lines_sql, params = _compiled(lines.order_by().values("id"), connection)
    roles_sql = " UNION ALL ".join(["SELECT %s AS name"] * len(roles))
    sql = (
        "SELECT line_ids.id AS line_id, roles.name AS name"
        f" FROM ({lines_sql}) AS line_ids CROSS JOIN ({roles_sql}) AS roles"
    )
    return sql, [*params, *roles]


def _item_defaults_sql(
    lines: QuerySet[Any], connection: BaseDatabaseWrapper
) -> tuple[str, list[Any]]:
    """(line_id, name) rows: every line of ``lines`` with its catalog item's work types."""
    with_types = lines.order_by().values("id", item_work_types=F("catalog_item__work_types"))
    lines_sql, params = _compiled(with_types, connection)
    return _ITEM_ROLES_SQL[connection.vendor].format(lines=lines_sql), params


def _listed_lines_sql(
    lines: QuerySet[Any], plan: Mapping[Any, Sequence[str]], connection: BaseDatabaseWrapper
) -> tuple[str, list[Any]]:
    """(line_id, name) rows: the lines of ``lines`` that ``plan`` lists, with their own list."""
    pk = lines.model._meta.pk
    pairs = [(line_id, name) for line_id, names in plan.items() for name in names]
    if not pairs:
        return "", []
    # One VALUES list (not a UNION ALL, which SQLite caps at 500 terms); its columns are
    # column1 and column2 on both databases. The cast gives the ids the lines' key type,
    # whatever the driver makes of a parameter.
    row_sql = f"(CAST(%s AS {pk.db_type(connection)}), %s)"
    pairs_sql = (
        "SELECT listed.column1 AS line_id, listed.column2 AS name"
        f" FROM (VALUES {', '.join([row_sql] * len(pairs))}) AS listed"
    )
    pairs_params = [
        value
        for line_id, name in pairs
        for value in (pk.get_db_prep_value(line_id, connection, prepared=False), name)
    ]
    lines_sql, params = _compiled(
        lines.order_by().filter(pk__in=list(plan)).values("id"), connection
    )
    sql = (
        "SELECT line_ids.id AS line_id, roles.name AS name"
        f" FROM ({lines_sql}) AS line_ids"
        f" INNER JOIN ({pairs_sql}) AS roles ON roles.line_id = line_ids.id"
    )
    return sql, [*params, *pairs_params]


def _spawn_pairs_sql(
    lines: QuerySet[Any], work_types: WorkPlan, connection: BaseDatabaseWrapper
) -> tuple[str, list[Any]]:
    """The (line_id, name) rows to spawn, as one SELECT."""
    if isinstance(work_types, list):
        return _every_line_sql(lines, work_types, connection)
    if work_types is None:
        return _item_defaults_sql(lines, connection)
    listed_sql, listed_params = _listed_lines_sql(lines, work_types, connection)
    rest_sql, rest_params = _item_defaults_sql(lines.exclude(pk__in=list(work_types)), connection)
    if not listed_sql:
        return rest_sql, rest_params
    return f"{listed_sql} UNION ALL {rest_sql}", [*listed_params, *rest_params]


def _insert_select_sql(lines: QuerySet[Any], work_types: WorkPlan) -> tuple[str, list[Any]]:
    work_model = _work_model(lines)
    connection = connections[lines.db]
    quote = connection.ops.quote_name
    # One unsaved work item supplies the other columns' values exactly as a save would:
    # defaults, and the timestamps that auto_now / auto_now_add fields stamp in pre_save().
    template = work_model()
    columns, values, params = [], [], []
    for field in work_model._meta.concrete_fields:
        if getattr(field, "generated", False):  # GeneratedField, Django 5.0+
            continue
        columns.append(quote(field.column))
        if field.primary_key:
            values.append(UUID4_SQL[connection.vendor])
        elif field.attname == _LINE_COLUMN:
            values.append("spawn.line_id")
        elif field.attname in _ROLE_COLUMNS:
            values.append("spawn.name")
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.pre_save(template, add=True), connection))

    pairs_sql, pairs_params = _spawn_pairs_sql(lines, work_types, connection)
    on_conflict = connection.ops.on_conflict_suffix_sql(
        work_model._meta.concrete_fields, OnConflict.IGNORE, None, None
    )
    sql = (
        f"{connection.ops.insert_statement(on_conflict=OnConflict.IGNORE)}"
        f" {quote(work_model._meta.db_table)} ({', '.join(columns)})"
        f" SELECT {', '.join(values)} FROM ({pairs_sql}) AS spawn"
        f" {on_conflict}"
    )
    return sql, [*params, *pairs_params]


def _item_names(value: Any) -> list[str]:
    """The names in a catalog item's work types, as the database's unnesting reads them."""
    return [name for name in value if isinstance(name, str)] if isinstance(value, list) else []


def _bulk_create_work_items(lines: QuerySet[Any], work_types: WorkPlan) -> int:
    """Backends without a UUID expression: read the lines, their defaults and existing roles,
    insert the rest."""
    work_model = _work_model(lines)

    present: dict[Any, set[str]] = {}
    defaults: dict[Any, list[str]] = {}
    rows = lines.order_by().values_list("id", "catalog_item__work_types", "work_items__spawn_role")
    for line_id, item_work_types, role in rows:
        present.setdefault(line_id, set()).add(role)
        defaults[line_id] = _item_names(item_work_types)

    def roles_of(line_id: Any) -> Sequence[str]:
        if isinstance(work_types, list):
            return work_types
        if work_types is not None and line_id in work_types:
            return work_types[line_id]
        return defaults[line_id]

    new_items = [
        work_model(basket_item_id=line_id, work_type=role, spawn_role=role)
        for line_id, roles_present in present.items()
        for role in dict.fromkeys(roles_of(line_id))
        if role not in roles_present
    ]
    work_model._default_manager.using(lines.db).bulk_create(new_items, ignore_conflicts=True)
    return len(new_items)
