"""Work routed by the catalog item: each line spawns its item's work types unless told otherwise."""

from __future__ import annotations

import uuid

import pytest

from django_catalog.exceptions import UnknownBasketLineError
from django_catalog.models import Basket, BasketStatus, CatalogStateLog, WorkItem
from django_catalog.services import add_item, commit_basket, create_basket
from django_catalog.spawning import _bulk_create_work_items

pytestmark = pytest.mark.django_db

ITEM_DEFAULTS = {
    "blood": {"collect", "process", "report"},
    "xray": {"acquire", "report"},
    "medicine": {"dispense"},
    "leaflet": set(),
}


def work_by_line(basket):
    """{catalog key: set of spawned work types}, for a basket made by ``routed_draft``."""
    spawned = {
        key: set(line.work_items.values_list("work_type", flat=True))
        for key, line in basket.lines.items()
    }
    roles = set(WorkItem.objects.for_basket(basket).values_list("work_type", "spawn_role"))
    assert all(work_type == role for work_type, role in roles)
    return spawned


def test_each_line_spawns_its_items_work_types_by_default(routed_draft):
    commit_basket(routed_draft)

    assert work_by_line(routed_draft) == ITEM_DEFAULTS
    assert WorkItem.objects.for_basket(routed_draft).count() == 6


def test_an_explicit_list_applies_to_every_line_whatever_the_items_say(routed_draft):
    commit_basket(routed_draft, work_types=["review"])

    assert work_by_line(routed_draft) == {key: {"review"} for key in ITEM_DEFAULTS}


def test_an_empty_list_spawns_nothing(routed_draft):
    commit_basket(routed_draft, work_types=[])

    assert routed_draft.status == BasketStatus.COMMITTED
    assert not WorkItem.objects.for_basket(routed_draft).exists()


def test_spawn_work_false_spawns_nothing_even_with_item_defaults(routed_draft):
    commit_basket(routed_draft, spawn_work=False)

    assert not WorkItem.objects.for_basket(routed_draft).exists()


def test_items_without_defaults_spawn_nothing(visit, make_catalog_item):
    basket = create_basket(context=visit)
    add_item(basket, make_catalog_item(name="Plain"))

    commit_basket(basket)

    assert basket.status == BasketStatus.COMMITTED
    assert not WorkItem.objects.for_basket(basket).exists()


def test_a_mapping_gives_listed_lines_their_own_work_and_the_others_their_defaults(
    routed_draft,
):
    lines = routed_draft.lines

    commit_basket(
        routed_draft,
        work_types={lines["blood"]: ["collect"], lines["leaflet"].pk: ["hand out"]},
    )

    assert work_by_line(routed_draft) == {
        **ITEM_DEFAULTS,
        "blood": {"collect"},
        "leaflet": {"hand out"},
    }


def test_a_mapping_accepts_lines_their_ids_and_the_ids_as_text(routed_draft):
    lines = routed_draft.lines

    commit_basket(
        routed_draft,
        work_types={
            lines["blood"]: [],
            lines["xray"].pk: ["report"],
            str(lines["medicine"].pk): ["dispense", "counsel"],
        },
    )

    assert work_by_line(routed_draft) == {
        "blood": set(),
        "xray": {"report"},
        "medicine": {"dispense", "counsel"},
        "leaflet": set(),
    }


def test_the_model_transition_follows_the_same_rules(routed_draft):
    created = routed_draft.commit(work_types={routed_draft.lines["xray"]: ["acquire"]})

    assert created == 5
    assert work_by_line(routed_draft) == {**ITEM_DEFAULTS, "xray": {"acquire"}}


def test_the_model_transition_spawns_the_item_defaults_when_given_nothing(routed_draft):
    assert routed_draft.commit() == 6

    assert work_by_line(routed_draft) == ITEM_DEFAULTS


def test_an_item_changed_after_ordering_spawns_its_work_types_at_commit(
    routed_draft, routed_catalog
):
    xray = routed_catalog["xray"]
    xray.work_types = ["acquire", "report", "second read"]
    xray.save()

    commit_basket(routed_draft)

    assert work_by_line(routed_draft)["xray"] == {"acquire", "report", "second read"}


def test_a_deleted_line_spawns_nothing(routed_draft):
    routed_draft.lines["blood"].delete()

    commit_basket(routed_draft)

    assert work_by_line(routed_draft)["blood"] == set()
    assert WorkItem.objects.for_basket(routed_draft).count() == 3


@pytest.mark.parametrize(
    "unknown",
    [
        pytest.param(lambda other: other, id="a line of another basket"),
        pytest.param(lambda other: other.pk, id="the id of another basket's line"),
        pytest.param(lambda other: uuid.uuid4(), id="an id no line has"),
    ],
)
def test_a_mapping_naming_a_line_the_basket_does_not_hold_is_refused_and_writes_nothing(
    routed_draft, routed_catalog, catalog_rows, unknown
):
    other_line = add_item(create_basket(), routed_catalog["blood"])
    key = unknown(other_line)
    before = catalog_rows()

    with pytest.raises(UnknownBasketLineError, match="has no line") as refused:
        commit_basket(routed_draft, work_types={routed_draft.lines["xray"]: ["acquire"], key: []})

    assert refused.value.basket_id == routed_draft.pk
    assert [str(line_id) for line_id in refused.value.line_ids] == [str(getattr(key, "pk", key))]
    assert catalog_rows() == before
    assert Basket.objects.get(pk=routed_draft.pk).status == BasketStatus.DRAFT
    assert not CatalogStateLog.objects.exists()


def test_a_mapping_naming_a_deleted_line_is_refused(routed_draft):
    deleted = routed_draft.lines["leaflet"]
    deleted.delete()

    with pytest.raises(UnknownBasketLineError):
        commit_basket(routed_draft, work_types={deleted: ["hand out"]})


@pytest.mark.parametrize(
    ("key", "names", "message"),
    [
        ("not-a-uuid", ["collect"], "not a basket line or line id"),
        (None, ["collect"], "not a basket line or line id"),
        ("line", None, "expected a list"),
        ("line", "collect", "not a single string"),
        ("line", [""], "non-empty string"),
        ("line", ["x" * 101], "longer than 100"),
    ],
)
def test_a_malformed_mapping_is_refused_and_writes_nothing(
    routed_draft, catalog_rows, key, names, message
):
    line = routed_draft.lines["blood"]
    key = line if key == "line" else key
    before = catalog_rows()

    with pytest.raises(ValueError, match=message):
        commit_basket(routed_draft, work_types={key: names})
    with pytest.raises(ValueError, match=message):
        routed_draft.commit(work_types={key: names})

    assert catalog_rows() == before


def test_committing_again_with_other_work_types_changes_nothing(routed_draft):
    commit_basket(routed_draft)

    commit_basket(routed_draft, work_types={routed_draft.lines["blood"]: ["extra"]})

    assert work_by_line(routed_draft) == ITEM_DEFAULTS


# --- the bulk_create fallback (backends without a UUID expression) ----------------------------


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param(lambda lines: None, id="item defaults"),
        pytest.param(lambda lines: ["review"], id="one list"),
        pytest.param(
            lambda lines: {lines["blood"].pk: ["collect"], lines["leaflet"].pk: ["hand out"]},
            id="a mapping",
        ),
    ],
)
def test_the_bulk_create_fallback_spawns_what_the_insert_select_spawns(
    routed_draft, visit, routed_catalog, plan
):
    twin = create_basket(context=visit)
    twin.lines = {key: add_item(twin, item) for key, item in routed_catalog.items()}

    commit_basket(routed_draft, work_types=plan(routed_draft.lines))
    fallback = _bulk_create_work_items(twin.items.all(), plan(twin.lines))

    assert work_by_line(twin) == work_by_line(routed_draft)
    assert fallback == WorkItem.objects.for_basket(routed_draft).count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_commits_spawn_each_items_work_once(make_catalog_item):
    from tests.bulk_data import draft_basket_with_lines
    from tests.concurrency import run_concurrently

    item = make_catalog_item(name="Complete blood count", work_types=["collect", "report"])
    basket = draft_basket_with_lines(50, item)

    outcomes = run_concurrently(
        lambda i: commit_basket(Basket.objects.get(pk=basket.pk)).pk, workers=8
    )

    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert WorkItem.objects.for_basket(basket).count() == 50 * 2
    assert CatalogStateLog.objects.for_(basket).count() == 1


def test_a_mapping_for_many_lines_is_still_one_insert(make_catalog_item):
    """Hundreds of (line, work type) pairs: more than SQLite allows in one UNION ALL."""
    from tests.bulk_data import draft_basket_with_lines

    item = make_catalog_item(name="Complete blood count", work_types=["collect"])
    basket = draft_basket_with_lines(250, item)
    plan = {
        line_id: ["collect", "process", "report"]
        for line_id in basket.items.values_list("pk", flat=True)
    }

    commit_basket(basket, work_types=plan)

    assert WorkItem.objects.for_basket(basket).count() == 750
