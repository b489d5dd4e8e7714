"""Reading baskets: ``for_context`` (a context's orders) and the status filters, chained."""

from __future__ import annotations

import pytest

from django_catalog.models import Basket
from django_catalog.services import add_item, cancel_basket, commit_basket, create_basket
from tests.models import Organization, Visit

pytestmark = pytest.mark.django_db


def ids(queryset):
    return {basket.pk for basket in queryset}


@pytest.fixture
def other_visit(organization):
    return Visit.objects.create(organization=organization, patient="Grace")


@pytest.fixture
def committed(catalog_item):
    """Commit a one-line basket for ``context``."""

    def commit(context):
        basket = create_basket(context=context)
        add_item(basket, catalog_item)
        return commit_basket(basket)

    return commit


def test_for_context_keeps_the_baskets_ordered_for_that_context(visit, other_visit):
    mine = [create_basket(context=visit), create_basket(context=visit)]
    create_basket(context=other_visit)
    create_basket()

    assert ids(Basket.objects.for_context(visit)) == ids(mine)


def test_for_context_tells_models_with_the_same_key_apart(visit):
    other = Organization.objects.filter(pk=visit.pk).first() or Organization.objects.create(
        pk=visit.pk, name="Other clinic"
    )
    assert str(other.pk) == str(visit.pk)
    mine, theirs = create_basket(context=visit), create_basket(context=other)

    assert ids(Basket.objects.for_context(visit)) == {mine.pk}
    assert ids(Basket.objects.for_context(other)) == {theirs.pk}


def test_for_context_matches_a_uuid_keyed_context(basket):
    """Any primary key type: a basket is itself a model with a UUID key."""
    ordered_for_basket = create_basket(context=basket)

    assert ids(Basket.objects.for_context(basket)) == {ordered_for_basket.pk}


def test_for_context_hides_soft_deleted_baskets_unless_asked(visit):
    kept, deleted = create_basket(context=visit), create_basket(context=visit)
    deleted.delete()

    assert ids(Basket.objects.for_context(visit)) == {kept.pk}
    assert ids(Basket.all_objects.for_context(visit)) == {kept.pk, deleted.pk}


def test_draft_and_committed_filter_by_status(visit, committed):
    draft = create_basket(context=visit)
    done = committed(visit)
    cancelled = cancel_basket(create_basket(context=visit))

    assert ids(Basket.objects.draft()) == {draft.pk}
    assert ids(Basket.objects.committed()) == {done.pk}
    assert cancelled.pk not in ids(Basket.objects.draft()) | ids(Basket.objects.committed())


def test_filters_chain_in_any_order(visit, other_visit, committed):
    mine = committed(visit)
    create_basket(context=visit)
    committed(other_visit)

    assert ids(Basket.objects.for_context(visit).committed()) == {mine.pk}
    assert ids(Basket.objects.committed().for_context(visit)) == {mine.pk}
    assert ids(Basket.objects.filter(notes="").committed().for_context(visit)) == {mine.pk}
