"""The conversation page (a room's change view) and its customer panel."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from oscar.core.loading import get_class, get_model
from oscar.test.factories import create_order, create_product

from oscar_chat.events import MESSAGES_GROUP
from oscar_chat.models import CannedResponse, ChatMessage

from .conftest import CHANGELIST, room_url

pytestmark = pytest.mark.django_db

Basket = get_model("basket", "Basket")
Selector = get_class("partner.strategy", "Selector")


def texts(response):
    return [m["message"] for m in response.context["chat_config"]["history"]["results"]]


def test_history_oldest_first_with_both_sides(signed_in, agent, customer, make_room):
    room = make_room(
        customer, "Batik sizes", "Is M slim?", "<script>alert(1)</script>", agent=agent, replies=["It is regular."]
    )

    response = signed_in(agent).get(room_url(room))

    assert response.status_code == 200
    assert texts(response) == ["Is M slim?", "<script>alert(1)</script>", "It is regular."]
    senders = [m["sender"]["is_agent"] for m in response.context["chat_config"]["history"]["results"]]
    assert senders == [False, False, True]
    html = response.content.decode()
    # Message text travels as JSON data for the script to set as text, never as markup.
    assert "<script>alert(1)</script>" not in html
    assert "\\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E" in html
    assert '<h1 class="oc-title">Batik sizes' in html


def test_older_pages_come_from_the_history_endpoint(signed_in, agent, customer, make_room, settings):
    settings.OSCAR_CHAT_PAGE_SIZE = 3
    room = make_room(customer, "Long one", *[f"message {i}" for i in range(7)])
    client = signed_in(agent)

    page = client.get(room_url(room))
    assert texts(page) == ["message 4", "message 5", "message 6"]
    assert page.context["chat_config"]["history"]["has_more"] is True

    first_id = page.context["chat_config"]["history"]["results"][0]["id"]
    older = client.get(f"{CHANGELIST}{room.pk}/history.json", {"before": first_id}).json()
    assert [m["message"] for m in older["results"]] == ["message 1", "message 2", "message 3"]
    assert older["has_more"] is True
    assert client.get(f"{CHANGELIST}{room.pk}/history.json", {"before": "x"}).status_code == 400


def test_opening_marks_the_customer_messages_read_and_tells_the_customer(
    signed_in, agent, customer, make_room, chat_events, django_capture_on_commit_callbacks
):
    room = make_room(customer, "Hello?", "anyone there?", "hello?")
    assert room.agent_unread_count == 2
    published = chat_events(MESSAGES_GROUP)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(agent).get(room_url(room))

    room.refresh_from_db()
    assert room.agent_unread_count == 0 and room.is_read
    assert not ChatMessage.objects.filter(room=room, is_read=False).exists()
    assert response.context["chat_config"]["room"]["unread_count"] == 0
    read = [e for e in published.events() if e["event"] == "read" and e["customer"] == customer.pk]
    assert read and read[0]["views"]["customer"]["reader"]["name"] == "Budi Santoso"


def test_agent_gets_composer_controls_agents_and_quick_replies(signed_in, agent, agent2, customer, make_room):
    CannedResponse.objects.create(
        shortcut="hello",
        title="Greeting",
        text="Hi {first_name}, {agent_name} here about “{subject}” for {name}. {unknown}",
    )
    room = make_room(customer, "Coffee", "hi")

    response = signed_in(agent).get(room_url(room))

    html = response.content.decode()
    assert 'id="oc-composer"' in html and 'id="oc-input"' in html and 'id="oc-share-product"' in html
    assert 'id="oc-status"' in html and 'id="oc-priority"' in html and 'id="oc-assignee"' in html
    config = response.context["chat_config"]
    assert config["canReply"] is True and config["live"] is True
    assert {a["name"] for a in config["agents"]} == {"Budi Santoso", "Citra"}
    assert config["quickReplies"] == [
        {
            "shortcut": "hello",
            "title": "Greeting",
            "text": "Hi Eka, Budi Santoso here about “Coffee” for Eka Pratama. {unknown}",
        }
    ]
    assert config["apiRoot"] == "/api/chat/"


def test_view_only_staff_read_without_composer_controls_or_marking_read(signed_in, viewer, customer, make_room):
    room = make_room(customer, "Coffee", "hi there")

    response = signed_in(viewer).get(room_url(room))

    assert response.status_code == 200
    html = response.content.decode()
    assert texts(response) == ["hi there"]
    assert 'id="oc-composer"' not in html and 'id="oc-input"' not in html
    assert 'id="oc-status"' not in html and "data-oc-manage" not in html
    assert 'id="oc-readonly-note"' in html
    assert response.context["chat_config"]["live"] is False
    room.refresh_from_db()
    assert room.agent_unread_count == 1
    history = signed_in(viewer).get(f"{CHANGELIST}{room.pk}/history.json")
    assert history.status_code == 200


def test_refusals(signed_in, staff_no_perm, customer, agent, make_room, client):
    room = make_room(customer, "Coffee", "hi")
    assert signed_in(staff_no_perm).get(room_url(room)).status_code == 403
    assert signed_in(staff_no_perm).get(f"{CHANGELIST}{room.pk}/history.json").status_code == 403
    for response in (signed_in(customer).get(room_url(room)), client.get(room_url(room))):
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # The page changes nothing by POST, and a missing room is admin's usual redirect.
    assert signed_in(agent).post(room_url(room), {"status": "CLOSED"}).status_code == 405
    missing = signed_in(agent).get(f"{CHANGELIST}999999/change/")
    assert missing.status_code == 302 and missing["Location"] == "/admin/"


class TestCustomerPanel:
    @pytest.fixture
    def product(self):
        return create_product(title="Kopi Gayo 250g", price=Decimal("85000.00"), num_in_stock=10)

    def test_orders_basket_and_other_conversations(self, signed_in, superuser, customer, make_room, product):
        order = create_order(user=customer, number="100042")
        basket = Basket.open.create(owner=customer)
        basket.strategy = Selector().strategy(user=customer)
        basket.add_product(product, quantity=2)
        room = make_room(customer, "Current question", "hi")
        older = make_room(customer, "An earlier question", "hello", status="RESOLVED")

        response = signed_in(superuser).get(room_url(room))

        html = response.content.decode()
        assert "100042" in html and order.status in html
        assert 'href="/dashboard/orders/100042/"' in html
        assert "Kopi Gayo 250g" in html and "× 2" in html.replace("&times;&nbsp;", "× ")
        assert "170.000" in html or "170,000" in html
        assert "An earlier question" in html and f'href="{room_url(older)}"' in html
        assert "Current question</a>" not in html.split('id="oc-panel-rooms"')[1]

    def test_order_links_only_for_agents_who_may_open_orders(self, signed_in, agent, customer, make_room):
        create_order(user=customer, number="100043")
        room = make_room(customer, "Where is it?", "hi")
        client = signed_in(agent)

        assert "/dashboard/orders/100043/" not in client.get(room_url(room)).content.decode()
        agent.user_permissions.add(Permission.objects.get(codename="view_order", content_type__app_label="order"))
        html = client.get(room_url(room)).content.decode()
        assert "100043" in html and 'href="/dashboard/orders/100043/"' in html

    def test_empty_panel(self, signed_in, agent, customer, make_room):
        room = make_room(customer, "First question", "hi")
        html = signed_in(agent).get(room_url(room)).content.decode()
        assert "No orders yet." in html and "The basket is empty." in html and "No other conversations." in html


def test_dashboard_scripts_get_indonesian_strings(signed_in, agent):
    client = signed_in(agent)
    client.cookies["django_language"] = "id"
    catalog = client.get(f"{CHANGELIST}jsi18n/", HTTP_ACCEPT_LANGUAGE="id")
    assert catalog.status_code == 200
    assert "Aktifkan notifikasi" in catalog.content.decode()


def test_without_the_api_mounted_the_pages_open_read_only_and_say_why(signed_in, agent, customer, make_room, settings):
    room = make_room(customer, "Batik sizes", "Is M slim?")
    settings.ROOT_URLCONF = "tests.urls_without_api"

    conversation = signed_in(agent).get(room_url(room))
    changelist = signed_in(agent).get(CHANGELIST)

    for response in (conversation, changelist):
        assert response.status_code == 200
        html = response.content.decode()
        assert "the chat API is not mounted in this store's URLconf" in html
        assert 'id="oc-connection"' not in html
    assert texts(conversation) == ["Is M slim?"]
    assert 'id="oc-composer"' not in conversation.content.decode()
