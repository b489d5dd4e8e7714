"""Query budgets of the services, at several sizes, so that a regression fails the suite.

Measured as a request sees them: in autocommit mode (``transaction=True``), where Django's
query capture also counts BEGIN, COMMIT, SAVEPOINT and RELEASE. ContentType lookups are
cached per process, so they are warmed before counting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from django_catalog.models import (
    Basket,
    BasketItem,
    BasketStatus,
    CatalogItem,
    CatalogStateLog,
    Event,
    EventDelivery,
    WorkItem,
)
from django_catalog.services import (
    add_item,
    block_work_item,
    cancel_basket,
    cancel_work_item,
    commit_basket,
    complete_work_item,
    create_basket,
    dispense,
    start_work_item,
    unblock_work_item,
)
from tests.bulk_data import draft_basket_with_lines
from tests.models import Organization, Visit

pytestmark = pytest.mark.django_db(transaction=True)

WORK_TYPES = ["collect", "process", "report"]
SIZES = [1, 10, 1000]

# The issues' targets. The work items go in with one INSERT ... SELECT, so the commit budget
# holds on SQLite too (no bulk_create batches to allow for). A commit: BEGIN, the lock (which
# also reads the "has lines" guard), INSERT work items, INSERT audit row, UPDATE basket,
# INSERT event, COMMIT; no savepoint of the transition's own inside the service's transaction.
# The event costs one more INSERT, of its deliveries, when handlers are configured.
COMMIT_BUDGET = 8
# A work item's transition or a basket's cancel: BEGIN, lock, INSERT audit row, UPDATE,
# INSERT event (and its deliveries), COMMIT.
TRANSITION_BUDGET = 7
EVENT_STATEMENTS = {"no handler": 1, "handlers": 2}
HANDLERS = ["tests.events.handlers.lab", "tests.events.handlers.billing"]
REPLAY_BUDGET = 3
# add_item: BEGIN, lock the basket, read the catalog item (FOR KEY SHARE on PostgreSQL, so a
# racing hard delete cannot fail the COMMIT), the line's own basket check (BasketItem.save()
# locks and reads its basket, whoever calls it), INSERT, COMMIT.
ADD_ITEM_BUDGET = 6
CREATE_BUDGET = 3
CREATE_REPLAY_BUDGET = 2


@pytest.fixture(autouse=True)
def warm_content_type_cache(db: None) -> None:
    for model in (Basket, WorkItem, CatalogItem, Organization, Visit):
        ContentType.objects.get_for_model(model)


@pytest.fixture
def catalog_item(make_catalog_item) -> CatalogItem:
    return make_catalog_item(code="LAB-001", category="laboratory")


def count_commit(basket: Basket, **kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        commit_basket(basket, work_types=WORK_TYPES, **kwargs)
    return len(queries)


@pytest.fixture
def instances_loaded() -> Iterator[Counter[str]]:
    """Counts model instances built from rows (or by hand) while the test runs, by model name."""
    loaded: Counter[str] = Counter()

    def count(sender: type, **kwargs: object) -> None:
        loaded[sender.__name__] += 1

    post_init.connect(count, weak=False, dispatch_uid="test_query_counts.instances_loaded")
    try:
        yield loaded
    finally:
        post_init.disconnect(dispatch_uid="test_query_counts.instances_loaded")


# --- commit_basket -------------------------------------------------------------------------


@pytest.mark.parametrize("lines", SIZES)
def test_commit_basket_stays_within_its_query_budget(lines, catalog_item, user):
    basket = draft_basket_with_lines(lines, catalog_item)

    queries = count_commit(basket, committed_by=user)

    assert WorkItem.objects.for_basket(basket).count() == lines * len(WORK_TYPES)
    assert CatalogStateLog.objects.for_(basket).count() == 1
    assert queries <= COMMIT_BUDGET


def test_commit_basket_query_count_does_not_grow_with_lines(catalog_item, user):
    small, large = (draft_basket_with_lines(n, catalog_item) for n in (1, 1000))

    small_count = count_commit(small, committed_by=user)
    large_count = count_commit(large, committed_by=user)

    assert large_count == small_count


def test_commit_basket_inside_a_caller_transaction_costs_the_same(catalog_item, user):
    """SAVEPOINT/RELEASE of the caller's transaction take the place of BEGIN/COMMIT."""
    alone, nested = (draft_basket_with_lines(10, catalog_item) for _ in range(2))
    alone_count = count_commit(alone, committed_by=user)

    with transaction.atomic():
        nested_count = count_commit(nested, committed_by=user)

    assert nested_count == alone_count


@pytest.fixture
def routed_item(make_catalog_item) -> CatalogItem:
    return make_catalog_item(name="Complete blood count", work_types=WORK_TYPES)


@pytest.mark.parametrize("lines", SIZES)
def test_commit_with_the_items_work_types_costs_what_an_explicit_list_costs(
    lines, catalog_item, routed_item, user
):
    explicit = draft_basket_with_lines(lines, catalog_item)
    routed = draft_basket_with_lines(lines, routed_item)
    explicit_count = count_commit(explicit, committed_by=user)

    with CaptureQueriesContext(connection) as queries:
        commit_basket(routed, committed_by=user)

    assert WorkItem.objects.for_basket(routed).count() == lines * len(WORK_TYPES)
    assert len(queries) == explicit_count
    assert instances_of_inserts(queries) == 1


def test_commit_with_work_per_line_costs_one_query_more_whatever_the_lines(
    catalog_item, routed_item, user
):
    """The extra query checks that every line the mapping names is a line of the basket."""
    explicit = draft_basket_with_lines(10, catalog_item)
    explicit_count = count_commit(explicit, committed_by=user)
    counts = []
    for lines in (1, 1000):
        basket = draft_basket_with_lines(lines, routed_item)
        first_lines = basket.items.order_by("pk")[:2]
        plan = {line.pk: ["review"] for line in first_lines}
        with CaptureQueriesContext(connection) as queries:
            commit_basket(basket, committed_by=user, work_types=plan)
        counts.append(len(queries))
        spawned = WorkItem.objects.for_basket(basket)
        assert spawned.filter(work_type="review").count() == len(plan)
        assert spawned.count() == len(plan) + (lines - len(plan)) * len(WORK_TYPES)

    assert counts == [explicit_count + 1] * 2


def instances_of_inserts(queries: CaptureQueriesContext) -> int:
    work_table = WorkItem._meta.db_table
    return sum(1 for q in queries if work_table in q["sql"] and "INSERT" in q["sql"])


@pytest.mark.parametrize("lines", SIZES)
def test_commit_basket_replay_stays_within_its_query_budget(lines, catalog_item, user):
    basket = draft_basket_with_lines(lines, catalog_item)
    commit_basket(basket, committed_by=user, work_types=WORK_TYPES)
    stale = Basket.objects.get(pk=basket.pk)

    queries = count_commit(stale, committed_by=user)

    assert stale.status == BasketStatus.COMMITTED
    assert queries <= REPLAY_BUDGET


def test_commit_basket_loads_no_lines_catalog_items_or_work_items(
    catalog_item, user, instances_loaded
):
    basket = draft_basket_with_lines(1000, catalog_item)
    instances_loaded.clear()

    with CaptureQueriesContext(connection) as queries:
        commit_basket(basket, committed_by=user, work_types=WORK_TYPES)

    assert WorkItem.objects.for_basket(basket).count() == 3000
    assert instances_loaded["BasketItem"] == 0
    assert instances_loaded["CatalogItem"] == 0
    assert instances_loaded["WorkItem"] <= 1  # one unsaved template for the column defaults
    catalog_table = CatalogItem._meta.db_table
    assert not [q["sql"] for q in queries if catalog_table in q["sql"]]


def test_commit_basket_updates_the_callers_copy_without_reading_it_back(draft_with_lines, user):
    stale = Basket.objects.get(pk=draft_with_lines.pk)
    assert stale.committed_by is None  # caches the relation

    commit_basket(stale, committed_by=user, work_types=WORK_TYPES)

    assert stale.status == BasketStatus.COMMITTED
    assert stale.committed_by == user
    stale.save()  # the optimistic state check compares against the committed state
    assert Basket.objects.get(pk=stale.pk).status == BasketStatus.COMMITTED


# --- the other transitions ------------------------------------------------------------------


def test_cancel_basket_stays_within_its_query_budget(basket):
    with CaptureQueriesContext(connection) as queries:
        cancel_basket(basket)

    assert basket.status == BasketStatus.CANCELLED
    assert len(queries) <= TRANSITION_BUDGET


def test_each_work_item_service_stays_within_the_transition_budget(work_item, user):
    steps = [
        lambda item: start_work_item(item, by=user),
        lambda item: block_work_item(item, "no sample", by=user),
        lambda item: unblock_work_item(item, by=user),
        lambda item: complete_work_item(item, by=user),
    ]
    counts = []
    for step in steps:
        with CaptureQueriesContext(connection) as queries:
            step(work_item)
        counts.append(len(queries))
    other = WorkItem.objects.create(basket_item=work_item.basket_item, work_type="report")
    with CaptureQueriesContext(connection) as queries:
        cancel_work_item(other, "ordered twice", by=user)
    counts.append(len(queries))

    assert CatalogStateLog.objects.for_(work_item).count() == 4
    assert CatalogStateLog.objects.for_(other).count() == 1
    assert max(counts) <= TRANSITION_BUDGET


def test_cancel_basket_updates_the_callers_copy(basket):
    stale = Basket.objects.get(pk=basket.pk)

    cancel_basket(stale)

    assert stale.status == BasketStatus.CANCELLED
    stale.save()  # the optimistic state check compares against the cancelled state
    assert Basket.objects.get(pk=stale.pk).status == BasketStatus.CANCELLED


# --- the event rows ------------------------------------------------------------------------


def inserts_into(queries: CaptureQueriesContext, model: type) -> int:
    table = f'"{model._meta.db_table}"'
    return sum(1 for q in queries if q["sql"].startswith("INSERT") and table in q["sql"])


@pytest.fixture(params=list(EVENT_STATEMENTS))
def handlers_configured(request, event_handlers, lost_enqueues) -> int:
    """No handler, or two for every event; returns the statements the events should cost.

    Enqueued deliveries are not run (``lost_enqueues``): this counts the change's own
    transaction, not the delivery that follows it.
    """
    event_handlers({"*": HANDLERS} if request.param == "handlers" else {})
    return EVENT_STATEMENTS[request.param]


@pytest.mark.parametrize("lines", [1, 1000])
def test_commit_basket_writes_its_event_in_at_most_two_statements(
    lines, catalog_item, user, handlers_configured
):
    basket = draft_basket_with_lines(lines, catalog_item)

    with CaptureQueriesContext(connection) as queries:
        commit_basket(basket, committed_by=user, work_types=WORK_TYPES)

    assert inserts_into(queries, Event) == 1
    assert inserts_into(queries, EventDelivery) == handlers_configured - 1
    assert len(queries) == 6 + handlers_configured
    assert EventDelivery.objects.count() == len(HANDLERS) * (handlers_configured - 1)


def test_a_work_item_transition_writes_its_event_in_at_most_two_statements(
    catalog_item, user, handlers_configured
):
    basket = draft_basket_with_lines(1, catalog_item)
    commit_basket(basket, work_types=["collect"])
    work_item = WorkItem.objects.for_basket(basket).get()

    with CaptureQueriesContext(connection) as queries:
        start_work_item(work_item, by=user)

    assert inserts_into(queries, Event) == 1
    assert inserts_into(queries, EventDelivery) == handlers_configured - 1
    # BEGIN, lock, UPDATE, audit row, the events, COMMIT
    assert len(queries) == 5 + handlers_configured


def test_dispense_writes_its_event_in_at_most_two_statements(
    make_committed_line, user, handlers_configured
):
    line = make_committed_line(quantity="5")
    ContentType.objects.get_for_model(line)  # cached before counting

    with CaptureQueriesContext(connection) as queries:
        dispense(line, 1, dispensed_by=user)

    assert inserts_into(queries, Event) == 1
    assert inserts_into(queries, EventDelivery) == handlers_configured - 1
    # BEGIN, lock the line, its basket's status, the dispensed sum, INSERT log, events, COMMIT
    assert len(queries) == 6 + handlers_configured


# --- add_item ------------------------------------------------------------------------------


@pytest.mark.parametrize("existing_lines", [0, 10, 1000])
def test_add_item_stays_within_its_query_budget(existing_lines, catalog_item):
    basket = draft_basket_with_lines(existing_lines, catalog_item)

    with CaptureQueriesContext(connection) as queries:
        line = add_item(basket, catalog_item, quantity=2)

    assert BasketItem.objects.filter(basket=basket).count() == existing_lines + 1
    assert line.unit_price == catalog_item.unit_price
    assert len(queries) <= ADD_ITEM_BUDGET


# --- create_basket -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "with_context"), [(None, False), (None, True), ("orders-1", False), ("orders-1", True)]
)
def test_create_basket_stays_within_its_query_budget(key, with_context, visit):
    context = visit if with_context else None

    with CaptureQueriesContext(connection) as queries:
        basket = create_basket(context=context, idempotency_key=key)

    assert Basket.objects.filter(pk=basket.pk).exists()
    assert len(queries) <= CREATE_BUDGET


def test_create_basket_inside_a_caller_transaction_adds_only_the_inserts_savepoint(visit):
    with CaptureQueriesContext(connection) as alone:
        create_basket(context=visit, idempotency_key="orders-1")

    with transaction.atomic(), CaptureQueriesContext(connection) as nested:
        create_basket(context=visit, idempotency_key="orders-2")

    assert len(nested) == len(alone) + 2
    assert [q["sql"].split()[0] for q in nested][1:4:2] == ["SAVEPOINT", "RELEASE"]


@pytest.mark.parametrize("with_context", [False, True])
def test_create_basket_replay_stays_within_its_query_budget(with_context, visit):
    context = visit if with_context else None
    first = create_basket(context=context, idempotency_key="orders-1", notes="fasting")

    with CaptureQueriesContext(connection) as queries:
        again = create_basket(context=context, idempotency_key="orders-1", notes="fasting")

    assert again.pk == first.pk
    assert len(queries) <= CREATE_REPLAY_BUDGET
