"""Write workflows. Each service owns its transaction, locks the row it changes and reads the
state from the locked row (never from the caller's possibly stale object), then delegates the
state change to the model's transition. The services that run a transition open their
transaction with :func:`~django_catalog.fsm.owned_transaction`: they let every failure out,
so the transition needs no savepoint of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, TransitionNotAllowed

from .exceptions import (
    BasketAlreadyCommittedError,
    BasketCancelledError,
    BasketEmptyError,
    BasketItemNotFoundError,
    BasketNotCommittedError,
    BasketNotFoundError,
    ExpiredLotError,
    IdempotencyKeyConflictError,
    IdempotencyKeyRetiredError,
    ItemNotAvailableError,
    NotFoundError,
    OverDispenseError,
    WorkItemNotFoundError,
    WorkItemStateError,
)
from .fsm import owned_transaction
from .models import Basket, BasketItem, CatalogItem, DispenseLog, WorkItem
from .models.basket import HAS_LINES_ANNOTATION, live_lines_exist
from .models.events import record_item_dispensed
from .signals import announce_dispensed_on_commit
from .states import BasketStatus, WorkItemStatus
from .validation import (
    clean_block_reason,
    clean_date,
    clean_metadata,
    clean_price,
    clean_quantity,
    clean_text,
    normalize_work_plan,
    object_id_text,
)

_M = TypeVar("_M", bound=models.Model)


def _lock(
    instance: _M, missing: Callable[[Any, datetime | None], NotFoundError], **reads: Any
) -> _M:
    """Re-read ``instance``'s row with ``SELECT ... FOR UPDATE`` (call inside a transaction).

    A row that was soft-deleted or no longer exists raises ``missing(pk, deleted_at)``.
    ``reads`` are annotations read by the same statement (no round trip of their own).
    """
    model = type(instance)
    rows = model._base_manager.select_for_update().annotate(**reads)
    locked = rows.filter(pk=instance.pk).first()
    if locked is None:
        raise missing(instance.pk, None)
    deleted_at = getattr(locked, "deleted_at", None)
    if deleted_at is not None:
        raise missing(instance.pk, deleted_at)
    return locked


# The catalog item's columns add_item reads.
_CATALOG_ITEM_SNAPSHOT = (
    "id",
    "deleted_at",
    "unit_price",
    "currency",
    "is_available",
    "available_from",
    "available_to",
)


def _hold_catalog_item(item_pk: Any) -> CatalogItem | None:
    """Read the catalog item's current row and keep it from being deleted until COMMIT.

    On PostgreSQL the read takes ``FOR KEY SHARE``: the lock the line's foreign key would
    take, but taken now, so a concurrent hard delete either finished first (the item reads
    as missing) or waits for this transaction, instead of failing it at COMMIT. Edits of
    the item and other baskets ordering it are not blocked. None if no such row exists.
    """
    rows = CatalogItem._base_manager.filter(pk=item_pk).only(*_CATALOG_ITEM_SNAPSHOT)
    connection = transaction.get_connection(rows.db)
    if connection.vendor != "postgresql":
        return rows.first()
    sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    return next(iter(CatalogItem._base_manager.raw(f"{sql} FOR KEY SHARE", params)), None)


def _adopt(caller: _M, locked: _M) -> _M:
    """Bring the caller's object up to date with the row the service just wrote.

    The locked copy already holds exactly what was written, so its field values are copied
    over instead of read back (no query); cached relations are dropped as
    ``refresh_from_db()`` would drop them.
    """
    if caller is locked:
        return caller
    for field in caller._meta.concrete_fields:
        # Through __dict__: a protected FSM field refuses attribute assignment.
        caller.__dict__[field.attname] = locked.__dict__[field.attname]
    caller._state.db = locked._state.db
    caller._state.adding = False
    caller._state.fields_cache.clear()
    caller.__dict__.pop("_prefetched_objects_cache", None)
    if isinstance(caller, ConcurrentTransitionMixin):
        # The optimistic-lock check of its next save() must compare against the new state.
        caller._update_initial_state()
    return caller


def _refuse_unless_draft(basket: Basket) -> None:
    if basket.status == BasketStatus.COMMITTED:
        raise BasketAlreadyCommittedError(basket.pk)
    if basket.status == BasketStatus.CANCELLED:
        raise BasketCancelledError(basket.pk)


def create_basket(
    context: models.Model | None = None,
    idempotency_key: str | None = None,
    notes: str = "",
    metadata: dict[str, Any] | None = None,
) -> Basket:
    """Create a draft basket, or return the one already created with ``idempotency_key``.

    Safe under concurrent calls with the same key: exactly one basket is stored and every
    caller gets it. A replay must carry the same context, notes and metadata; otherwise
    :class:`IdempotencyKeyConflictError` is raised. A key whose basket was deleted raises
    :class:`IdempotencyKeyRetiredError` (a deleted basket is never handed back). An empty key
    means "no key".
    """
    metadata = clean_metadata(metadata)
    notes = clean_text(notes, "notes")
    idempotency_key = clean_text(
        idempotency_key, "idempotency_key", Basket._meta.get_field("idempotency_key").max_length
    )
    if context is not None and context.pk is None:
        raise ValueError("context must be a saved model instance")
    idempotency_key = idempotency_key or None

    candidate = Basket(
        context=context, idempotency_key=idempotency_key, notes=notes, metadata=metadata
    )
    candidate.context_id = object_id_text(candidate.context_id)
    if idempotency_key is None:
        candidate.save()
        return candidate

    existing = Basket.all_objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        existing = _insert_or_find_key_owner(candidate)
        if existing is None:
            return candidate
    if existing.is_deleted:
        raise IdempotencyKeyRetiredError(idempotency_key, existing.pk)
    _check_replay(existing, candidate)
    return existing


def _insert_or_find_key_owner(candidate: Basket) -> Basket | None:
    """INSERT ``candidate``; if a racing caller took its idempotency key first, return theirs.

    A plain INSERT is one statement. Inside the caller's transaction it runs in a savepoint,
    so that losing the race leaves that transaction usable.
    """
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                candidate.save(force_insert=True)
        else:
            candidate.save(force_insert=True)
    except IntegrityError:
        owner = Basket.all_objects.filter(idempotency_key=candidate.idempotency_key).first()
        if owner is None:
            raise
        return owner
    return None


def _check_replay(existing: Basket, candidate: Basket) -> None:
    differs = [
        name
        for name, mine, theirs in (
            (
                "context",
                (candidate.context_content_type_id, candidate.context_id),
                (existing.context_content_type_id, existing.context_id),
            ),
            ("notes", candidate.notes, existing.notes),
            ("metadata", candidate.metadata, existing.metadata),
        )
        if mine != theirs
    ]
    if differs:
        raise IdempotencyKeyConflictError(existing.idempotency_key or "", existing.pk, differs)


def add_item(
    basket: Basket,
    catalog_item: CatalogItem,
    quantity: int | Decimal | str = 1,
    unit_price: int | Decimal | str | None = None,
    instructions: str = "",
    metadata: dict[str, Any] | None = None,
) -> BasketItem:
    """Add a line to a draft basket, snapshotting the catalog price unless ``unit_price`` is given.

    Locks the basket so a line can never slip into a basket that is being committed.

    Raises:
        BasketNotFoundError: the basket was deleted.
        BasketAlreadyCommittedError / BasketCancelledError: the basket is no longer a draft.
        ItemNotAvailableError: the item is unavailable, outside its window, or deleted (also
            when a hard delete of the item races this call).
        ValidationError: a bad quantity or price (nothing is written).
    """
    quantity = clean_quantity(quantity, BasketItem._meta.get_field("quantity"))
    unit_price = clean_price(unit_price, BasketItem._meta.get_field("unit_price"))
    instructions = clean_text(instructions, "instructions")
    metadata = clean_metadata(metadata)
    with transaction.atomic():
        locked = _lock(basket, BasketNotFoundError)
        _refuse_unless_draft(locked)
        item = _hold_catalog_item(catalog_item.pk)
        if item is None or item.is_deleted:
            raise ItemNotAvailableError(catalog_item.pk, "Item has been removed from the catalog")
        if not item.is_available:
            raise ItemNotAvailableError(item.pk, "Item is not available")
        if not item.is_available_at():
            raise ItemNotAvailableError(item.pk, "Item is outside its availability window")
        return BasketItem.objects.create(
            basket=locked,
            catalog_item=item,
            quantity=quantity,
            unit_price=item.unit_price if unit_price is None else unit_price,
            currency=item.currency,
            instructions=instructions,
            metadata=metadata,
        )


def commit_basket(
    basket: Basket,
    committed_by: Any = None,
    spawn_work: bool = True,
    work_types: Iterable[str] | Mapping[Any, Iterable[str]] | None = None,
) -> Basket:
    """Commit a draft basket and spawn one work item per (line, work type).

    Which work each line spawns, with ``spawn_work`` (no work at all without it):

    * ``work_types=None``: its catalog item's ``work_types`` (an item without any spawns
      nothing);
    * a list of names: that list, for every line;
    * a mapping ``{line or line id: [names]}``: the listed lines get their own list (``[]``
      for none), the others their item's defaults.

    Idempotent: a committed basket is returned unchanged (no audit row, no new work).
    Concurrent calls commit exactly once; every caller gets the committed basket.

    Raises (each before anything is written):
        BasketNotFoundError: the basket was deleted.
        BasketEmptyError: the basket has no lines.
        BasketCancelledError: the basket was cancelled.
        UnknownBasketLineError: the mapping names a line the basket does not hold.
        ValueError: malformed ``work_types``.
    """
    plan = normalize_work_plan(work_types, BasketItem._meta.pk.to_python) if spawn_work else []
    with owned_transaction():
        # The lock statement also reads the "has lines" guard, which the transition then
        # takes from the locked row. A line added while the lock was awaited can be missed:
        # the commit is then refused as empty, as if it had run first.
        locked = _lock(basket, BasketNotFoundError, **{HAS_LINES_ANNOTATION: live_lines_exist()})
        if locked.status == BasketStatus.COMMITTED:
            return _adopt(basket, locked)
        _refuse_unless_draft(locked)
        try:
            locked.commit(by=committed_by, work_types=plan)
        except TransitionNotAllowed:
            # Draft is checked above, so the only refusal left is the "has lines" guard.
            raise BasketEmptyError(locked.pk) from None
    return _adopt(basket, locked)


def cancel_basket(basket: Basket, *, by: Any = None, description: str | None = None) -> Basket:
    """Cancel a draft basket. Cancelling a cancelled basket returns it unchanged.

    Raises:
        BasketNotFoundError: the basket was deleted.
        BasketAlreadyCommittedError: the basket was committed (it can no longer be cancelled).
    """
    description = clean_text(description, "description")
    with owned_transaction():
        locked = _lock(basket, BasketNotFoundError)
        if locked.status == BasketStatus.CANCELLED:
            return _adopt(basket, locked)
        _refuse_unless_draft(locked)
        locked.cancel(by=by, description=description)
    return _adopt(basket, locked)


# --- work items ---------------------------------------------------------------------------


def _transition_work_item(
    work_item: WorkItem,
    action: str,
    run: Callable[[WorkItem], object],
    already_done: str | None = None,
) -> WorkItem:
    """Lock the row, refuse by its locked state, run the transition, refresh the caller's copy.

    ``already_done`` names the state in which the call is a replay: the item is returned
    unchanged (no audit row, no signal). A deleted work item raises
    :class:`WorkItemNotFoundError` in every one of the five services.
    """
    with owned_transaction():
        locked = _lock(work_item, WorkItemNotFoundError)
        if already_done is not None and locked.status == already_done:
            return _adopt(work_item, locked)
        try:
            run(locked)
        except TransitionNotAllowed:
            raise WorkItemStateError(locked.pk, locked.status, action) from None
    return _adopt(work_item, locked)


def start_work_item(work_item: WorkItem, *, by: Any = None) -> WorkItem:
    """Start pending work: assigns ``by`` (when given) and records them as the actor.

    Raises:
        WorkItemStateError: the work item is not pending.
    """
    return _transition_work_item(work_item, "start", lambda locked: locked.start(by, by=by))


def complete_work_item(work_item: WorkItem, *, by: Any = None) -> WorkItem:
    """Complete work in progress. Completing completed work returns it unchanged.

    Raises:
        WorkItemStateError: the work item is pending, blocked or cancelled.
    """
    return _transition_work_item(
        work_item,
        "complete",
        lambda locked: locked.complete(by=by),
        already_done=WorkItemStatus.COMPLETED,
    )


def block_work_item(work_item: WorkItem, reason: str, *, by: Any = None) -> WorkItem:
    """Put pending or in-progress work on hold; ``reason`` is required and audited.

    Raises:
        ValueError: ``reason`` is missing or blank (nothing is written).
        WorkItemStateError: the work item is already blocked, completed or cancelled.
    """
    reason = clean_block_reason(reason)
    return _transition_work_item(work_item, "block", lambda locked: locked.block(reason, by=by))


def unblock_work_item(work_item: WorkItem, *, by: Any = None) -> WorkItem:
    """Resume blocked work in the state it was blocked from (pending or in progress).

    Raises:
        WorkItemStateError: the work item is not blocked.
    """
    return _transition_work_item(work_item, "unblock", lambda locked: locked.unblock(by=by))


def cancel_work_item(work_item: WorkItem, reason: str = "", *, by: Any = None) -> WorkItem:
    """Cancel work that is not finished; ``reason`` (optional) is audited.

    Cancelling cancelled work returns it unchanged.

    Raises:
        WorkItemStateError: the work item is completed.
    """
    reason = clean_text(reason, "reason")
    return _transition_work_item(
        work_item,
        "cancel",
        lambda locked: locked.cancel(reason, by=by),
        already_done=WorkItemStatus.CANCELLED,
    )


# --- dispensing ----------------------------------------------------------------------------


def dispense(
    basket_item: BasketItem,
    quantity: int | Decimal | str,
    *,
    dispensed_by: Any = None,
    lot_number: str = "",
    expiry_date: date | str | None = None,
    notes: str = "",
    metadata: dict[str, Any] | None = None,
) -> DispenseLog:
    """Hand out ``quantity`` of a committed basket's line and record it.

    The line's row is locked while the remaining quantity is checked and the log written, so
    concurrent dispensers of one line are serialised and together never exceed its quantity.
    Records an ``item.dispensed`` event with the log, and sends
    :data:`~django_catalog.signals.item_dispensed` once the transaction commits.

    Raises (each before anything is written):
        BasketItemNotFoundError: the line was deleted.
        BasketNotCommittedError: the line's basket is a draft or cancelled.
        ExpiredLotError: ``expiry_date`` is before today (``timezone.localdate()``).
        OverDispenseError: ``quantity`` exceeds what remains of the line.
        ValidationError / ValueError: a bad quantity, lot number, expiry date or metadata.
    """
    quantity = clean_quantity(
        quantity, DispenseLog._meta.get_field("quantity_dispensed"), name="quantity"
    )
    metadata = clean_metadata(metadata)
    lot_number = clean_text(
        lot_number, "lot_number", DispenseLog._meta.get_field("lot_number").max_length
    )
    log = DispenseLog(
        quantity_dispensed=quantity,
        dispensed_by=dispensed_by,
        lot_number=lot_number,
        expiry_date=clean_date(expiry_date, "expiry_date"),
        notes=clean_text(notes, "notes"),
        metadata=metadata,
    )
    # Field checks (lot number length, a parseable expiry date) without touching the database.
    log.full_clean(
        exclude=["basket_item", "dispensed_by"], validate_unique=False, validate_constraints=False
    )
    with transaction.atomic():
        line = _lock(basket_item, BasketItemNotFoundError)
        status = Basket.all_objects.values_list("status", flat=True).get(pk=line.basket_id)
        if status != BasketStatus.COMMITTED:
            raise BasketNotCommittedError(line.pk, line.basket_id, status)
        if log.expiry_date is not None and log.expiry_date < timezone.localdate():
            raise ExpiredLotError(line.pk, log.lot_number, log.expiry_date)
        remaining = line.quantity_remaining
        if quantity > remaining:
            raise OverDispenseError(line.pk, requested=quantity, remaining=remaining)
        log.basket_item = line
        log.save()
        record_item_dispensed(log, remaining=remaining - quantity)
        announce_dispensed_on_commit(log)
    return log


__all__ = [
    "add_item",
    "block_work_item",
    "cancel_basket",
    "cancel_work_item",
    "commit_basket",
    "complete_work_item",
    "create_basket",
    "dispense",
    "start_work_item",
    "unblock_work_item",
]
