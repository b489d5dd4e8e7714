"""``manage.py check`` reports event settings that would fail later, with the line to fix."""

from __future__ import annotations

import pytest

from django_catalog.checks import check_event_settings
from tests.events.handlers import LAB


def ids(messages):
    return [message.id for message in messages]


def test_well_formed_settings_pass(settings):
    settings.CATALOG_EVENT_HANDLERS = {"basket.committed": [LAB], "*": []}
    settings.CATALOG_EVENT_BACKOFF_SECONDS = 0
    settings.CATALOG_EVENT_MAX_ATTEMPTS = 1

    assert check_event_settings() == []


def test_no_event_settings_pass(settings):
    del settings.CATALOG_EVENT_HANDLERS

    assert check_event_settings() == []


@pytest.mark.parametrize("value", [["x.y"], {"basket.committed": "x.y"}, {"*": ["nodots"]}])
def test_a_malformed_handler_setting_is_an_error(settings, value):
    settings.CATALOG_EVENT_HANDLERS = value

    (error,) = check_event_settings()

    assert error.id == "django_catalog.E002"
    assert "CATALOG_EVENT_HANDLERS" in error.msg


def test_a_handler_that_cannot_be_imported_or_called_is_an_error(settings):
    settings.CATALOG_EVENT_HANDLERS = {
        "*": ["tests.events.handlers.missing", "tests.events.handlers.LAB", LAB]
    }

    errors = check_event_settings()

    assert ids(errors) == ["django_catalog.E003", "django_catalog.E003"]
    assert "'tests.events.handlers.missing' cannot be imported" in errors[0].msg
    assert "'tests.events.handlers.LAB' is not callable" in errors[1].msg


def test_bad_retry_settings_are_errors(settings):
    settings.CATALOG_EVENT_BACKOFF_SECONDS = -5
    settings.CATALOG_EVENT_MAX_ATTEMPTS = 0

    errors = check_event_settings()

    assert ids(errors) == ["django_catalog.E004", "django_catalog.E004"]
