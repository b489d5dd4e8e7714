"""The admin reads like the clinic: names, money, links, status first, filters that fit."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from django_catalog.models import (
    Basket,
    BasketItem,
    CatalogItem,
    CatalogStateLog,
    DispenseLog,
    WorkItem,
)
from django_catalog.services import add_item, commit_basket, create_basket, start_work_item
from tests.admin.pages import url
from tests.models import Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed_committed(routed_draft, user):
    return commit_basket(routed_draft, committed_by=user)


def page(client, address) -> str:
    response = client.get(address)
    assert response.status_code == 200
    return response.content.decode()


def filter_choices(response, title: str) -> list[str]:
    (spec,) = [spec for spec in response.context["cl"].filter_specs if spec.title == title]
    return [choice["display"] for choice in spec.choices(response.context["cl"])][1:]


def first_field(response) -> str:
    fieldset = next(iter(response.context["adminform"]))
    line = next(iter(fieldset))
    return next(iter(line)).field["name"]


# --- names and money --------------------------------------------------------------------------


def test_the_basket_list_names_each_basket_and_shows_its_total(admin_client, routed_committed):
    html = page(admin_client, url("basket_changelist"))

    assert "Basket for Visit of Ada · committed" in html
    assert '<td class="field-total">182.50 USD</td>' in html


def test_the_basket_page_starts_with_the_status_and_shows_the_total_and_line_totals(
    admin_client, routed_committed
):
    response = admin_client.get(url("basket_change", routed_committed.pk))
    html = response.content.decode()

    assert first_field(response) == "status"
    assert '<div class="readonly">182.50 USD</div>' in html
    assert "<p>120.00 USD</p>" in html  # the X-ray's line total
    assert f"{url('workitem_changelist')}?basket={routed_committed.pk}" in html


def test_a_mixed_currency_basket_shows_each_currencys_total(
    admin_client, routed_draft, make_catalog_item
):
    add_item(routed_draft, make_catalog_item(unit_price=Decimal("30.00"), currency="EUR"))

    html = page(admin_client, url("basket_changelist"))

    assert "mixed currencies: 30.00 EUR + 182.50 USD" in html


def test_the_line_list_names_lines_by_item_and_visit_with_money(admin_client, routed_committed):
    html = page(admin_client, url("basketitem_changelist"))

    assert "1 x Chest X-ray · Visit of Ada" in html
    assert '<td class="field-line_total">12.50 USD</td>' in html
    basket_link = url("basket_change", routed_committed.pk)
    assert f'<a href="{basket_link}">Basket for Visit of Ada · committed</a>' in html


def test_the_work_list_shows_the_item_and_the_visit(admin_client, routed_committed):
    html = page(admin_client, url("workitem_changelist"))

    xray_line = routed_committed.lines["xray"]
    item_link = f'<a href="{url("basketitem_change", xray_line.pk)}">Chest X-ray</a>'
    assert html.count(f'<td class="field-ordered_item">{item_link}</td>') == 2
    # The tests' Visit has no admin page, so it is named without a link.
    assert html.count('<td class="field-context_display">Visit of Ada</td>') == 6


def test_the_work_page_starts_with_the_status_and_shows_the_item_visit_and_basket(
    admin_client, routed_committed
):
    work = WorkItem.objects.get(basket_item=routed_committed.lines["xray"], work_type="acquire")

    response = admin_client.get(url("workitem_change", work.pk))
    html = response.content.decode()

    assert first_field(response) == "status"
    assert "acquire · Chest X-ray · Visit of Ada" in html
    assert "Visit of Ada" in html
    assert f'<a href="{url("basket_change", routed_committed.pk)}">' in html


def test_the_audit_log_links_each_row_to_its_object_by_name(admin_client, routed_committed, user):
    work = WorkItem.objects.get(basket_item=routed_committed.lines["blood"], work_type="collect")
    start_work_item(work, by=user)

    html = page(admin_client, url("catalogstatelog_changelist"))

    basket_link = url("basket_change", routed_committed.pk)
    work_link = url("workitem_change", work.pk)
    assert f'<a href="{basket_link}">Basket for Visit of Ada · committed</a>' in html
    assert f'<a href="{work_link}">collect · Complete blood count · Visit of Ada</a>' in html


def test_the_audit_log_names_an_object_that_no_longer_exists(admin_client):
    gone = uuid.uuid4()
    row = CatalogStateLog.objects.create(
        content_type=ContentType.objects.get_for_model(Basket),
        object_id=str(gone),
        transition="cancel",
        source_state="draft",
        state="cancelled",
    )

    html = page(admin_client, url("catalogstatelog_changelist"))
    detail = page(admin_client, url("catalogstatelog_change", row.pk))

    assert f"basket {gone} (deleted)" in html
    assert f"basket {gone} (deleted)" in detail


# --- filters ----------------------------------------------------------------------------------


def test_work_is_filtered_by_the_ordered_item_listing_only_items_ordered(
    admin_client, routed_committed, make_catalog_item
):
    make_catalog_item(name="Never ordered")
    xray = routed_committed.lines["xray"].catalog_item

    response = admin_client.get(url("workitem_changelist"))
    filtered = admin_client.get(
        url("workitem_changelist"), {"basket_item__catalog_item__id__exact": xray.pk}
    )

    assert filter_choices(response, "catalog item") == [
        "Amoxicillin 500 mg",
        "Chest X-ray",
        "Complete blood count",
    ]
    assert {w.work_type for w in filtered.context["cl"].result_list} == {"acquire", "report"}


def test_work_is_filtered_by_visit_listing_only_visits_with_work(
    admin_client, routed_committed, organization, routed_catalog
):
    Visit.objects.create(organization=organization, patient="Nobody")
    grace = Visit.objects.create(organization=organization, patient="Grace")
    other = create_basket(context=grace)
    add_item(other, routed_catalog["medicine"])
    commit_basket(other)

    response = admin_client.get(url("workitem_changelist"))
    (grace_choice,) = [
        spec
        for spec in response.context["cl"].filter_specs
        if spec.title == "for"
        for value, label in spec.lookup_choices
        if label == "Visit of Grace"
    ]
    value = next(v for v, label in grace_choice.lookup_choices if label == "Visit of Grace")
    filtered = admin_client.get(url("workitem_changelist"), {"context": value})

    assert filter_choices(response, "for") == ["Visit of Ada", "Visit of Grace"]
    assert list(filtered.context["cl"].result_list) == list(WorkItem.objects.for_context(grace))


def test_baskets_are_filtered_by_visit(admin_client, routed_committed, organization, visit):
    create_basket(context=Visit.objects.create(organization=organization, patient="Grace"))

    response = admin_client.get(url("basket_changelist"))

    assert filter_choices(response, "for") == ["Visit of Ada", "Visit of Grace"]


@pytest.mark.parametrize("value", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_basket_in_the_work_link_lists_nothing(admin_client, routed_committed, value):
    response = admin_client.get(url("workitem_changelist"), {"basket": value})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("value", ["x", "7-", "abc-1"])
def test_a_malformed_context_choice_lists_nothing(admin_client, routed_committed, value):
    response = admin_client.get(url("workitem_changelist"), {"context": value})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize(
    ("changelist", "title"),
    [
        ("workitem", "assigned to"),
        ("basket", "committed by"),
        ("dispenselog", "dispensed by"),
        ("catalogstatelog", "by"),
    ],
)
def test_user_filters_list_only_users_who_appear(
    admin_client, django_user_model, routed_committed, user, changelist, title
):
    for n in range(5):
        django_user_model.objects.create_user(username=f"bystander-{n}")
    work = WorkItem.objects.get(basket_item=routed_committed.lines["medicine"])
    start_work_item(work, by=user)
    DispenseLog.objects.create(
        basket_item=routed_committed.lines["medicine"], quantity_dispensed=1, dispensed_by=user
    )

    response = admin_client.get(url(f"{changelist}_changelist"))

    assert filter_choices(response, title) == ["nurse", "-"]  # "-": nobody


# --- the catalog item's work types ---------------------------------------------------------


def catalog_item_post(admin_client, item: CatalogItem, **changes) -> dict:
    response = admin_client.get(url("catalogitem_change", item.pk))
    data = {}
    for bound in response.context["adminform"].form:
        value = bound.value()
        if value is not None and value is not False:
            data[bound.html_name] = value
    return {**data, **changes}


def test_a_catalog_items_work_types_are_typed_as_a_comma_separated_list(
    admin_client, routed_catalog
):
    item = routed_catalog["xray"]
    data = catalog_item_post(admin_client, item, work_types="acquire, report, second read")

    response = admin_client.post(url("catalogitem_change", item.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert CatalogItem.objects.get(pk=item.pk).work_types == ["acquire", "report", "second read"]
    assert "acquire, report, second read" in page(admin_client, url("catalogitem_changelist"))


def test_a_bad_work_type_is_a_form_error_and_changes_nothing(admin_client, routed_catalog):
    item = routed_catalog["xray"]
    data = catalog_item_post(admin_client, item, work_types="acquire, " + "x" * 101)

    response = admin_client.post(url("catalogitem_change", item.pk), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["work_types"]
    assert CatalogItem.objects.get(pk=item.pk).work_types == ["acquire", "report"]


def test_line_str_in_a_basket_without_context(basket, catalog_item):
    line = BasketItem.objects.create(basket=basket, catalog_item=catalog_item)

    assert str(BasketItem.objects.get(pk=line.pk)) == "1 x Blood Test"
