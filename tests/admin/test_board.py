"""The work board: open work by status, filters, the live diagram, buttons run the services."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from django_catalog.admin.board import UNKNOWN_CONTEXT, UNKNOWN_USER, context_key
from django_catalog.models import CatalogStateLog, WorkItem, WorkItemStatus
from django_catalog.services import cancel_work_item, complete_work_item
from tests.admin.pages import grant, messages_of, url

pytestmark = pytest.mark.django_db

BOARD = url("work_board")


def card_ids(response, status: str) -> set[str]:
    column = next(c for c in response.context["columns"] if c.status == status)
    return {str(card.work_item.pk) for card in column.cards}


def open_work(visit=None):
    work = WorkItem.objects.open()
    return work.for_context(visit) if visit is not None else work


def test_the_board_is_at_its_admin_url_under_work_items():
    assert BOARD == "/admin/django_catalog/workitem/board/"


def test_open_work_in_columns_by_status(admin_client, make_board):
    visit = make_board(lines=2)
    done = open_work(visit).filter(status=WorkItemStatus.PENDING).first()
    cancel_work_item(done, "ordered twice")

    response = admin_client.get(BOARD)

    assert response.status_code == 200
    assert [c.status for c in response.context["columns"]] == [
        "pending",
        "in_progress",
        "blocked",
    ]
    for status in ("pending", "in_progress", "blocked"):
        expected = {
            str(pk) for pk in open_work().filter(status=status).values_list("pk", flat=True)
        }
        assert card_ids(response, status) == expected
    assert str(done.pk) not in response.content.decode()


def test_a_card_shows_type_item_context_assignee_age_and_block_reason(
    admin_client, make_board, user
):
    make_board(lines=1, patient="Grace")
    started = WorkItem.objects.get(status=WorkItemStatus.IN_PROGRESS)
    blocked = WorkItem.objects.get(status=WorkItemStatus.BLOCKED)

    page = admin_client.get(BOARD).content.decode()

    started_card = card_html(page, started)
    assert f">{started.work_type}</a></h3>" in started_card
    assert "Test 0" in started_card
    assert "Visit of Grace" in started_card
    assert "nurse" in started_card
    assert re.search(r'class="card-age">\d+\xa0minutes?<', started_card)
    blocked_card = card_html(page, blocked)
    assert "No fasting sample" in blocked_card
    assert "nobody" in blocked_card


def card_html(page: str, work_item) -> str:
    start = page.index(f'data-work-item="{work_item.pk}"')
    return page[start : page.index("</article>", start)]


def test_the_block_reason_is_the_latest_blocks(admin_client, make_board, user):
    from django_catalog.services import block_work_item, unblock_work_item

    make_board(lines=1)
    blocked = WorkItem.objects.get(status=WorkItemStatus.BLOCKED)
    unblock_work_item(blocked, by=user)
    block_work_item(blocked, "Analyser down", by=user)

    response = admin_client.get(BOARD)

    (card,) = next(c for c in response.context["columns"] if c.status == "blocked").cards
    assert card.block_reason == "Analyser down"


# --- filters -------------------------------------------------------------------------------


def test_filter_by_work_type(admin_client, make_board):
    make_board(lines=2)

    response = admin_client.get(BOARD, {"work_type": "report"})

    shown = {c.work_item.work_type for col in response.context["columns"] for c in col.cards}
    assert shown == {"report"}


def test_filter_mine_and_unassigned(client, make_board, user):
    make_board(lines=2)
    user.is_staff = True
    user.save()
    grant(user, "view_workitem")
    client.force_login(user)

    mine = client.get(BOARD, {"assignee": "mine"})
    unassigned = client.get(BOARD, {"assignee": "unassigned"})

    assert card_ids(mine, "in_progress") == {
        str(w.pk) for w in WorkItem.objects.filter(assigned_to=user)
    }
    assert card_ids(mine, "pending") == set()
    assert card_ids(unassigned, "in_progress") == set()
    assert card_ids(unassigned, "pending") == {
        str(w.pk) for w in WorkItem.objects.filter(status="pending")
    }


def test_filter_by_a_user_and_the_options_list_only_assignees(admin_client, make_board, user):
    make_board(lines=1)

    response = admin_client.get(BOARD, {"assignee": str(user.pk)})

    assert card_ids(response, "in_progress") == {
        str(w.pk) for w in WorkItem.objects.filter(assigned_to=user)
    }
    assert response.context["options"]["assignee"] == [
        ("mine", "Mine"),
        ("unassigned", "Unassigned"),
        (str(user.pk), "nurse"),
    ]


def test_filter_by_context(admin_client, make_board):
    ada = make_board(lines=1, patient="Ada")
    make_board(lines=1, patient="Bob")
    key = context_key(ContentType.objects.get_for_model(ada).pk, str(ada.pk))

    response = admin_client.get(BOARD, {"context": key})

    shown = {c.work_item.pk for col in response.context["columns"] for c in col.cards}
    assert shown == set(open_work(ada).values_list("pk", flat=True))
    assert (key, "Visit of Ada") in response.context["options"]["context"]


def test_filter_by_status_shows_that_column_only(admin_client, make_board):
    make_board(lines=1)

    response = admin_client.get(BOARD, {"status": "blocked"})

    assert [c.status for c in response.context["columns"]] == ["blocked"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"assignee": "999999"}, "assignee", UNKNOWN_USER.format(value="999999")),
        ({"assignee": "someone"}, "assignee", UNKNOWN_USER.format(value="someone")),
        ({"context": "1:2"}, "context", UNKNOWN_CONTEXT.format(value="1:2")),
        ({"context": "visit"}, "context", UNKNOWN_CONTEXT.format(value="visit")),
        ({"status": "completed"}, "status", None),
        ({"work_type": "x" * 101}, "work_type", None),
    ],
)
def test_a_bad_filter_is_a_clear_error_and_shows_no_cards(
    admin_client, make_board, catalog_rows, query, field, message
):
    make_board(lines=1)
    before = catalog_rows()

    response = admin_client.get(BOARD, query)

    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    if message:
        assert errors == [message]
    assert "columns" not in response.context
    assert catalog_rows() == before


# --- the diagram ---------------------------------------------------------------------------


def test_the_diagram_shows_live_counts_and_links_each_state(admin_client, make_board, layout):
    make_board(lines=2)  # 4 pending, 1 in progress, 1 blocked
    complete_work_item(WorkItem.objects.get(status="in_progress"))
    make_board(lines=1, patient="Bob")  # 1 more of each open state

    diagram = str(admin_client.get(BOARD).context["diagram"])

    assert diagram.startswith("<svg")
    for label, count in [("Pending", 4 + 1), ("In Progress", 1), ("Blocked", 2), ("Completed", 1)]:
        assert re.search(rf">{label}</text>\s*<text[^>]*>{count}</text>", diagram), label
    assert re.search(r">Cancelled</text>\s*<text[^>]*>0</text>", diagram)
    for state in ("pending", "in_progress", "blocked"):
        assert f'href="{BOARD}?status={state}"' in diagram
    assert f'href="{url("workitem_changelist")}?status__exact=completed"' in diagram


def test_diagram_links_keep_the_other_filters(admin_client, make_board, layout):
    make_board(lines=1)

    diagram = str(admin_client.get(BOARD, {"work_type": "report"}).context["diagram"])

    # Graphviz leaves the "&" of a link as it is, which HTML reads the same way.
    assert re.search(rf'href="{BOARD}\?status=blocked&(amp;)?work_type=report"', diagram)


def test_the_diagram_counts_follow_the_filters(admin_client, make_board):
    make_board(lines=2)

    diagram = str(admin_client.get(BOARD, {"assignee": "unassigned"}).context["diagram"])

    # 2 lines x 3 types: one started (assigned), five unassigned (4 pending, 1 blocked).
    assert re.search(r">Pending</text>\s*<text[^>]*>4</text>", diagram)
    assert re.search(r">In Progress</text>\s*<text[^>]*>0</text>", diagram)


# --- the buttons ---------------------------------------------------------------------------


def card_actions(response, work_item) -> dict[str, str | None]:
    for column in response.context["columns"]:
        for card in column.cards:
            if card.work_item.pk == work_item.pk:
                return {action.name: action.form_url for action in card.actions}
    raise AssertionError(f"no card for {work_item.pk}")


def test_each_card_offers_what_the_change_page_offers(admin_client, make_board):
    make_board(lines=1)
    pending = WorkItem.objects.get(status="pending")
    started = WorkItem.objects.get(status="in_progress")
    blocked = WorkItem.objects.get(status="blocked")

    response = admin_client.get(BOARD)

    assert sorted(card_actions(response, pending)) == ["block", "cancel", "start"]
    assert sorted(card_actions(response, started)) == ["block", "cancel", "complete"]
    assert sorted(card_actions(response, blocked)) == ["cancel", "unblock"]
    # What acts at once comes before what asks for a reason.
    assert next(iter(card_actions(response, pending))) == "start"
    assert next(iter(card_actions(response, blocked))) == "unblock"


def test_start_from_the_board_runs_the_service_and_comes_back(admin_client, admin_user, make_board):
    make_board(lines=1)
    pending = WorkItem.objects.get(status="pending")
    board = f"{BOARD}?work_type=report"

    response = admin_client.post(board, {"work_item": str(pending.pk), "transition": "start"})

    assert response.status_code == 302
    assert response["Location"] == board
    pending.refresh_from_db()
    assert (pending.status, pending.assigned_to) == (WorkItemStatus.IN_PROGRESS, admin_user)
    row = CatalogStateLog.objects.for_(pending).latest()
    assert (row.transition, row.by) == ("start", admin_user)
    assert messages_of(admin_client.get(board))[-1] == f"Start: {pending} is now in progress."


def test_block_opens_its_reason_form_and_returns_to_the_board(admin_client, admin_user, make_board):
    make_board(lines=1)
    pending = WorkItem.objects.get(status="pending")
    board = f"{BOARD}?status=pending"
    form_url = card_actions(admin_client.get(board), pending)["block"]
    assert form_url == f"{url('workitem_transition', pending.pk, 'block')}?next=%2Fadmin%2F" + (
        "django_catalog%2Fworkitem%2Fboard%2F%3Fstatus%3Dpending"
    )

    response = admin_client.post(form_url, {"reason": "Patient left"})

    assert response.status_code == 302
    assert response["Location"] == board
    pending.refresh_from_db()
    assert pending.status == WorkItemStatus.BLOCKED
    row = CatalogStateLog.objects.for_(pending).latest()
    assert (row.transition, row.description, row.by) == ("block", "Patient left", admin_user)


def test_block_posted_to_the_board_goes_to_its_reason_form(admin_client, make_board, catalog_rows):
    make_board(lines=1)
    pending = WorkItem.objects.get(status="pending")
    before = catalog_rows()

    response = admin_client.post(BOARD, {"work_item": str(pending.pk), "transition": "block"})

    assert response.status_code == 302
    assert response["Location"].startswith(url("workitem_transition", pending.pk, "block"))
    assert catalog_rows() == before


def test_block_without_a_reason_stays_on_its_form(admin_client, make_board, catalog_rows):
    make_board(lines=1)
    pending = WorkItem.objects.get(status="pending")
    before = catalog_rows()

    response = admin_client.post(
        f"{url('workitem_transition', pending.pk, 'block')}?next={BOARD}", {"reason": " "}
    )

    assert response.status_code == 200
    assert response.context["transition_form"].errors["reason"]
    assert catalog_rows() == before


def test_a_next_to_another_site_is_ignored(admin_client, make_board):
    make_board(lines=1)
    pending = WorkItem.objects.get(status="pending")

    response = admin_client.post(
        f"{url('workitem_transition', pending.pk, 'block')}?next=https://example.com/",
        {"reason": "Patient left"},
    )

    assert response["Location"] == url("workitem_change", pending.pk)


def test_a_refused_transition_says_why_and_writes_nothing(admin_client, make_board, catalog_rows):
    make_board(lines=1)
    started = WorkItem.objects.get(status="in_progress")
    before = catalog_rows()

    response = admin_client.post(
        BOARD, {"work_item": str(started.pk), "transition": "start"}, follow=True
    )

    assert messages_of(response)[-1] == (
        f"Start refused: cannot start {started}: it is in progress."
    )
    assert catalog_rows() == before


def test_a_transition_the_admin_does_not_run_is_refused(admin_client, make_board, catalog_rows):
    make_board(lines=1)
    pending = WorkItem.objects.get(status="pending")
    before = catalog_rows()

    response = admin_client.post(
        BOARD, {"work_item": str(pending.pk), "transition": "delete"}, follow=True
    )

    assert messages_of(response)[-1] == "'delete' cannot be run from the admin."
    assert catalog_rows() == before


def test_an_unknown_work_item_is_a_message(admin_client, make_board):
    response = admin_client.post(BOARD, {"work_item": "nope", "transition": "start"}, follow=True)

    assert messages_of(response)[-1] == "That work item no longer exists."


# --- who may -------------------------------------------------------------------------------


def test_a_viewer_sees_the_board_without_buttons(client, board_viewer, make_board):
    make_board(lines=1)
    client.force_login(board_viewer)

    response = client.get(BOARD)

    assert response.status_code == 200
    assert all(not card.actions for col in response.context["columns"] for card in col.cards)


def test_a_viewer_forging_a_button_is_refused(client, board_viewer, make_board, catalog_rows):
    make_board(lines=1)
    grant(board_viewer, "start_work_item")  # may start, but may not change work items
    pending = WorkItem.objects.get(status="pending")
    client.force_login(board_viewer)
    before = catalog_rows()

    response = client.post(BOARD, {"work_item": str(pending.pk), "transition": "start"})

    assert response.status_code == 403
    assert catalog_rows() == before


def test_the_transition_page_checks_the_change_permission_too(
    client, board_viewer, make_board, catalog_rows
):
    make_board(lines=1)
    grant(board_viewer, "block_work_item")
    pending = WorkItem.objects.get(status="pending")
    client.force_login(board_viewer)
    before = catalog_rows()

    response = client.post(
        f"{url('workitem_transition', pending.pk, 'block')}?next={BOARD}", {"reason": "x"}
    )

    assert response.status_code == 403
    assert catalog_rows() == before


def test_a_deleted_work_item_is_not_worked_from_the_board(admin_client, make_board, catalog_rows):
    make_board(lines=1)
    pending = WorkItem.objects.get(status="pending")
    pending.delete()
    before = catalog_rows()

    page = admin_client.get(BOARD)
    response = admin_client.post(
        BOARD, {"work_item": str(pending.pk), "transition": "start"}, follow=True
    )

    assert str(pending.pk) not in {
        str(card.work_item.pk) for column in page.context["columns"] for card in column.cards
    }
    assert "restore it before changing its status" in messages_of(response)[-1]
    assert catalog_rows() == before


def test_without_the_transition_permission_there_is_no_button_and_a_forgery_fails(
    client, board_viewer, make_board, catalog_rows
):
    make_board(lines=1)
    grant(board_viewer, "change_workitem", "complete_work_item")
    pending = WorkItem.objects.get(status="pending")
    started = WorkItem.objects.get(status="in_progress")
    client.force_login(board_viewer)
    before = catalog_rows()

    page = client.get(BOARD)
    response = client.post(
        BOARD, {"work_item": str(pending.pk), "transition": "start"}, follow=True
    )

    assert card_actions(page, pending) == {}
    assert card_actions(page, started) == {"complete": None}
    assert messages_of(response)[-1] == "You do not have permission to run 'Start'."
    assert catalog_rows() == before


def test_staff_without_the_view_permission_are_refused(client, django_user_model):
    staff = django_user_model.objects.create_user(username="s", password="x", is_staff=True)
    client.force_login(staff)

    assert client.get(BOARD).status_code == 403
    assert client.post(BOARD, {"work_item": "x", "transition": "start"}).status_code == 403


@pytest.mark.parametrize("staff", [False, None])
def test_anonymous_and_non_staff_are_sent_to_the_login(client, django_user_model, staff):
    if staff is False:
        client.force_login(django_user_model.objects.create_user(username="u", password="x"))

    response = client.get(BOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_work_items_list_links_to_the_board(admin_client):
    page = admin_client.get(url("workitem_changelist")).content.decode()

    assert f'href="{BOARD}"' in page
    assert ">Work board</a>" in page
