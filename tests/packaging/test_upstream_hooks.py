"""django-fsm-2 still offers the private hooks django_catalog builds on.

The package overrides or calls these non-public names; ``pyproject.toml`` caps django-fsm-2
below its next major release because of them. Should a release rename or drop one, these
tests say which hook went and what in django_catalog depends on it, instead of letting
the suite fail somewhere far away (or, for an override, pass while the override is dead).
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

import django_fsm
import pytest
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMFieldDescriptor, FSMModelMixin
from django_fsm.admin import FSMAdminMixin

from django_catalog.models import Basket, WorkItem

FSM_VERSION = version("django-fsm-2")

# (owner, attribute, what in django_catalog needs it)
HOOKS = [
    (FSMAdminMixin, "_get_fsm_extra_context", "the admin hides buttons from read-only users"),
    (FSMAdminMixin, "_apply_fsm_transition", "admin buttons run the catalog's services"),
    (FSMAdminMixin, "_get_fsm_transition_by_name", "admin buttons look up the transition"),
    (FSMAdminMixin, "fsm_transition_view", "transition pages check names and permissions first"),
    (FSMField, "set_proxy", "StateField's descriptor reloads a protected state"),
    (FSMField, "set_state", "StateField's descriptor reloads a protected state"),
    (FSMModelMixin, "_get_protected_fsm_fields", "full_clean() skips the protected status"),
    (
        ConcurrentTransitionMixin,
        "_update_initial_state",
        "refresh, service re-checks, and a failed transition putting back the compared state",
    ),
]


def _gone(owner: type, name: str, needed_by: str) -> str:
    return (
        f"django-fsm-2 {FSM_VERSION} has no {owner.__module__}.{owner.__qualname__}.{name}, "
        f"a private hook django_catalog relies on ({needed_by}). Adapt django_catalog to the "
        f"new release, or keep django-fsm-2 below it in pyproject.toml."
    )


@pytest.mark.parametrize(
    ("owner", "name", "needed_by"),
    HOOKS,
    ids=[f"{owner.__name__}.{name}" for owner, name, _ in HOOKS],
)
def test_private_hook_still_exists(owner, name, needed_by):
    assert callable(getattr(owner, name, None)), _gone(owner, name, needed_by)


def test_field_descriptor_class_is_still_a_hook():
    needed_by = "StateField swaps in its own descriptor"
    assert hasattr(django_fsm, "FSMFieldDescriptor"), _gone(
        django_fsm.FSMFieldMixin, "FSMFieldDescriptor", needed_by
    )
    assert FSMField.descriptor_class is FSMFieldDescriptor, _gone(
        FSMField, "descriptor_class", needed_by
    )


@pytest.mark.parametrize("model", [Basket, WorkItem], ids=lambda model: model.__name__)
def test_the_field_installs_the_descriptor_class_it_names(model):
    field = model._meta.get_field("status")
    installed = vars(model)["status"]
    assert type(installed) is field.descriptor_class, (
        f"django-fsm-2 {FSM_VERSION} installed {type(installed).__qualname__} on "
        f"{model.__name__}.status instead of the field's descriptor_class "
        f"({field.descriptor_class.__qualname__}): the protected status can no longer be "
        f"reloaded safely under concurrency."
    )


def test_concurrency_mixin_still_extends_the_model_mixin():
    # StateMachineMixin.refresh_from_db calls past FSMModelMixin to skip its shared switch.
    assert issubclass(ConcurrentTransitionMixin, FSMModelMixin), (
        f"django-fsm-2 {FSM_VERSION}: ConcurrentTransitionMixin no longer extends "
        f"FSMModelMixin, which StateMachineMixin.refresh_from_db steps past."
    )


def test_transition_methods_still_carry_their_field():
    @django_fsm.transition(field="status", source="new", target="done")
    def finish(instance):
        """A bare transition, decorated as a model method would be."""

    meta = getattr(finish, "_django_fsm", None)
    assert meta is not None and meta.field == "status", (
        f"django-fsm-2 {FSM_VERSION}: a transition method no longer carries _django_fsm.field, "
        f"which django_catalog's transition wrapper reads to find the state field."
    )


# The keyword-only parameters django_catalog's overrides accept and upstream passes.
OVERRIDDEN_SIGNATURES = {
    "_apply_fsm_transition": ["obj", "transition_name", "request", "kwargs"],
    "_get_fsm_extra_context": ["request", "obj"],
    "_get_fsm_transition_by_name": ["obj", "transition_name"],
}


@pytest.mark.parametrize("name", OVERRIDDEN_SIGNATURES)
def test_admin_hook_keeps_its_keyword_only_signature(name):
    signature = inspect.signature(getattr(FSMAdminMixin, name))
    parameters = list(signature.parameters.values())
    keyword_only = [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]
    others = [p.name for p in parameters if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    assert (others, keyword_only) == (["self"], OVERRIDDEN_SIGNATURES[name]), (
        f"django-fsm-2 {FSM_VERSION} changed FSMAdminMixin.{name}{signature}; "
        f"django_catalog's admin overrides or calls it as "
        f"(self, *, {', '.join(OVERRIDDEN_SIGNATURES[name])})."
    )


def test_apply_fsm_transition_kwargs_stay_optional():
    kwargs = inspect.signature(FSMAdminMixin._apply_fsm_transition).parameters["kwargs"]
    assert kwargs.default is None, (
        f"django-fsm-2 {FSM_VERSION}: FSMAdminMixin._apply_fsm_transition's kwargs is no "
        f"longer optional (default {kwargs.default!r}); django_catalog's override assumes it is."
    )


@pytest.mark.parametrize("hook", ["_apply_fsm_transition", "_get_fsm_extra_context"])
def test_admin_still_calls_the_hook_django_catalog_overrides(hook):
    source = inspect.getsource(FSMAdminMixin)
    assert f"self.{hook}(" in source, (
        f"django-fsm-2 {FSM_VERSION}: FSMAdminMixin no longer calls self.{hook}(), so "
        f"django_catalog's override of it is silently bypassed."
    )


def test_concurrency_mixin_still_keeps_the_loaded_state_where_loaded_state_reads_it():
    # StateMachineMixin.loaded_state reads the state the next save() is conditioned on; a
    # frozen basket's request fields are checked only when it was not loaded as a draft.
    basket = Basket()
    assert basket.__dict__.get("_ConcurrentTransitionMixin__initial_states") == {
        "status": "draft"
    }, (
        f"django-fsm-2 {FSM_VERSION}: ConcurrentTransitionMixin no longer keeps the loaded "
        f"states in __initial_states, which StateMachineMixin.loaded_state reads."
    )
    assert basket.loaded_state("status") == "draft"
