"""Events and deliveries in the admin: listed, filtered, readable, and retried on demand."""

from __future__ import annotations

import pytest

from django_catalog.events import deliver_due
from django_catalog.models import Event, EventDelivery
from django_catalog.services import commit_basket
from django_catalog.states import DeliveryStatus
from tests.admin.pages import grant, messages_of, url
from tests.events.handlers import BILLING, FAILING, LAB

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered_and_dead(draft_with_lines, basket, user, event_handlers, settings):
    """A committed basket whose delivery to the lab got through and to billing is dead,
    and a cancelled basket whose delivery to the lab waits (on-commit callbacks do not run
    here, so nothing is delivered until deliver_due)."""
    settings.CATALOG_EVENT_MAX_ATTEMPTS = 1
    event_handlers({"basket.committed": [LAB, FAILING], "basket.cancelled": [LAB]})
    commit_basket(draft_with_lines, committed_by=user, work_types=["collect"])
    deliver_due()
    basket.cancel()
    return draft_with_lines


def changelist(client, model_name, **query):
    response = client.get(url(f"{model_name}_changelist"), query)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_events_are_listed_with_their_deliveries(admin_client, delivered_and_dead):
    response = admin_client.get(url("event_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    assert "1 delivered, 1 dead" in response.content.decode()
    assert "1 pending" in response.content.decode()


def test_events_filter_by_name(admin_client, delivered_and_dead):
    found = changelist(admin_client, "event", name="basket.cancelled")

    assert [event.name for event in found] == ["basket.cancelled"]


def test_an_events_payload_is_readable_on_its_page(admin_client, delivered_and_dead):
    event = Event.objects.get(name="basket.committed")

    response = admin_client.get(url("event_change", event.pk))

    page = response.content.decode()
    assert response.status_code == 200
    assert "&quot;work_items_created&quot;: 2" in page
    assert FAILING in page  # its deliveries, inline


def test_deliveries_filter_by_status_and_handler(admin_client, delivered_and_dead):
    dead = changelist(admin_client, "eventdelivery", status="dead")
    to_lab = changelist(admin_client, "eventdelivery", handler=LAB)
    of_cancels = changelist(admin_client, "eventdelivery", event__name="basket.cancelled")

    assert [d.handler for d in dead] == [FAILING]
    assert {d.handler for d in to_lab} == {LAB}
    assert len(to_lab) == 2
    assert [d.status for d in of_cancels] == [DeliveryStatus.PENDING]


def test_a_deliverys_page_shows_its_error_and_payload(admin_client, delivered_and_dead):
    dead = EventDelivery.objects.get(status=DeliveryStatus.DEAD)

    page = admin_client.get(url("eventdelivery_change", dead.pk)).content.decode()

    assert "the lab interface is down" in page
    assert "&quot;basket&quot;: &quot;" in page


def test_events_and_deliveries_cannot_be_added_changed_or_deleted(admin_client, delivered_and_dead):
    event = Event.objects.first()
    assert admin_client.get(url("event_add")).status_code == 403
    assert admin_client.get(url("eventdelivery_add")).status_code == 403
    assert admin_client.post(url("event_delete", event.pk), {"post": "yes"}).status_code == 403
    assert Event.objects.count() == 2


def retry(client, deliveries):
    return client.post(
        url("eventdelivery_changelist"),
        {"action": "retry_now", "_selected_action": [d.pk for d in deliveries]},
        follow=True,
    )


def test_retry_now_delivers_dead_and_pending_deliveries_at_once(
    admin_client, delivered_and_dead, settings, event_handlers, django_capture_on_commit_callbacks
):
    event_handlers({"basket.committed": [LAB, BILLING], "basket.cancelled": [LAB]})
    EventDelivery.objects.filter(handler=FAILING).update(handler=BILLING)

    with django_capture_on_commit_callbacks(execute=True):  # the immediate backend runs it
        response = retry(admin_client, EventDelivery.objects.all())

    assert "2 deliveries will be attempted now." in messages_of(response)
    assert "1 already delivered were left alone." in messages_of(response)
    assert set(EventDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_retry_now_needs_its_permission(client, django_user_model, delivered_and_dead):
    staff = django_user_model.objects.create_user(username="ops", password="x", is_staff=True)
    grant(staff, "view_eventdelivery")
    client.force_login(staff)
    dead = EventDelivery.objects.get(status=DeliveryStatus.DEAD)

    response = client.get(url("eventdelivery_changelist"))
    assert "retry_now" not in response.content.decode()
    retry(client, [dead])
    assert EventDelivery.objects.get(pk=dead.pk).status == DeliveryStatus.DEAD

    grant(staff, "retry_eventdelivery")
    response = client.get(url("eventdelivery_changelist"))
    assert "retry_now" in response.content.decode()


@pytest.mark.parametrize("term", ["basket.committed", "not-a-uuid", "lab"])
def test_searching_events_and_deliveries_by_any_text_works(admin_client, delivered_and_dead, term):
    assert admin_client.get(url("event_changelist"), {"q": term}).status_code == 200
    assert admin_client.get(url("eventdelivery_changelist"), {"q": term}).status_code == 200


def test_an_event_is_found_by_its_id(admin_client, delivered_and_dead):
    event = Event.objects.get(name="basket.cancelled")

    found = changelist(admin_client, "event", q=str(event.id))

    assert found == [event]


def test_the_commit_button_records_the_event_and_delivers_it_after_the_commit(
    admin_client, admin_user, draft_with_lines, event_handlers, django_capture_on_commit_callbacks
):
    event_handlers({"basket.committed": [LAB]})

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            url("basket_transition", draft_with_lines.pk, "commit"), {"work_types": "collect"}
        )

    event = Event.objects.for_(draft_with_lines).get()
    assert event.payload["by"] == str(admin_user.pk)
    assert EventDelivery.objects.get(event=event).status == DeliveryStatus.DELIVERED
