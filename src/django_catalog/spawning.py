"""Spawning a basket's work items in one statement, whatever the number of lines and work types.

``Basket.commit`` calls :func:`insert_work_items`. On PostgreSQL and SQLite the database pairs
the basket's live lines with the work types itself, in one ``INSERT ... SELECT``: no line is
read into Python, no work item is built in Python, and a (line, work type) pair that already
has a work item is skipped by the ``unique_basket_item_spawn_role`` constraint. Other
backends get the same result from a read of the line ids and one ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models.constants import OnConflict

if TYPE_CHECKING:
    from django.db.models import QuerySet

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

# The WorkItem columns that vary per row; every other column gets its default.
_LINE_COLUMN = "basket_item_id"
_ROLE_COLUMNS = ("work_type", "spawn_role")


def insert_work_items(lines: QuerySet[Any], roles: Sequence[str]) -> int:
    """Insert a pending work item for each (line, role) pair that has none; returns how many.

    ``lines`` is a queryset of the basket's lines (its filters decide which lines get work).
    One statement on PostgreSQL and SQLite; the work type of each item is its role.
    """
    if not roles:
        return 0
    connection = connections[lines.db]
    if connection.vendor not in UUID4_SQL:
        return _bulk_create_work_items(lines, roles)
    sql, params = _insert_select_sql(lines, roles)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _work_model(lines: QuerySet[Any]) -> Any:
    """The work-item model, reached through the lines' ``work_items`` relation."""
    return lines.model._meta.get_field("work_items").related_model


def _insert_select_sql(lines: QuerySet[Any], roles: Sequence[str]) -> tuple[str, list[Any]]:
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
            values.append(f"line_ids.{quote('id')}")
        elif field.attname in _ROLE_COLUMNS:
            values.append("roles.name")
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.pre_save(template, add=True), connection))

    line_ids_sql, line_params = (
        lines.order_by().values("id").query.get_compiler(connection=connection).as_sql()
    )
    roles_sql = " UNION ALL ".join(["SELECT %s AS name"] * len(roles))
    on_conflict = connection.ops.on_conflict_suffix_sql(
        work_model._meta.concrete_fields, OnConflict.IGNORE, None, None
    )
    sql = (
        f"{connection.ops.insert_statement(on_conflict=OnConflict.IGNORE)}"
        f" {quote(work_model._meta.db_table)} ({', '.join(columns)})"
        f" SELECT {', '.join(values)}"
        f" FROM ({line_ids_sql}) AS line_ids CROSS JOIN ({roles_sql}) AS roles"
        f" {on_conflict}"
    )
    return sql, [*params, *line_params, *roles]


def _bulk_create_work_items(lines: QuerySet[Any], roles: Sequence[str]) -> int:
    """Backends without a UUID expression: read line ids and existing roles, insert the rest."""
    work_model = _work_model(lines)

    present: dict[Any, set[str]] = {}
    for line_id, role in lines.order_by().values_list("id", "work_items__spawn_role"):
        present.setdefault(line_id, set()).add(role)
    new_items = [
        work_model(basket_item_id=line_id, work_type=role, spawn_role=role)
        for line_id, roles_present in present.items()
        for role in roles
        if role not in roles_present
    ]
    work_model._default_manager.using(lines.db).bulk_create(new_items, ignore_conflicts=True)
    return len(new_items)
