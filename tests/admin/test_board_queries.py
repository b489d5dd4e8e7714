"""The work board costs the same number of queries for 3 cards as for 30."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.admin.pages import grant, url

pytestmark = pytest.mark.django_db

BOARD = url("work_board")


def board_queries(client, **query) -> int:
    client.get(BOARD, query)  # warm the per-process caches (content types)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BOARD, query)
    assert response.status_code == 200
    return len(queries)


def cards_on(client, **query) -> int:
    response = client.get(BOARD, query)
    return sum(len(column.cards) for column in response.context["columns"])


@pytest.mark.parametrize("query", [{}, {"assignee": "unassigned", "work_type": "report"}])
def test_superuser_board_queries_do_not_grow_with_the_cards(admin_client, make_board, query):
    make_board(lines=1, patient="Ada")
    few = board_queries(admin_client, **query)
    few_cards = cards_on(admin_client, **query)
    for number in range(9):
        make_board(lines=1, patient=f"Patient {number}")

    many = board_queries(admin_client, **query)

    assert cards_on(admin_client, **query) == 10 * few_cards
    assert many == few


def test_staff_board_queries_do_not_grow_with_the_cards(client, board_viewer, make_board):
    grant(board_viewer, "change_workitem", "start_work_item", "block_work_item")
    client.force_login(board_viewer)
    make_board(lines=1)  # 3 cards
    few = board_queries(client)
    make_board(lines=9, patient="Bob")  # 27 more

    many = board_queries(client)

    assert cards_on(client) == 30
    assert many == few
    assert many <= 16
