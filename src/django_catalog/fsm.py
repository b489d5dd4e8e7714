"""How the catalog declares, persists and audits its state transitions.

A catalog transition is a django-fsm-2 ``@transition`` that also:

* persists itself: the new state, the method's side effects and the audit row
  are written in one ``transaction.atomic()`` block, or not at all; on failure
  (COMMIT included, when the transition's block is the outermost one) the instance's
  in-memory fields are put back as they were, and so is the state
  ``ConcurrentTransitionMixin`` compares against, so the same call can be retried
  (inside a block opened with :func:`owned_transaction`, the transition adds no
  savepoint of its own);
* writes only what it changed: the state field, the fields the method's body changed
  and the fields stamped on every save (``auto_now``), never the rest of a possibly
  stale copy (``save(update_fields=...)``);
* accepts django-fsm-log's ``by=`` and ``description=`` keywords (through its
  ``fsm_log_by`` / ``fsm_log_description`` decorators);
* leaves one audit row, written by the receiver :func:`transition_recorder` makes for
  django-fsm's ``post_transition`` signal (the app connects it to its ``CatalogStateLog``);
* optionally runs a ``record`` hook with the :class:`CompletedTransition` inside that same
  transaction, right after the save, so what it writes exists exactly when the transition
  does (this is how the catalog records its events for other systems);
* optionally runs an ``on_commit`` hook with the :class:`CompletedTransition` once the
  surrounding transaction commits (never if it rolls back): this is how the domain
  signals of :mod:`django_catalog.signals` reach the host project.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial, wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_fsm import (
    ConcurrentTransitionMixin,
    FSMField,
    FSMFieldDescriptor,
    FSMModelMixin,
    transition,
)
from django_fsm_log.decorators import fsm_log_by, fsm_log_description
from django_fsm_log.helpers import FSMLogDescriptor

if TYPE_CHECKING:
    from django.db import models

_F = TypeVar("_F", bound=Callable[..., Any])

LOG_ATTRIBUTES = ("by", "description")


# Instances this thread is refreshing right now (by id): a refresh may reload their state.
_refreshing = threading.local()


def _being_refreshed() -> set[int]:
    ids: set[int] | None = getattr(_refreshing, "ids", None)
    if ids is None:
        ids = _refreshing.ids = set()
    return ids


class _StateDescriptor(FSMFieldDescriptor):
    """django-fsm's descriptor, except that an instance being refreshed may reload its state."""

    def __set__(self, instance: Any, value: Any) -> None:
        if id(instance) in _being_refreshed():
            self.field.set_proxy(instance, value)
            self.field.set_state(instance, value)
        else:
            super().__set__(instance, value)


class StateField(FSMField):
    """An ``FSMField`` whose protection is lifted for one instance at a time.

    django-fsm-2 reloads a protected field by switching ``protected`` off on the field
    object, which every instance in every thread shares; two threads refreshing at once
    then trip each other ("Direct status modification is not allowed"). Here the
    exemption holds only for the instance being refreshed, and only in the thread
    refreshing it, so nothing shared changes.
    """

    descriptor_class = _StateDescriptor


class StateMachineMixin(ConcurrentTransitionMixin):
    """For models whose status is a protected :class:`StateField`.

    From django-fsm: a stale copy cannot save over a newer state (``ConcurrentTransition``).
    Added here: ``refresh_from_db()`` reloads the protected state safely under concurrency
    (see :class:`StateField`), and ``full_clean()`` works: Django's ``clean_fields()``
    re-assigns every field, which a protected field refuses; its value is only ever set by
    transitions, so it is left out of cleaning.
    """

    def clean_fields(self, exclude: Any = None) -> None:
        protected = self._get_protected_fsm_fields()
        super().clean_fields(exclude={*(exclude or ()), *protected})

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        ids = _being_refreshed()
        nested = id(self) in ids  # a deferred field loaded during a refresh
        ids.add(id(self))
        try:
            # Past FSMModelMixin, whose shared on/off switch this replaces.
            super(FSMModelMixin, self).refresh_from_db(*args, **kwargs)
        finally:
            if not nested:
                ids.discard(id(self))
        self._update_initial_state()

    def loaded_state(self, field_name: str) -> Any:
        """The state ``field_name`` held when this copy was loaded (or last saved).

        django-fsm's ``ConcurrentTransitionMixin`` makes the next ``save()`` update the row
        only while the row still holds this state, so a rule that depends on the stored state
        can rely on it instead of reading the row again.
        """
        attname = next(
            field.attname for field in self._meta.concrete_fields if field.name == field_name
        )
        return self._ConcurrentTransitionMixin__initial_states[attname]  # type: ignore[attr-defined]


# The atomic blocks this thread entered through owned_transaction() and has not left.
_owned = threading.local()


def _owned_blocks() -> list[Any]:
    blocks: list[Any] | None = getattr(_owned, "blocks", None)
    if blocks is None:
        blocks = _owned.blocks = []
    return blocks


@contextmanager
def owned_transaction(using: str | None = None) -> Iterator[None]:
    """``transaction.atomic()`` for code that lets every exception leave the block.

    Meant for the services: they lock a row, call one transition and let any failure out
    (possibly as another exception). A transition called directly inside such a block
    writes without a savepoint of its own, saving two statements: whatever fails, the
    whole block rolls back anyway. Anywhere else (inside a block of the caller's own, or
    outside any) a transition keeps its savepoint, so that catching its failure leaves the
    surrounding transaction usable.
    """
    with transaction.atomic(using=using):
        block = transaction.get_connection(using).atomic_blocks[-1]
        owned = _owned_blocks()
        owned.append(block)
        try:
            yield
        finally:
            owned.pop()


def _directly_inside_owned_block(using: str | None) -> bool:
    """Is the innermost atomic block on ``using`` one that owned_transaction() opened?"""
    blocks = transaction.get_connection(using).atomic_blocks
    return bool(blocks) and any(blocks[-1] is owned for owned in _owned_blocks())


@dataclass(frozen=True)
class CompletedTransition:
    """A transition that was persisted, as handed to its ``record`` and ``on_commit`` hooks."""

    instance: Any
    name: str
    source: Any
    target: Any
    #: The actor recorded on the audit row.
    by: Any
    #: What the transition method returned.
    result: Any
    #: Why, as recorded on the audit row (``None`` when no reason was given).
    description: Any = None


def catalog_transition(
    *,
    field: Any,
    source: Any,
    target: Any,
    conditions: Sequence[Callable[[Any], bool]] = (),
    permission: str | Callable[..., bool] | None = None,
    custom: dict[str, Any] | None = None,
    record: Callable[[CompletedTransition], None] | None = None,
    on_commit: Callable[[CompletedTransition], None] | None = None,
) -> Callable[[_F], _F]:
    """Declare an audited transition that persists itself atomically.

    Takes django-fsm-2's ``transition`` arguments (``on_error`` is deliberately not
    offered: a failed transition rolls back instead of moving to an error state).
    ``record`` is called with the :class:`CompletedTransition` inside the transition's
    transaction, after the save; if it raises, the transition rolls back.
    ``on_commit`` is called with the :class:`CompletedTransition` after the outermost
    transaction commits; it is discarded if the transition or that transaction rolls back.
    """

    def decorate(method: _F) -> _F:
        fsm_method = transition(
            field=field,
            source=list(source) if isinstance(source, (list, tuple, set)) else source,
            target=target,
            conditions=list(conditions),
            permission=permission,
            custom=custom or {},
        )(method)
        persisted = _persisted(fsm_method, record, on_commit)
        return fsm_log_by(fsm_log_description(persisted))

    return decorate


def _persisted(
    fsm_method: Callable[..., Any],
    record: Callable[[CompletedTransition], None] | None,
    on_commit: Callable[[CompletedTransition], None] | None,
) -> Callable[..., Any]:
    state_field = fsm_method._django_fsm.field  # type: ignore[attr-defined]

    @wraps(fsm_method)
    def run(instance: models.Model, *args: Any, **kwargs: Any) -> Any:
        ensure_fsm_log_ignores(type(instance))
        source_state = state_field.value_from_object(instance)
        snapshot = _snapshot(instance)
        using = instance._state.db
        savepoint = not _directly_inside_owned_block(using)
        try:
            with transaction.atomic(using=using, savepoint=savepoint):
                result = fsm_method(instance, *args, **kwargs)
                instance.save(update_fields=_changed_fields(instance, snapshot, state_field))
                change = CompletedTransition(
                    instance=instance,
                    name=fsm_method.__name__,
                    source=source_state,
                    target=state_field.value_from_object(instance),
                    by=_log_value(instance, "by"),
                    result=result,
                    description=_log_value(instance, "description"),
                )
                if record is not None:
                    record(change)
                if on_commit is not None:
                    # Registered inside the atomic block: a rollback anywhere discards it.
                    transaction.on_commit(partial(on_commit, change), using=using)
        except BaseException:
            _restore(instance, snapshot)
            raise
        finally:
            for attribute in LOG_ATTRIBUTES:
                FSMLogDescriptor(instance, attribute).__exit__()
        return result

    return run


def _snapshot(instance: models.Model) -> tuple[dict[str, Any], dict[str, Any]]:
    """The loaded field values and cached relations, to put back if the transition fails.

    Values are copied, so a body that changes a mutable value in place (a JSON dict) is
    seen as a change and undone on failure.
    """
    attnames = [f.attname for f in instance._meta.concrete_fields]
    values = {name: instance.__dict__[name] for name in attnames if name in instance.__dict__}
    return copy.deepcopy(values), dict(instance._state.fields_cache)


def _changed_fields(
    instance: models.Model, snapshot: tuple[dict[str, Any], dict[str, Any]], state_field: Any
) -> list[str]:
    """What the transition writes: its state field, what the body changed, ``auto_now`` stamps.

    Everything else stays as the database has it, so a transition on a copy loaded before
    someone else's edit (or soft delete) does not write the old values back.
    """
    values, _ = snapshot
    missing = object()
    changed = {state_field.name}
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.attname not in instance.__dict__:
            continue
        stamped = getattr(field, "auto_now", False)
        if stamped or values.get(field.attname, missing) != instance.__dict__[field.attname]:
            changed.add(field.name)
    return sorted(changed)


def _restore(instance: models.Model, snapshot: tuple[dict[str, Any], dict[str, Any]]) -> None:
    values, relations = snapshot
    for field in instance._meta.concrete_fields:
        if field.attname in values:
            instance.__dict__[field.attname] = values[field.attname]
        else:  # was deferred: leave it to be loaded again
            instance.__dict__.pop(field.attname, None)
    instance._state.fields_cache = relations
    if isinstance(instance, ConcurrentTransitionMixin):
        # Its save() already recorded the new state as "loaded"; the row still holds the
        # state put back above (the write was rolled back), so compare against that again.
        instance._update_initial_state()


def set_transition_actor(instance: models.Model, user: Any) -> None:
    """Record ``user`` as the audit row's ``by`` for the transition now running."""
    FSMLogDescriptor(instance, "by", user)


def set_transition_description(instance: models.Model, description: str) -> None:
    """Record why the transition now running happens (the audit row's ``description``)."""
    FSMLogDescriptor(instance, "description", description)


def _log_value(instance: models.Model, attribute: str) -> Any:
    try:
        return FSMLogDescriptor(instance, attribute).get()
    except AttributeError:
        return None


def transition_recorder(log_model: type[models.Model]) -> Callable[..., None]:
    """A ``post_transition`` receiver that writes one ``log_model`` row per transition.

    ``log_model`` has django-fsm-log's ``StateLog`` fields (``content_object``,
    ``transition``, ``source_state``, ``state``, ``by``, ``description``). The row is written
    inside the transition's transaction, so it exists exactly when the transition does.
    """

    def record_transition(
        sender: type[models.Model],
        instance: models.Model,
        name: str,
        source: Any,
        target: Any,
        **kwargs: Any,
    ) -> None:
        if target is None:
            return
        log_model._default_manager.using(instance._state.db).create(
            content_object=instance,
            transition=name,
            source_state=source,
            state=target,
            by=_log_value(instance, "by"),
            description=_log_value(instance, "description") or "",
        )

    return record_transition


def fsm_log_qualified_name(model: type[models.Model]) -> str:
    """The name django-fsm-log matches against ``DJANGO_FSM_LOG_IGNORED_MODELS``."""
    return f"{model.__module__}.{model.__qualname__}"


def missing_fsm_log_ignores(models_: Sequence[type[models.Model]]) -> list[str]:
    """Catalog models that django-fsm-log would still try to log into its own ``StateLog``.

    Its ``StateLog.object_id`` is an integer and cannot hold the catalog's UUID keys,
    so those models must be listed in ``DJANGO_FSM_LOG_IGNORED_MODELS``.
    """
    if not apps.is_installed("django_fsm_log"):
        return []
    ignored = set(getattr(settings, "DJANGO_FSM_LOG_IGNORED_MODELS", ()))
    return [name for name in map(fsm_log_qualified_name, models_) if name not in ignored]


def ensure_fsm_log_ignores(model: type[models.Model]) -> None:
    """Refuse to start a transition that django-fsm-log would crash on half-way."""
    missing = missing_fsm_log_ignores([model])
    if missing:
        raise ImproperlyConfigured(
            f"DJANGO_FSM_LOG_IGNORED_MODELS must list {missing[0]!r}: django-fsm-log's StateLog "
            "cannot store UUID keys; the catalog keeps its own audit log (CatalogStateLog)."
        )
