"""PostgreSQL triggers (django-pgtrigger) that hold the frozen-order rules below the ORM.

The models refuse these writes with catalog errors; ``QuerySet.update()`` on a plain
queryset, the deletion collector and raw SQL do not run model code, so on PostgreSQL the
same rules are also triggers, installed by the migrations. A refused statement raises
``IntegrityError`` (SQLSTATE 23001, ``restrict_violation``) and writes nothing. Other
databases do not get them (see the README's "What is frozen when").
"""

from __future__ import annotations

from typing import Any

import pgtrigger
from django.db import models

from ..states import FROZEN_BASKET_STATES, UNDELETABLE_BASKET_STATES, BasketStatus

#: The SQLSTATE the triggers raise; Django turns it into ``IntegrityError``.
REFUSAL_ERRCODE = "restrict_violation"


def refuse(name: str, operation: Any, condition: pgtrigger.Q, message: str) -> pgtrigger.Trigger:
    """A row trigger that refuses ``operation`` on the rows matching ``condition``."""
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.Before,
        operation=operation,
        condition=condition,
        func=f"RAISE EXCEPTION '{message}' USING ERRCODE = '{REFUSAL_ERRCODE}';",
    )


def frozen_basket_triggers(request_fields: tuple[str, ...]) -> list[pgtrigger.Trigger]:
    """A basket past its draft keeps its request fields; a committed one is never deleted."""
    request_changed = pgtrigger.Q()
    for name in request_fields:
        request_changed |= pgtrigger.Q(**{f"old__{name}__df": pgtrigger.F(f"new__{name}")})
    return [
        refuse(
            "frozen_basket_request",
            pgtrigger.Update,
            pgtrigger.Q(old__status__in=list(FROZEN_BASKET_STATES)) & request_changed,
            "django_catalog: the request fields of a basket that is not a draft cannot change",
        ),
        refuse(
            "committed_basket_not_deleted",
            pgtrigger.Delete,
            pgtrigger.Q(old__status__in=list(UNDELETABLE_BASKET_STATES)),
            "django_catalog: a committed basket cannot be deleted",
        ),
        refuse(
            "committed_basket_not_soft_deleted",
            pgtrigger.Update,
            pgtrigger.Q(
                old__status__in=list(UNDELETABLE_BASKET_STATES),
                old__deleted_at__isnull=True,
                new__deleted_at__isnull=False,
            ),
            "django_catalog: a committed basket cannot be deleted",
        ),
    ]


def draft_lines_only(basket_model: type[models.Model]) -> pgtrigger.Trigger:
    """Lines are inserted, updated and moved only in (and out of) draft baskets.

    The basket's status is read with ``FOR SHARE``, so a line written while the basket is
    being committed waits for the commit and then sees it. Deleting the lines of a
    cancelled basket is let through: that is how deleting the cancelled basket cascades.
    """
    table = basket_model._meta.db_table
    status = basket_model._meta.get_field("status").column  # type: ignore[union-attr]
    key = basket_model._meta.pk.column
    draft = BasketStatus.DRAFT.value
    committed = BasketStatus.COMMITTED.value
    message = "django_catalog: basket % is %: its lines cannot change"

    def read_status(row: str) -> str:
        return (
            f'SELECT "{status}" INTO basket_status FROM "{table}" '
            f'WHERE "{key}" = {row}."{{columns.basket}}" FOR SHARE;'
        )

    def raise_for(row: str) -> str:
        return (
            f"RAISE EXCEPTION '{message}', {row}.\"{{columns.basket}}\", basket_status "
            f"USING ERRCODE = '{REFUSAL_ERRCODE}';"
        )

    return pgtrigger.Trigger(
        name="draft_lines_only",
        when=pgtrigger.Before,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        declare=[("basket_status", "text")],
        func=pgtrigger.Func(
            f"""
            IF TG_OP <> 'INSERT' THEN
                {read_status("OLD")}
                IF basket_status = '{committed}'
                        OR (TG_OP = 'UPDATE' AND basket_status <> '{draft}') THEN
                    {raise_for("OLD")}
                END IF;
            END IF;
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            {read_status("NEW")}
            IF basket_status <> '{draft}' THEN
                {raise_for("NEW")}
            END IF;
            RETURN NEW;
            """
        ),
    )
