"""The inbox's admin views: the page, its list (JSON), one conversation's fragment and the
voucher search, each behind the admin's own permissions."""

import datetime
import json

import pytest
from django.utils import timezone
from oscar.core.loading import get_model
from oscar.test.factories import create_order, create_voucher

from oscar_chat import presence, services
from oscar_chat.models import ChatRoom

from .conftest import CHANGELIST

pytestmark = pytest.mark.django_db
INBOX = f"{CHANGELIST}inbox/"
ROOMS = f"{INBOX}rooms.json"
VOUCHERS = f"{CHANGELIST}vouchers.json"
Voucher = get_model("voucher", "Voucher")


def workspace_url(room):
    return f"{CHANGELIST}{room.pk}/workspace/"


def subjects(response):
    assert response.status_code == 200, response.content
    return [room["subject"] for room in response.json()["results"]]


def test_the_inbox_page_is_for_staff_who_may_view_conversations(signed_in, agent, viewer, staff_no_perm):
    page = signed_in(agent).get(INBOX)
    assert page.status_code == 200
    config = json.loads(page.content.decode().split('id="oc-config" type="application/json">')[1].split("</script>")[0])
    assert config["live"] is True and config["roomsUrl"] == ROOMS
    assert config["workspaceUrl"] == f"{CHANGELIST}{{id}}/workspace/"
    assert signed_in(viewer).get(INBOX).status_code == 200
    assert signed_in(staff_no_perm).get(INBOX).status_code == 403
    assert signed_in(staff_no_perm).get(ROOMS).status_code == 403


def test_the_list_has_views_filters_labels_and_search(signed_in, agent, agent2, customer, make_room):
    mine = make_room(customer, "Mine to answer", "where is my parcel")
    theirs = make_room(customer, "A colleague's", "hello")
    make_room(customer, "Nobody's yet", "is the sarong back?", priority="HIGH")
    services.manage_room(mine, admin=agent, labels=["vip"])
    services.manage_room(theirs, admin=agent2, status=ChatRoom.Status.RESOLVED)
    client = signed_in(agent)

    assert subjects(client.get(ROOMS, {"view": "mine"})) == ["Mine to answer"]
    assert subjects(client.get(ROOMS, {"view": "unassigned"})) == ["Nobody's yet"]
    assert set(subjects(client.get(ROOMS))) == {"Mine to answer", "A colleague's", "Nobody's yet"}
    assert subjects(client.get(ROOMS, {"status": "RESOLVED"})) == ["A colleague's"]
    assert subjects(client.get(ROOMS, {"priority": "HIGH"})) == ["Nobody's yet"]
    assert subjects(client.get(ROOMS, {"label": "VIP"})) == ["Mine to answer"]
    assert subjects(client.get(ROOMS, {"q": "sarong"})) == ["Nobody's yet"]
    assert subjects(client.get(ROOMS, {"q": "Pratama parcel"})) == ["Mine to answer"]
    listed = client.get(ROOMS, {"view": "mine"}).json()["results"][0]
    assert listed["labels"] == ["vip"] and listed["unread_count"] == 1 and listed["admin"]["name"] == "Budi Santoso"

    assert client.get(ROOMS, {"view": "everyone"}).status_code == 400
    assert client.get(ROOMS, {"status": "LOST"}).status_code == 400


def test_the_search_box_finds_labels_in_the_inbox_and_the_changelist(signed_in, agent, customer, make_room):
    refund = make_room(customer, "Broken mug", "It arrived broken")
    wholesale = make_room(customer, "Forty shirts", "Can I order 40?")
    make_room(customer, "Plain question", "Do you ship to Bali?")
    services.manage_room(refund, labels=["refund", "needs follow-up"])
    services.manage_room(wholesale, labels=["wholesale", "kopi ñ"])
    client = signed_in(agent)

    assert subjects(client.get(ROOMS, {"q": "REFUND"})) == ["Broken mug"]
    assert subjects(client.get(ROOMS, {"q": "follow-up"})) == ["Broken mug"]
    assert subjects(client.get(ROOMS, {"q": '"needs follow-up" broken'})) == ["Broken mug"]
    assert subjects(client.get(ROOMS, {"q": "whole"})) == ["Forty shirts"]
    assert subjects(client.get(ROOMS, {"q": "Ñ"})) == ["Forty shirts"]
    # Every word must match somewhere: a label and a word of nothing else is no match.
    assert subjects(client.get(ROOMS, {"q": "refund bali"})) == []
    # The JSON's own punctuation is not a label.
    assert subjects(client.get(ROOMS, {"q": '", "'})) == []
    listed = client.get(CHANGELIST, {"q": "wholesale"})
    assert [room.subject for room in listed.context["cl"].result_list] == ["Forty shirts"]


def test_the_fragment_shows_the_conversation_and_only_the_customers_orders(
    signed_in, agent, customer, other_customer, make_room
):
    create_order(user=customer, number="200001")
    create_order(user=other_customer, number="200002")
    room = make_room(customer, "Where is my order?", "It has not come")
    response = signed_in(agent).get(workspace_url(room))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-order-number="200001"' in html and "200002" not in html
    assert 'id="oc-composer"' in html and 'id="oc-voucher-search"' in html and 'id="oc-back"' in html
    config = json.loads(html.split('id="oc-room-config" type="application/json">')[1].split("</script>")[0])
    assert config["room"]["id"] == room.pk and config["canReply"] is True
    assert [m["message"] for m in config["history"]["results"]] == ["It has not come"]
    # Opening it read the customer's message, as the conversation page does.
    room.refresh_from_db()
    assert room.agent_unread_count == 0


def test_staff_who_may_only_view_get_the_fragment_read_only(signed_in, viewer, customer, make_room):
    room = make_room(customer, "Opening hours", "Sunday?")
    html = signed_in(viewer).get(workspace_url(room)).content.decode()
    assert 'id="oc-composer"' not in html and "oc-share-order" not in html and "oc-voucher-search" not in html
    room.refresh_from_db()
    assert room.agent_unread_count == 1
    assert signed_in(viewer).get(workspace_url(room).replace(str(room.pk), "999999")).status_code == 404


def test_voucher_search_lists_active_vouchers_for_agents_only(signed_in, agent, viewer):
    now = timezone.now()
    create_voucher(code="KOPI10", name="Coffee week")
    Voucher.objects.create(
        code="KOPIOLD",
        name="Coffee last year",
        start_datetime=now - datetime.timedelta(days=400),
        end_datetime=now - datetime.timedelta(days=30),
    )
    Voucher.objects.create(
        code="TEHNEXT",
        name="Tea next month",
        start_datetime=now + datetime.timedelta(days=30),
        end_datetime=now + datetime.timedelta(days=60),
    )
    client = signed_in(agent)

    found = client.get(VOUCHERS, {"q": "kopi"}).json()["results"]
    assert [v["code"] for v in found] == ["KOPI10"]
    assert found[0]["name"] == "Coffee week" and found[0]["end_datetime"]
    assert [v["code"] for v in client.get(VOUCHERS, {"q": "coffee"}).json()["results"]] == ["KOPI10"]
    assert [v["code"] for v in client.get(VOUCHERS).json()["results"]] == ["KOPI10"]
    assert client.get(VOUCHERS, {"q": "tea"}).json()["results"] == []
    assert signed_in(viewer).get(VOUCHERS).status_code == 403


def test_the_admin_index_offers_the_inbox_above_the_rooms_list(signed_in, agent, staff_no_perm):
    html = signed_in(agent).get("/admin/").content.decode()
    inbox = html.index(f'href="{INBOX}"')
    assert inbox < html.index(f'href="{CHANGELIST}"')
    assert "Inbox</a>" in html[inbox : inbox + 200]
    assert 'class="oc-inbox-link"' in signed_in(agent).get(CHANGELIST).content.decode()
    assert f'href="{INBOX}"' not in signed_in(staff_no_perm).get("/admin/").content.decode()


def test_without_the_api_mounted_the_inbox_opens_read_only_and_says_why(
    signed_in, agent, customer, make_room, settings
):
    room = make_room(customer, "Batik sizes", "Is M slim?")
    settings.ROOT_URLCONF = "tests.urls_without_api"
    client = signed_in(agent)

    page = client.get(INBOX).content.decode()
    assert "the chat API is not mounted in this store's URLconf" in page and 'id="oc-connection"' not in page
    assert subjects(client.get(ROOMS)) == ["Batik sizes"]
    fragment = client.get(workspace_url(room)).content.decode()
    assert 'id="oc-composer"' not in fragment and "the chat API is not mounted" in fragment


def room_config(html):
    return json.loads(html.split('id="oc-room-config" type="application/json">')[1].split("</script>")[0])


def test_the_fragment_starts_from_the_customers_last_reported_page(signed_in, agent, customer, make_room, settings):
    room = make_room(customer, "Which grind?", "For a V60?")
    page = {"url": "/catalogue/kopi-gayo_1/", "title": "Kopi Gayo", "at": "2026-12-02T10:00:00+00:00"}
    presence.remember_customer_page(customer.pk, page)
    client = signed_in(agent)

    html = client.get(workspace_url(room)).content.decode()
    assert room_config(html)["customerPage"] == page and 'id="oc-customer-page"' in html
    # A store that does not share customers' pages shows no such panel.
    settings.OSCAR_CHAT_CUSTOMER_PAGES = False
    html = client.get(workspace_url(room)).content.decode()
    assert room_config(html)["customerPage"] is None and 'id="oc-customer-page"' not in html
