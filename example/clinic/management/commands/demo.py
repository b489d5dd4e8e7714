"""``manage.py demo``: the README's quick start, end to end, on the demo clinic.

Migrates, seeds a small catalog whose items name their work, orders for a visit, commits (each
line spawning its item's work), works on some of it, dispenses the medicine, and prints the
basket, the work board and the audit trail.
Every step is idempotent (natural keys and the basket's idempotency key), so running it
again changes nothing and prints the same story.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from clinic.models import Organization, Visit
from django_catalog import (
    Basket,
    BasketItem,
    CatalogItem,
    CatalogStateLog,
    DispenseLog,
    WorkItem,
    WorkItemStatus,
    add_item,
    commit_basket,
    create_basket,
    dispense,
)
from django_catalog.diagrams import write_diagrams
from django_catalog.events import EventDelivery, deliver_due
from django_catalog.services import block_work_item, complete_work_item, start_work_item

# code: (name, category, unit price, the work a line of it spawns, metadata)
CATALOG = {
    "LAB-001": (
        "Complete blood count",
        "laboratory",
        "25.00",
        ["collect", "process", "report"],
        {},
    ),
    "LAB-002": ("Lipid panel", "laboratory", "40.00", ["collect", "process", "report"], {}),
    "IMG-001": ("Chest X-ray", "imaging", "120.00", ["acquire", "report"], {}),
    "MED-001": (
        "Amoxicillin 500 mg capsule",
        "pharmacy",
        "0.80",
        ["dispense"],
        # Stock on hand by lot; the demo dispenses the lot that expires first (FEFO).
        {
            "lots": [
                {"lot": "AMX-2291", "on_hand": 14, "expires_in_days": 45},
                {"lot": "AMX-2304", "on_hand": 200, "expires_in_days": 400},
            ]
        },
    ),
}


class Command(BaseCommand):
    help = "Run the django-catalog demo: seed, order, commit, work, dispense, and print it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--diagrams",
            default="diagrams",
            help="Folder to render the state diagrams into (default: ./diagrams).",
        )

    def handle(self, *args: Any, diagrams: str, **options: Any) -> None:
        call_command("migrate", verbosity=0)
        self.say(f"Database: {connection.settings_dict['NAME']} (migrated)")

        clinic, staff, items = self.seed()
        visit, _ = Visit.objects.get_or_create(
            reference="V-1042", defaults={"organization": clinic, "patient": "Ada Lovelace"}
        )
        basket = self.order(visit, items, ordered_by=staff["nurse"])
        self.retry_deliveries()
        self.work(basket, staff)
        self.dispense_medicine(basket, items["MED-001"], pharmacist=staff["pharmacist"])
        self.draft_for_the_admin(clinic, items)

        self.print_basket(basket)
        self.print_work_board(basket)
        self.print_audit_trail(basket)
        self.print_event_deliveries(basket)
        self.render_diagrams(Path(diagrams))

    # --- the story ---------------------------------------------------------------------------

    def seed(self) -> tuple[Organization, dict[str, Any], dict[str, CatalogItem]]:
        """The clinic, its staff and its catalog: found by natural key, created once."""
        clinic, _ = Organization.objects.get_or_create(name="Northside Clinic")
        user_model = get_user_model()
        staff = {}
        for role in ("nurse", "lab_tech", "radiographer", "pharmacist"):
            user, created = user_model.objects.get_or_create(username=f"demo-{role}")
            if created:
                user.set_unusable_password()
                user.save()
            staff[role] = user
        items = {}
        for code, (name, category, price, work_types, metadata) in CATALOG.items():
            item = CatalogItem.objects.for_owner(clinic).filter(code=code).first()
            if item is None:
                item = CatalogItem.objects.create(
                    owner=clinic,
                    code=code,
                    name=name,
                    category=category,
                    unit_price=Decimal(price),
                    work_types=work_types,
                    metadata=metadata,
                )
            items[code] = item
        self.say(f"Catalog of {clinic}:")
        for item in items.values():
            self.say(f"    {item.name}: spawns {', '.join(item.work_types)}")
        return clinic, staff, items

    def order(self, visit: Visit, items: dict[str, CatalogItem], ordered_by: Any) -> Basket:
        """Quick start: a basket for the visit, three lines, committed; each line spawns the
        work its catalog item names."""
        basket = create_basket(context=visit, idempotency_key=f"demo-{visit.reference}-orders")
        if basket.is_draft and not basket.items.exists():
            add_item(basket, items["LAB-001"], quantity=1, instructions="Fasting required")
            add_item(basket, items["IMG-001"], quantity=1)
            add_item(basket, items["MED-001"], quantity=21, instructions="1 capsule 3x daily")
        return commit_basket(basket, committed_by=ordered_by)

    def retry_deliveries(self) -> None:
        """What catalog_deliver does in production: deliver what is due (here, billing's retry)."""
        delivered = deliver_due()
        if delivered:
            self.say(f"Retried the failed deliveries: deliver_due() delivered {delivered}")

    def work(self, basket: Basket, staff: dict[str, Any]) -> None:
        """Some work is done, some is under way, one item waits for a radiologist."""
        lines = {
            line.catalog_item.code: line for line in basket.items.select_related("catalog_item")
        }
        blood, xray = lines["LAB-001"], lines["IMG-001"]
        self.advance(self.work_item(blood, "collect"), staff["lab_tech"], complete=True)
        self.advance(self.work_item(blood, "process"), staff["lab_tech"], complete=False)
        self.advance(self.work_item(xray, "acquire"), staff["radiographer"], complete=True)
        report = self.work_item(xray, "report")
        if report.status == WorkItemStatus.PENDING:
            block_work_item(
                report, "Waiting for a radiologist to read the film", by=staff["radiographer"]
            )

    def work_item(self, line: BasketItem, work_type: str) -> WorkItem:
        return WorkItem.objects.get(basket_item=line, spawn_role=work_type)

    def advance(self, work_item: WorkItem, worker: Any, *, complete: bool) -> None:
        if work_item.status == WorkItemStatus.PENDING:
            start_work_item(work_item, by=worker)
        if complete and work_item.status == WorkItemStatus.IN_PROGRESS:
            complete_work_item(work_item, by=worker)

    def dispense_medicine(self, basket: Basket, medicine: CatalogItem, pharmacist: Any) -> None:
        """Hand out what is still owed on the medicine's line, first-expiring lot first."""
        line = basket.items.get(catalog_item=medicine)
        today = timezone.localdate()
        for lot in sorted(medicine.metadata["lots"], key=lambda lot: lot["expires_in_days"]):
            from_lot = line.dispense_logs.filter(lot_number=lot["lot"])
            taken = from_lot.aggregate(total=Sum("quantity_dispensed"))["total"] or Decimal(0)
            quantity = min(line.quantity_remaining, Decimal(lot["on_hand"]) - taken)
            if quantity > 0:
                dispense(
                    line,
                    quantity,
                    dispensed_by=pharmacist,
                    lot_number=lot["lot"],
                    expiry_date=today + datetime.timedelta(days=lot["expires_in_days"]),
                )

    def draft_for_the_admin(self, clinic: Organization, items: dict[str, CatalogItem]) -> None:
        """A second visit's basket left in draft, to commit by hand in ``make serve``."""
        visit, _ = Visit.objects.get_or_create(
            reference="V-1043", defaults={"organization": clinic, "patient": "Charles Babbage"}
        )
        draft = create_basket(context=visit, idempotency_key=f"demo-{visit.reference}-orders")
        if draft.is_draft and not draft.items.exists():
            add_item(draft, items["LAB-002"], quantity=1)
            add_item(draft, items["MED-001"], quantity=14, instructions="1 capsule 2x daily")

    # --- what a user wants to see --------------------------------------------------------------

    def print_basket(self, basket: Basket) -> None:
        lines = basket.items.select_related("catalog_item").order_by("created_at")
        rows = [
            (
                line.catalog_item.code,
                line.catalog_item.name,
                _number(line.quantity),
                f"{line.unit_price:.2f}",
                str(line.line_money),
                _number(line.quantity_dispensed),
            )
            for line in lines
        ]
        self.heading(f"Basket for {basket.context} - {basket.status}")
        self.say(
            f"key {basket.idempotency_key}, committed by {basket.committed_by} "
            f"at {basket.committed_at:%Y-%m-%d %H:%M}"
        )
        self.table(["code", "item", "qty", "unit", "line total", "dispensed"], rows)
        self.say(f"Total: {basket.total()} for {len(rows)} lines")
        logs = DispenseLog.objects.filter(basket_item__basket=basket).select_related(
            "basket_item__catalog_item", "dispensed_by"
        )
        for log in logs.order_by("dispensed_at", "id"):
            self.say(
                f"Dispensed {_number(log.quantity_dispensed)} x {log.basket_item.catalog_item} "
                f"from lot {log.lot_number} (expires {log.expiry_date}) by {log.dispensed_by}"
            )

    def print_work_board(self, basket: Basket) -> None:
        self.heading("Work board")
        work = WorkItem.objects.for_basket(basket).select_related(
            "basket_item__catalog_item", "assigned_to"
        )
        for status in WorkItemStatus:
            in_status = [w for w in work if w.status == status]
            self.say(f"{status.label} ({len(in_status)})")
            for item in sorted(
                in_status, key=lambda w: (w.basket_item.catalog_item.code, w.work_type)
            ):
                who = f" - {item.assigned_to}" if item.assigned_to else ""
                self.say(f"    {item.work_type:<8} {item.basket_item.catalog_item.name}{who}")

    def print_audit_trail(self, basket: Basket) -> None:
        self.heading("Audit trail")
        work = WorkItem.objects.for_basket(basket).select_related("basket_item__catalog_item")
        names = {(Basket, str(basket.pk)): "basket"}
        names.update(
            {(WorkItem, str(w.pk)): f"{w.work_type}: {w.basket_item.catalog_item}" for w in work}
        )
        rows = []
        for model in (Basket, WorkItem):
            content_type = ContentType.objects.get_for_model(model)
            ids = [pk for (m, pk) in names if m is model]
            logs = CatalogStateLog.objects.filter(content_type=content_type, object_id__in=ids)
            rows += [(log, names[(model, log.object_id)]) for log in logs.select_related("by")]
        rows.sort(key=lambda pair: (pair[0].timestamp, pair[0].pk))
        self.table(
            ["when", "object", "transition", "from -> to", "by", "why"],
            [
                (
                    f"{log.timestamp:%Y-%m-%d %H:%M:%S}",
                    name,
                    log.transition,
                    f"{log.source_state} -> {log.state}",
                    str(log.by or "-"),
                    log.description,
                )
                for log, name in rows
            ],
        )

    def print_event_deliveries(self, basket: Basket) -> None:
        self.heading("Events for other systems")
        deliveries = EventDelivery.objects.filter(
            event__content_type=ContentType.objects.get_for_model(Basket),
            event__object_id=str(basket.pk),
        ).select_related("event")
        self.table(
            ["event", "handler", "status", "attempts", "last error"],
            [
                (
                    delivery.event.name,
                    delivery.handler.rsplit(".", 1)[-1],
                    delivery.status,
                    str(delivery.attempts),
                    delivery.last_error.strip().splitlines()[-1] if delivery.last_error else "",
                )
                for delivery in deliveries.order_by("pk")
            ],
        )

    def render_diagrams(self, folder: Path) -> None:
        """The basket's and the work item's state machines, drawn from the code."""
        self.heading("State diagrams")
        written = write_diagrams(output_dir=folder, notify=self.say)
        self.say(f"Rendered into {folder.resolve()}:")
        for path in written:
            self.say(f"    {path.name}")

    # --- output ------------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        self.stdout.write(text)

    def heading(self, text: str) -> None:
        self.say()
        self.say(self.style.MIGRATE_HEADING(text))

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        rows = [tuple(map(str, row)) for row in rows]
        widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
        for row in [tuple(headers), tuple("-" * width for width in widths), *rows]:
            self.say(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )


def _number(value: Decimal) -> str:
    """1.00 -> "1", 2.50 -> "2.5": quantities read as people write them."""
    return f"{value.normalize():f}"
