"""Fixtures of the transition-machinery tests."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def commit_fails_once():
    """Make the next COMMIT that updated a row of ``model``'s table fail, once (PostgreSQL).

    A deferred constraint trigger raises at COMMIT time, as a deferred constraint or a
    connection dropped during COMMIT would; a sequence, which a rollback does not reset,
    lets it fail only the first time.
    """
    created: list[str] = []

    def arm(model) -> None:
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute("CREATE SEQUENCE catalog_test_commit_fault")
            cursor.execute(
                """
                CREATE FUNCTION catalog_test_commit_fault() RETURNS trigger AS $$
                BEGIN
                    IF nextval('catalog_test_commit_fault') = 1 THEN
                        RAISE EXCEPTION 'injected failure at COMMIT';
                    END IF;
                    RETURN NULL;
                END $$ LANGUAGE plpgsql
                """
            )
            cursor.execute(
                f"CREATE CONSTRAINT TRIGGER catalog_test_commit_fault AFTER UPDATE ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                "EXECUTE FUNCTION catalog_test_commit_fault()"
            )
        created.append(table)

    yield arm
    with connection.cursor() as cursor:
        for table in created:
            cursor.execute(f"DROP TRIGGER catalog_test_commit_fault ON {table}")
            cursor.execute("DROP FUNCTION catalog_test_commit_fault()")
            cursor.execute("DROP SEQUENCE catalog_test_commit_fault")
