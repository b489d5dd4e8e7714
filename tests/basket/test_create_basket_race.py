"""create_basket with an idempotency key when another caller takes the key first.

The service looks the key up, then INSERTs; a caller that loses the race between the two
gets the winner's basket, and a transaction it runs in stays usable.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from django_catalog.exceptions import IdempotencyKeyConflictError
from django_catalog.models import Basket
from django_catalog.services import _insert_or_find_key_owner, create_basket
from tests.concurrency import run_concurrently


@pytest.mark.django_db(transaction=True)
def test_losing_the_insert_returns_the_basket_that_owns_the_key():
    owner = Basket.objects.create(idempotency_key="orders-1")

    found = _insert_or_find_key_owner(Basket(idempotency_key="orders-1"))

    assert found == owner
    assert Basket.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_losing_the_insert_inside_a_transaction_leaves_it_usable():
    owner = Basket.objects.create(idempotency_key="orders-1")

    with transaction.atomic():
        found = _insert_or_find_key_owner(Basket(idempotency_key="orders-1"))
        Basket.objects.create(notes="written after the lost race")

    assert found == owner
    assert Basket.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_key_store_one_basket():
    outcomes = run_concurrently(lambda i: create_basket(idempotency_key="orders-1").pk, workers=8)

    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert len({o.value for o in outcomes}) == 1
    assert Basket.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_inside_transactions_store_one_basket():
    def create_then_keep_working(i: int):
        with transaction.atomic():
            basket = create_basket(idempotency_key="orders-1")
            Basket.objects.filter(pk=basket.pk).exists()  # the transaction is still usable
            return basket.pk

    outcomes = run_concurrently(create_then_keep_working, workers=8)

    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert len({o.value for o in outcomes}) == 1
    assert Basket.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_key_and_different_notes_conflict():
    outcomes = run_concurrently(
        lambda i: create_basket(idempotency_key="orders-1", notes=f"note {i}").pk, workers=8
    )

    assert sum(o.ok for o in outcomes) == 1
    assert all(isinstance(o.error, IdempotencyKeyConflictError) for o in outcomes if not o.ok)
    assert Basket.objects.count() == 1
