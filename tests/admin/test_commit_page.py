"""The Commit page: the lines, the total and each line's work, editable; a message that counts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_catalog.models import Basket, BasketStatus, CatalogStateLog, WorkItem
from django_catalog.services import add_item, cancel_basket, commit_basket
from tests.admin.pages import commit_page_data, message_links, messages_of, url

pytestmark = pytest.mark.django_db


def commit_url(basket) -> str:
    return url("basket_transition", basket.pk, "commit")


def spawned(basket) -> set[tuple[str, str]]:
    return set(
        WorkItem.objects.for_basket(basket).values_list(
            "basket_item__catalog_item__name", "work_type"
        )
    )


def test_the_page_lists_each_line_with_its_total_and_its_items_work(admin_client, routed_draft):
    response = admin_client.get(commit_url(routed_draft))

    rows = {
        row.line.catalog_item.name: (row.quantity, row.unit_price, row.total, row.field.value())
        for row in response.context["transition_form"].line_rows
    }
    assert rows == {
        "Complete blood count": ("1", "50.00 USD", "50.00 USD", "collect, process, report"),
        "Chest X-ray": ("1", "120.00 USD", "120.00 USD", "acquire, report"),
        "Amoxicillin 500 mg": ("1", "12.50 USD", "12.50 USD", "dispense"),
        "Diet leaflet": ("1", "-", "-", ""),
    }
    page = response.content.decode()
    assert 'value="collect, process, report"' in page
    assert '<td id="commit-total">182.50 USD</td>' in page
    assert "Commit: Basket for Visit of Ada · draft" in page


def test_submitting_the_page_as_shown_spawns_each_items_work(admin_client, routed_draft):
    data = commit_page_data(admin_client, routed_draft)

    response = admin_client.post(commit_url(routed_draft), data, follow=True)

    assert spawned(routed_draft) == {
        ("Complete blood count", "collect"),
        ("Complete blood count", "process"),
        ("Complete blood count", "report"),
        ("Chest X-ray", "acquire"),
        ("Chest X-ray", "report"),
        ("Amoxicillin 500 mg", "dispense"),
    }
    assert messages_of(response) == [
        "Committed the basket for Visit of Ada: 6 work items created. See the work."
    ]


def test_the_message_links_to_the_baskets_work(admin_client, routed_draft, visit):
    other = add_item(
        Basket.objects.create(context=visit), routed_draft.lines["blood"].catalog_item
    ).basket
    commit_basket(other)
    data = commit_page_data(admin_client, routed_draft)
    response = admin_client.post(commit_url(routed_draft), data, follow=True)
    (link,) = message_links(response)

    work_page = admin_client.get(link)

    assert link == f"{url('workitem_changelist')}?basket={routed_draft.pk}"
    listed = set(work_page.context["cl"].result_list)
    assert listed == set(WorkItem.objects.for_basket(routed_draft))
    assert len(listed) == 6


def test_each_lines_box_is_honoured(admin_client, routed_draft):
    data = commit_page_data(
        admin_client,
        routed_draft,
        **{"Complete blood count": "", "Chest X-ray": "acquire, second read"},
    )

    response = admin_client.post(commit_url(routed_draft), data, follow=True)

    assert spawned(routed_draft) == {
        ("Chest X-ray", "acquire"),
        ("Chest X-ray", "second read"),
        ("Amoxicillin 500 mg", "dispense"),
    }
    assert messages_of(response)[0].startswith(
        "Committed the basket for Visit of Ada: 3 work items created."
    )


def test_one_work_item_is_counted_in_the_singular(admin_client, visit, make_catalog_item):
    basket = Basket.objects.create(context=visit)
    add_item(basket, make_catalog_item(name="Amoxicillin", work_types=["dispense"]))

    response = admin_client.post(
        commit_url(basket), commit_page_data(admin_client, basket), follow=True
    )

    assert messages_of(response)[0].startswith(
        "Committed the basket for Visit of Ada: 1 work item created."
    )


def test_a_line_added_after_the_page_was_shown_spawns_its_items_work(
    admin_client, routed_draft, make_catalog_item
):
    data = commit_page_data(admin_client, routed_draft, **{"Complete blood count": ""})
    add_item(routed_draft, make_catalog_item(name="Lipid panel", work_types=["collect"]))

    admin_client.post(commit_url(routed_draft), data)

    assert ("Lipid panel", "collect") in spawned(routed_draft)
    assert not {work for work in spawned(routed_draft) if work[0] == "Complete blood count"}


def test_a_bad_box_is_a_form_error_and_commits_nothing(admin_client, routed_draft):
    data = commit_page_data(admin_client, routed_draft, **{"Chest X-ray": "acquire, " + "x" * 101})

    response = admin_client.post(commit_url(routed_draft), data)

    assert response.status_code == 200
    assert "longer than 100 characters" in response.content.decode()
    assert Basket.objects.get(pk=routed_draft.pk).status == BasketStatus.DRAFT
    assert not WorkItem.objects.exists()


def test_the_page_of_a_committed_basket_says_so(admin_client, routed_draft):
    commit_basket(routed_draft)

    response = admin_client.get(commit_url(routed_draft))

    assert "This basket is already committed; committing it again changes nothing." in (
        response.content.decode()
    )


def test_committing_a_committed_basket_says_so_and_changes_nothing(
    admin_client, routed_draft, user
):
    data = commit_page_data(admin_client, routed_draft)
    commit_basket(routed_draft, committed_by=user)  # someone else commits first
    work_before = spawned(routed_draft)

    response = admin_client.post(commit_url(routed_draft), data, follow=True)

    (message,) = messages_of(response)
    assert message.startswith("The basket for Visit of Ada was already committed by nurse on "), (
        message
    )
    assert message.endswith("; nothing changed. Its work items.")
    assert message_links(response) == [f"{url('workitem_changelist')}?basket={routed_draft.pk}"]
    assert spawned(routed_draft) == work_before
    assert CatalogStateLog.objects.for_(routed_draft).count() == 1


def test_a_mixed_currency_basket_shows_each_currencys_total(
    admin_client, routed_draft, make_catalog_item
):
    add_item(
        routed_draft, make_catalog_item(name="Vaccine", unit_price=Decimal("30.00"), currency="EUR")
    )

    response = admin_client.get(commit_url(routed_draft))

    assert response.context["transition_form"].total_text == (
        "mixed currencies: 30.00 EUR + 182.50 USD"
    )


def test_committing_a_cancelled_basket_is_refused_by_name(admin_client, routed_draft):
    data = commit_page_data(admin_client, routed_draft)
    cancel_basket(routed_draft)

    response = admin_client.post(commit_url(routed_draft), data, follow=True)

    assert messages_of(response) == [
        "Commit refused: The basket for Visit of Ada is already cancelled."
    ]
    assert not WorkItem.objects.exists()
