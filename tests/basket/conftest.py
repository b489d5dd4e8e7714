"""Fixtures of the basket tests: lines of baskets that are no longer drafts."""

from __future__ import annotations

import pytest

from django_catalog.services import add_item, cancel_basket, create_basket


@pytest.fixture
def cancelled_line(visit, make_catalog_item):
    """A line of a cancelled basket."""
    basket = create_basket(context=visit)
    line = add_item(basket, make_catalog_item(name="Chest X-Ray"), quantity=2)
    cancel_basket(basket)
    return line


@pytest.fixture(params=["committed", "cancelled"])
def frozen_line(request, make_committed_line):
    """A line of a committed basket, then of a cancelled one."""
    if request.param == "committed":
        return make_committed_line(quantity="2")
    return request.getfixturevalue("cancelled_line")
