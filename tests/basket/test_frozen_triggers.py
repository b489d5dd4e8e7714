"""On PostgreSQL the frozen order holds below the ORM too: triggers refuse what model code
never sees (a plain queryset's update(), raw SQL), and a line racing a commit never slips in.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from django_catalog import BasketFrozenError
from django_catalog.models import Basket, BasketItem, WorkItem
from django_catalog.services import add_item, commit_basket, create_basket
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def assert_refused_by_the_database(catalog_rows, write):
    before = catalog_rows()
    with pytest.raises(IntegrityError, match="django_catalog"), transaction.atomic():
        write()
    assert catalog_rows() == before


def raw(sql, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


LINES = BasketItem._meta.db_table
BASKETS = Basket._meta.db_table


def test_a_plain_update_of_a_frozen_line_is_refused(frozen_line, catalog_rows):
    assert_refused_by_the_database(
        catalog_rows,
        lambda: BasketItem._base_manager.filter(pk=frozen_line.pk).update(quantity=Decimal(1)),
    )


def test_raw_sql_cannot_add_a_line_to_a_frozen_basket(frozen_line, catalog_rows):
    def insert():
        now = timezone.now()
        raw(
            f"INSERT INTO {LINES} (id, basket_id, catalog_item_id, quantity, currency,"
            " instructions, metadata, created_at, updated_at)"
            " VALUES (gen_random_uuid(), %s, %s, 1, 'EUR', '', '{}', %s, %s)",
            frozen_line.basket_id,
            frozen_line.catalog_item_id,
            now,
            now,
        )

    assert_refused_by_the_database(catalog_rows, insert)


def test_raw_sql_cannot_move_a_draft_line_into_a_frozen_basket(
    frozen_line, basket_item, catalog_rows
):
    assert_refused_by_the_database(
        catalog_rows,
        lambda: raw(
            f"UPDATE {LINES} SET basket_id = %s WHERE id = %s",
            frozen_line.basket_id,
            basket_item.pk,
        ),
    )


def test_raw_sql_cannot_delete_a_committed_line(make_committed_line, catalog_rows):
    line = make_committed_line()
    assert_refused_by_the_database(
        catalog_rows, lambda: raw(f"DELETE FROM {LINES} WHERE id = %s", line.pk)
    )


def test_a_plain_update_of_a_frozen_baskets_request_is_refused(frozen_line, catalog_rows):
    assert_refused_by_the_database(
        catalog_rows,
        lambda: Basket._base_manager.filter(pk=frozen_line.basket_id).update(notes="edited"),
    )


def test_raw_sql_cannot_delete_a_committed_basket(make_committed_line, catalog_rows):
    basket_id = make_committed_line().basket_id
    assert_refused_by_the_database(
        catalog_rows, lambda: raw(f"DELETE FROM {BASKETS} WHERE id = %s", basket_id)
    )
    assert_refused_by_the_database(
        catalog_rows,
        lambda: raw(f"UPDATE {BASKETS} SET deleted_at = now() WHERE id = %s", basket_id),
    )


def test_the_triggers_let_drafts_change_and_commit(visit, catalog_item):
    basket = create_basket(context=visit)
    line = add_item(basket, catalog_item, quantity=2)
    raw(f"UPDATE {LINES} SET quantity = 3 WHERE id = %s", line.pk)
    raw(f"UPDATE {BASKETS} SET notes = 'ward B' WHERE id = %s", basket.pk)

    commit_basket(basket, work_types=["collect"])

    assert WorkItem.objects.filter(basket_item=line).count() == 1
    assert BasketItem.objects.get(pk=line.pk).quantity == 3


# --- a line racing a commit ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_line_written_while_the_basket_is_committed_never_slips_in(visit, catalog_item):
    """Seven workers create lines straight through the ORM while an eighth commits.

    Each line is either in before the commit (and gets its work) or refused with
    BasketFrozenError; a committed basket never holds a line without work.
    """
    for _attempt in range(3):
        basket = create_basket(context=visit)
        add_item(basket, catalog_item)

        def work(i, basket=basket):
            if i == 0:
                return commit_basket(basket, work_types=["collect"])
            return BasketItem.objects.create(basket=basket, catalog_item=catalog_item)

        outcomes = run_concurrently(work, workers=8)

        assert outcomes[0].ok, outcomes[0].error
        for outcome in outcomes[1:]:
            assert outcome.ok or isinstance(outcome.error, BasketFrozenError), outcome.error
        lines = BasketItem.objects.filter(basket=basket)
        assert lines.count() == 1 + sum(outcome.ok for outcome in outcomes[1:])
        assert not lines.filter(work_items__isnull=True).exists()
