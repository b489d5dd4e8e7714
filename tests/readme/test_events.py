"""The README's "Events for other systems": the settings it shows, and its deduplicating
handler, delivered twice."""

from __future__ import annotations

import sys
import types

import pytest

from django_catalog.events import EventDelivery, configured_handlers, deliver_due
from django_catalog.services import commit_basket
from django_catalog.states import DeliveryStatus
from django_catalog.validation import clean_event_handlers
from tests.models import LabOrder
from tests.readme.readme import python_blocks, run_python

pytestmark = pytest.mark.django_db

SETTINGS = "### Configuring handlers"
DEDUPLICATING = "### Deduplicating in a handler"


def test_the_settings_snippet_configures_handlers_as_described(settings):
    (code,) = python_blocks(SETTINGS)
    shown = run_python(code, {}, SETTINGS)
    settings.CATALOG_EVENT_HANDLERS = shown["CATALOG_EVENT_HANDLERS"]

    assert clean_event_handlers(shown["CATALOG_EVENT_HANDLERS"])
    assert configured_handlers("basket.committed") == [
        "lab.interface.send_order",
        "billing.orders.charge",
        "audit.export.publish",
    ]
    assert configured_handlers("item.dispensed") == ["audit.export.publish"]
    assert (shown["CATALOG_EVENT_BACKOFF_SECONDS"], shown["CATALOG_EVENT_MAX_ATTEMPTS"]) == (10, 8)


@pytest.fixture
def readme_handler(monkeypatch, settings):
    """The README's handler, importable as ``readme_lab.file_lab_order``; ``lab.models`` is ours."""
    monkeypatch.setitem(sys.modules, "lab", types.ModuleType("lab"))
    monkeypatch.setitem(sys.modules, "lab.models", types.SimpleNamespace(LabOrder=LabOrder))
    (code,) = python_blocks(DEDUPLICATING)
    module = types.ModuleType("readme_lab")
    run_python(code, module.__dict__, DEDUPLICATING)
    monkeypatch.setitem(sys.modules, "readme_lab", module)
    settings.CATALOG_EVENT_HANDLERS = {"basket.committed": ["readme_lab.file_lab_order"]}


def test_the_deduplicating_handler_files_an_order_delivered_twice_once(
    readme_handler, draft_with_lines, capsys
):
    basket = commit_basket(draft_with_lines)
    assert deliver_due() == 1
    # A worker died after the lab filed the order, before the delivery was marked:
    EventDelivery.objects.update(status=DeliveryStatus.PENDING, delivered_at=None)

    assert deliver_due() == 1

    (order,) = LabOrder.objects.all()
    assert order.basket_id == str(basket.pk)
    assert capsys.readouterr().out.count("Lab: new order for basket") == 1
