"""The clinic's event handlers: what the catalog's events feed (see CATALOG_EVENT_HANDLERS).

Both run in this process, after the commit (no TASKS setting: Django's immediate backend).
They use only the event's payload, as a system on another machine would.
"""

from __future__ import annotations

from typing import Any

from clinic.models import Visit


def send_order_to_lab(event: Any) -> None:
    """The lab interface: receives each committed order."""
    visit = Visit.objects.get(pk=event.payload["context"]["id"])
    print(
        f"Lab interface received order {event.payload['basket'][:8]} for {visit}: "
        f"{event.payload['work_items_created']} work items (event {str(event.id)[:8]})"
    )


#: Events billing has already failed once on: it times out on the first try of each.
_timed_out: set[str] = set()


class BillingTimeout(Exception):
    """The billing system did not answer in time."""


def charge_order(event: Any) -> None:
    """Billing: flaky, it fails on the first attempt of every event and succeeds on the next."""
    if str(event.id) not in _timed_out:
        _timed_out.add(str(event.id))
        print(f"Billing timed out on order {event.payload['basket'][:8]}; it will be retried")
        raise BillingTimeout("billing did not answer within 5 s")
    print(f"Billing charged order {event.payload['basket'][:8]} (event {str(event.id)[:8]})")
