"""Missing configuration is reported at start-up, and a transition refuses to start without it."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

import django_catalog
from django_catalog.checks import check_fsm_log_ignores_catalog_models
from django_catalog.fsm import fsm_log_qualified_name
from django_catalog.models import Basket, BasketStatus, CatalogStateLog, WorkItem


def test_configured_settings_pass_the_check():
    assert check_fsm_log_ignores_catalog_models() == []


def test_the_exported_ignore_list_names_the_models_where_they_are_defined():
    """Hosts spread FSM_LOG_IGNORED_MODELS; it must follow a model that moves between modules."""
    assert [
        fsm_log_qualified_name(Basket),
        fsm_log_qualified_name(WorkItem),
    ] == django_catalog.FSM_LOG_IGNORED_MODELS


@override_settings(DJANGO_FSM_LOG_IGNORED_MODELS=[django_catalog.FSM_LOG_IGNORED_MODELS[0]])
def test_missing_ignored_model_is_a_check_error():
    errors = check_fsm_log_ignores_catalog_models()
    assert [e.id for e in errors] == ["django_catalog.E001"]
    assert f"{fsm_log_qualified_name(WorkItem)}'" in errors[0].hint
    assert f"{fsm_log_qualified_name(Basket)}'" not in errors[0].hint


@override_settings(DJANGO_FSM_LOG_IGNORED_MODELS=[])
def test_manage_py_check_fails_at_start_up():
    with pytest.raises(SystemCheckError, match=r"django_catalog\.E001"):
        call_command("check")


@pytest.mark.django_db
@override_settings(DJANGO_FSM_LOG_IGNORED_MODELS=[])
def test_a_transition_refuses_to_start_when_misconfigured(basket_item):
    basket = basket_item.basket
    with pytest.raises(ImproperlyConfigured, match="DJANGO_FSM_LOG_IGNORED_MODELS"):
        basket.commit(work_types=["collect"])
    assert Basket.objects.get(pk=basket.pk).status == BasketStatus.DRAFT
    assert not CatalogStateLog.objects.exists()


def test_not_needed_without_django_fsm_log():
    from django.apps import apps

    apps.set_available_apps(
        ["django.contrib.contenttypes", "django.contrib.auth", "django_fsm", "django_catalog"]
    )
    try:
        with override_settings(DJANGO_FSM_LOG_IGNORED_MODELS=[]):
            assert check_fsm_log_ignores_catalog_models() == []
    finally:
        apps.unset_available_apps()
