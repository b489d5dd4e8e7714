"""Domain signals: hooks for the host project, sent once the catalog's work is durable.

Every signal is sent only after the transaction that did the work commits
(``transaction.on_commit``). None is sent for work that was rolled back, nor for a
replayed call that changed nothing (an idempotent no-op such as committing a committed
basket). Receivers therefore always see committed rows and may enqueue jobs, send mail or
notify other systems. Outside any transaction the work commits at once, and so does the send.

The basket and work-item signals come from the model transitions themselves
(:func:`django_catalog.fsm.catalog_transition`), so calling ``basket.commit()`` or
``work_item.block(...)`` directly sends them just as the services do.

Signals are sent with ``send_robust``: a receiver that raises does not undo the work (it is
already committed), does not reach the caller and does not stop the other receivers; Django
logs the error on the ``django.dispatch`` logger.

Signals and their keyword arguments (``sender`` is always the model class):

``basket_committed(basket, work_items)``
    ``basket`` is the committed :class:`~django_catalog.models.Basket`; ``work_items`` a lazy
    queryset of the basket's :class:`~django_catalog.models.WorkItem` rows: those this commit
    spawned, plus any created for its lines before the commit (none, unless your code made
    them). The commit inserts work in one statement without loading it; iterating the queryset
    is one query, paid only by receivers that use it.

``basket_cancelled(basket)``
    ``basket`` is the cancelled :class:`~django_catalog.models.Basket`.

``work_item_status_changed(work_item, source, target, by)``
    Sent for every work-item transition (start, complete, block, unblock, cancel).
    ``work_item`` is the :class:`~django_catalog.models.WorkItem`; ``source`` and ``target``
    are the :class:`~django_catalog.models.WorkItemStatus` values it moved between; ``by`` is
    the actor recorded on the audit row (a user, or ``None``).

``item_dispensed(dispense_log)``
    ``dispense_log`` is the new :class:`~django_catalog.models.DispenseLog`; its
    ``basket_item`` is the line that was dispensed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.dispatch import Signal

if TYPE_CHECKING:
    from django.db.models import Model

    from .fsm import CompletedTransition

#: A basket was committed. Arguments: ``basket``, ``work_items``.
basket_committed = Signal()
#: A draft basket was cancelled. Arguments: ``basket``.
basket_cancelled = Signal()
#: A work item changed status. Arguments: ``work_item``, ``source``, ``target``, ``by``.
work_item_status_changed = Signal()
#: A quantity of a line was handed out. Arguments: ``dispense_log``.
item_dispensed = Signal()


def _send(signal: Signal, sender: type[Any], **arguments: Any) -> None:
    """Send to every receiver; what one raises is logged by Django, not raised here."""
    signal.send_robust(sender=sender, **arguments)


def announce_basket_committed(change: CompletedTransition) -> None:
    """``on_commit`` hook of ``Basket.commit``: send :data:`basket_committed`."""
    basket = change.instance
    _send(basket_committed, type(basket), basket=basket, work_items=basket.work_items())


def announce_basket_cancelled(change: CompletedTransition) -> None:
    """``on_commit`` hook of ``Basket.cancel``: send :data:`basket_cancelled`."""
    _send(basket_cancelled, type(change.instance), basket=change.instance)


def announce_work_item_status_changed(change: CompletedTransition) -> None:
    """``on_commit`` hook of every work-item transition: send :data:`work_item_status_changed`."""
    _send(
        work_item_status_changed,
        type(change.instance),
        work_item=change.instance,
        source=change.source,
        target=change.target,
        by=change.by,
    )


def announce_dispensed_on_commit(dispense_log: Model) -> None:
    """Send :data:`item_dispensed` once the current transaction commits."""

    def announce() -> None:
        _send(item_dispensed, type(dispense_log), dispense_log=dispense_log)

    transaction.on_commit(announce, using=dispense_log._state.db)


__all__ = [
    "basket_cancelled",
    "basket_committed",
    "item_dispensed",
    "work_item_status_changed",
]
