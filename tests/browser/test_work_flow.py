"""A clinic's day in the admin, in a real browser: commit a draft basket with the work its
items route, then work it off the board (start, block with a reason, complete), checking each
step's message, the board's counts and the audit trail."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from django_catalog.models import CatalogStateLog, WorkItem, WorkItemStatus
from django_catalog.services import add_item, create_basket
from tests.models import Organization, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "front-desk-1"


@pytest.fixture
def draft_basket(make_catalog_item):
    """A visit's draft basket with a blood test and a chest X-ray, each with its own work."""
    clinic = Organization.objects.create(name="Northside Clinic")
    visit = Visit.objects.create(organization=clinic, patient="Ada Lovelace")
    blood_count = make_catalog_item(
        owner=clinic, name="Complete blood count", work_types=["collect", "process", "report"]
    )
    chest_xray = make_catalog_item(
        owner=clinic,
        name="Chest X-ray",
        unit_price=Decimal("120.00"),
        work_types=["acquire", "report"],
    )
    basket = create_basket(context=visit)
    add_item(basket, blood_count, quantity=1)
    add_item(basket, chest_xray, quantity=1)
    return basket


@pytest.fixture
def nurse(django_user_model):
    return django_user_model.objects.create_superuser(username="joy", password=PASSWORD)


def log_in(page: Page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()


def success_message(page: Page) -> str:
    return page.locator("ul.messagelist li.success").last.inner_text()


def commit_with_per_item_work(page: Page, screenshot) -> None:
    """Press Commit on the open basket page; its page proposes each line's own work types
    (from its catalog item), which are confirmed as they are."""
    page.get_by_role("button", name="Commit").click()
    expect(page.locator("h1")).to_contain_text("Commit")
    lines = page.locator("#commit-lines tbody tr")
    expect(lines.filter(has_text="Complete blood count").locator("input")).to_have_value(
        "collect, process, report"
    )
    expect(lines.filter(has_text="Chest X-ray").locator("input")).to_have_value("acquire, report")
    screenshot("commit")
    page.locator("#commit-basket-form input[type=submit]").click()
    expect(page.locator("ul.messagelist li.success")).to_contain_text("5 work items created")


def column(page: Page, status: str):
    return page.locator(f'section.work-board-column[data-status="{status}"]')


def card(page: Page, work_item: WorkItem):
    return page.locator(f'article.work-card[data-work-item="{work_item.pk}"]')


def diagram_count(page: Page, label: str) -> str:
    """The number under a state's name in the board's picture."""
    node = page.locator(".work-board-diagram svg g.node", has_text=label).first
    return (node.locator("text").nth(1).text_content() or "").strip()


def test_commit_then_work_it_off_the_board(
    page: Page, live_server, screenshot, draft_basket, nurse
):
    log_in(page, "joy")

    # The draft basket, found from the basket list.
    page.goto("/admin/django_catalog/basket/")
    page.locator("#result_list tbody a").first.click()
    expect(page.locator("body")).to_contain_text("Complete blood count")
    expect(page.get_by_role("button", name="Commit")).to_be_visible()
    screenshot("basket")

    commit_with_per_item_work(page, screenshot)
    draft_basket.refresh_from_db()
    assert draft_basket.is_committed
    work = list(WorkItem.objects.for_basket(draft_basket).order_by("work_type", "id"))
    assert sorted((w.work_type, w.basket_item.catalog_item.name) for w in work) == [
        ("acquire", "Chest X-ray"),
        ("collect", "Complete blood count"),
        ("process", "Complete blood count"),
        ("report", "Chest X-ray"),
        ("report", "Complete blood count"),
    ]

    # The board, from the work-item list.
    page.goto("/admin/django_catalog/workitem/")
    page.get_by_role("link", name="Work board").click()
    expect(page.locator("h1")).to_have_text("Work board")
    expect(column(page, "pending").locator("article")).to_have_count(5)
    assert diagram_count(page, "Pending") == "5"
    expect(card(page, work[0])).to_contain_text("Visit of Ada Lovelace")

    # Start one.
    first, second = work[0], work[1]
    card(page, first).get_by_role("button", name="Start").click()
    assert success_message(page) == f"Start: {first} is now in progress."
    expect(column(page, "in_progress").locator(f'[data-work-item="{first.pk}"]')).to_be_visible()
    expect(card(page, first)).to_contain_text("joy")
    assert diagram_count(page, "In Progress") == "1"

    # Block another, with a reason; the form comes back to the board.
    card(page, second).get_by_role("link", name="Block").click()
    expect(page.locator("h1")).to_have_text("Block")
    page.fill("#id_reason", "Patient not fasting")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("h1")).to_have_text("Work board")
    assert success_message(page) == f"Block: {second} is now blocked."
    blocked = column(page, "blocked").locator(f'[data-work-item="{second.pk}"]')
    expect(blocked).to_contain_text("Patient not fasting")

    # Complete the started one: it leaves the board and is counted as completed.
    card(page, first).get_by_role("button", name="Complete").click()
    assert success_message(page) == f"Complete: {first} is now completed."
    expect(card(page, first)).to_have_count(0)
    assert diagram_count(page, "Completed") == "1"
    assert [diagram_count(page, s) for s in ("Pending", "In Progress", "Blocked")] == [
        "3",
        "0",
        "1",
    ]
    screenshot("board")

    # A state in the picture filters the board to it.
    page.locator(".work-board-diagram svg g.node", has_text="Blocked").first.locator("a").click()
    expect(page).to_have_url(re.compile(r"status=blocked"))
    expect(page.locator("section.work-board-column")).to_have_count(1)

    # The audit trail, on the completed item's page.
    page.goto(f"/admin/django_catalog/workitem/{first.pk}/change/")
    trail = page.locator("#django_catalog-catalogstatelog-content_type-object_id-group")
    expect(trail).to_contain_text("complete")
    expect(trail).to_contain_text("start")
    rows = CatalogStateLog.objects.for_(first).order_by("timestamp", "id")
    assert [(r.transition, r.by.username) for r in rows] == [("start", "joy"), ("complete", "joy")]
    (block_row,) = CatalogStateLog.objects.for_(second)
    assert (block_row.transition, block_row.description) == ("block", "Patient not fasting")
    second.refresh_from_db()
    assert second.status == WorkItemStatus.BLOCKED
