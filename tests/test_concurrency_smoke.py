"""The concurrency harness really runs workers at once, on separate PostgreSQL connections."""

import pytest
from django.db import connection

from tests.concurrency import run_concurrently


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_use_separate_connections_at_the_same_time():
    def backend_pid(_):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), pg_sleep(0.2)")
            return cursor.fetchone()[0]

    outcomes = run_concurrently(backend_pid, workers=8)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert len({o.value for o in outcomes}) == 8
