from __future__ import annotations

from decimal import Decimal

import django
import pytest
from django.db import connection

from django_catalog.models import Basket, BasketItem, CatalogItem
from tests.models import Organization, Visit


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are skipped, visibly, when the suite runs on another database."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with CATALOG_TEST_DATABASE=postgres)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="nurse", password="x")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="doctor", password="x")


@pytest.fixture
def organization(db):
    return Organization.objects.create(name="Clinic")


@pytest.fixture
def visit(organization):
    return Visit.objects.create(organization=organization, patient="Ada")


@pytest.fixture
def make_catalog_item(organization):
    def make(**fields):
        fields.setdefault("owner", organization)
        fields.setdefault("name", "Blood Test")
        fields.setdefault("unit_price", Decimal("50.00"))
        return CatalogItem.objects.create(**fields)

    return make


@pytest.fixture
def catalog_item(make_catalog_item):
    return make_catalog_item(code="LAB-001", category="laboratory")


@pytest.fixture
def basket(db):
    return Basket.objects.create()


@pytest.fixture
def basket_item(basket, catalog_item):
    return BasketItem.objects.create(
        basket=basket, catalog_item=catalog_item, unit_price=catalog_item.unit_price
    )


@pytest.fixture
def draft_with_lines(visit, make_catalog_item):
    """A draft basket for a visit with two lines (quantities 1 and 2)."""
    from django_catalog.services import add_item, create_basket

    basket = create_basket(context=visit)
    add_item(basket, make_catalog_item(name="Blood Test"), quantity=1)
    add_item(basket, make_catalog_item(name="X-Ray", unit_price=Decimal("120.00")), quantity=2)
    return basket


@pytest.fixture
def routed_catalog(make_catalog_item):
    """A clinic's catalog whose items name their own work (and one item that names none)."""
    return {
        "blood": make_catalog_item(
            name="Complete blood count", work_types=["collect", "process", "report"]
        ),
        "xray": make_catalog_item(
            name="Chest X-ray", unit_price=Decimal("120.00"), work_types=["acquire", "report"]
        ),
        "medicine": make_catalog_item(
            name="Amoxicillin 500 mg", unit_price=Decimal("12.50"), work_types=["dispense"]
        ),
        "leaflet": make_catalog_item(name="Diet leaflet", unit_price=None),
    }


@pytest.fixture
def routed_draft(visit, routed_catalog):
    """A draft basket for the visit with one line of each ``routed_catalog`` item.

    ``routed_draft.lines`` maps each catalog key ("blood", "xray", ...) to its line.
    """
    from django_catalog.services import add_item, create_basket

    basket = create_basket(context=visit)
    basket.lines = {key: add_item(basket, item) for key, item in routed_catalog.items()}
    return basket


@pytest.fixture
def work_item(basket_item):
    """A pending work item (on a line of a draft basket; the work lifecycle does not look)."""
    from django_catalog.models import WorkItem

    return WorkItem.objects.create(
        basket_item=basket_item, work_type="collect", spawn_role="collect"
    )


@pytest.fixture
def make_committed_line(visit, make_catalog_item):
    """Make a line of ``quantity`` in a basket for the visit, commit the basket, return the line."""
    from django_catalog.services import add_item, commit_basket, create_basket

    def make(quantity="5"):
        basket = create_basket(context=visit)
        line = add_item(basket, make_catalog_item(name="Amoxicillin 500 mg"), quantity=quantity)
        commit_basket(basket, spawn_work=False)
        return line

    return make


@pytest.fixture
def catalog_rows():
    """Snapshot every row of every catalog table (deleted ones too), to prove nothing changed."""
    from django.apps import apps

    def snapshot():
        return {
            model._meta.label: list(model._base_manager.order_by("pk").values())
            for model in apps.get_app_config("django_catalog").get_models()
        }

    return snapshot


@pytest.fixture
def spawn_fails_after_insert(monkeypatch):
    """Make a commit fail right after its work items were inserted (to prove the rollback)."""
    from django_catalog.models import basket as models

    spawn = models.insert_work_items

    def spawn_then_fail(*args, **kwargs):
        spawn(*args, **kwargs)
        raise RuntimeError("database went away")

    monkeypatch.setattr(models, "insert_work_items", spawn_then_fail)


#: Django's Tasks backend that stores what is enqueued and never runs it.
DUMMY_TASKS_BACKEND = (
    "django.tasks.backends.dummy.DummyBackend"
    if django.VERSION >= (6, 0)
    else "django_tasks.backends.dummy.DummyBackend"
)


@pytest.fixture
def event_handlers(settings):
    """Configure ``CATALOG_EVENT_HANDLERS`` (read at call time): ``event_handlers({...})``."""

    def configure(mapping):
        settings.CATALOG_EVENT_HANDLERS = mapping

    return configure


@pytest.fixture
def lost_enqueues(settings):
    """A Tasks backend that keeps what is enqueued and never runs it (as after a crash)."""
    settings.TASKS = {"default": {"BACKEND": DUMMY_TASKS_BACKEND}}
