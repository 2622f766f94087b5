"""GET and POST /api/chat/rooms: opening rooms, the list, its filters, pages and query cost."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from oscar_chat import services
from oscar_chat.models import ChatMessage, ChatRoom

from .conftest import make_user
from .factories import db_state, make_product, many_rooms, open_room, say

ROOM_FIELDS = {
    "id",
    "subject",
    "status",
    "priority",
    "user",
    "admin",
    "last_message",
    "last_activity",
    "created_at",
    "is_read",
    "unread_count",
    "labels",  # API 1.1
    # API.md 1.1
    "first_response_at",
    "resolved_at",
    "rating",
}


def ids(response):
    return [room["id"] for room in response.json()["results"]]


# Opening a room


def test_a_customer_opens_a_room(api, customer):
    response = api(customer).post("/api/chat/rooms", {"subject": "  Where is my order?  "}, format="json")
    assert response.status_code == 201
    room = response.json()
    assert set(room) == ROOM_FIELDS
    assert room["subject"] == "Where is my order?"
    assert (room["status"], room["priority"], room["admin"]) == ("OPEN", "NORMAL", None)
    assert room["user"] == {"id": customer.pk, "name": "Eka Pratama", "is_agent": False}
    assert (room["last_message"], room["unread_count"], room["is_read"]) == ("", 0, True)
    assert parse_datetime(room["created_at"]) is not None and parse_datetime(room["last_activity"]) is not None
    assert ChatRoom.objects.get(pk=room["id"]).user == customer


def test_the_first_message_and_product_become_the_rooms_first_messages(api, customer, agent):
    product = make_product("Teh Melati Tubruk 100g")
    response = api(customer).post(
        "/api/chat/rooms",
        {"subject": "Tea", "message": "Is this tea organic?", "product_id": product.pk},
        format="json",
    )
    assert response.status_code == 201
    room = ChatRoom.objects.get(pk=response.json()["id"])
    messages = list(room.messages.order_by("id"))
    assert [(m.message_type, m.message, m.product) for m in messages] == [
        ("TEXT", "Is this tea organic?", None),
        ("PRODUCT", "", product),
    ]
    assert all(m.sender == customer for m in messages)
    assert response.json()["last_message"] == "📦 Teh Melati Tubruk 100g"
    # The customer has nothing unread; the agents have both messages to read.
    assert response.json()["unread_count"] == 0
    agent_view = api(agent).get("/api/chat/rooms").json()["results"][0]
    assert (agent_view["unread_count"], agent_view["is_read"]) == (2, False)


def test_an_agent_opens_a_room_for_a_customer_with_a_priority(api, agent, customer):
    response = api(agent).post(
        "/api/chat/rooms",
        {
            "subject": "About your order",
            "message": "Your parcel is delayed.",
            "user_id": customer.pk,
            "priority": "HIGH",
        },
        format="json",
    )
    assert response.status_code == 201
    room = response.json()
    assert room["user"]["id"] == customer.pk
    assert room["admin"] == {"id": agent.pk, "name": "Budi Santoso", "is_agent": True}
    assert room["priority"] == "HIGH"
    customer_view = api(customer).get("/api/chat/rooms").json()
    assert customer_view["count"] == 1
    assert (customer_view["results"][0]["unread_count"], customer_view["results"][0]["is_read"]) == (1, False)


@pytest.mark.parametrize("extra", [{"priority": "HIGH"}, {"user_id": "OTHER"}, {"priority": "LOW", "user_id": "OTHER"}])
def test_a_customer_may_not_set_priority_or_open_for_someone_else(api, customer, other_customer, extra):
    extra = {k: other_customer.pk if v == "OTHER" else v for k, v in extra.items()}
    before = db_state()
    response = api(customer).post("/api/chat/rooms", {"subject": "Sneaky", **extra}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == set(extra)
    assert db_state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "x", "user_id": 987654}, "user_id"),
        ({"subject": "x", "user_id": "INACTIVE"}, "user_id"),
        ({"subject": "x", "priority": "CRITICAL"}, "priority"),
        ({"subject": "x", "product_id": "HIDDEN"}, "product_id"),
        ({"subject": "x", "product_id": 987654}, "product_id"),
    ],
)
def test_an_agent_gets_400_for_unknown_users_priorities_and_products(api, agent, body, field):
    inactive = make_user("sleeper", active=False)
    hidden = make_product("Unreleased", public=False)
    body = {k: {"INACTIVE": inactive.pk, "HIDDEN": hidden.pk}.get(v, v) for k, v in body.items()}
    before = db_state()
    response = api(agent).post("/api/chat/rooms", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert db_state() == before


@pytest.mark.parametrize(
    ("subject", "status"), [("x", 201), ("x" * 200, 201), ("x" * 201, 400), ("", 400), ("   ", 400)]
)
def test_subject_is_1_to_200_characters(api, customer, subject, status):
    response = api(customer).post("/api/chat/rooms", {"subject": subject}, format="json")
    assert response.status_code == status
    assert ChatRoom.objects.count() == (1 if status == 201 else 0)


# Version 1.1: opening a room without a subject


def test_without_a_subject_the_first_words_of_the_message_become_it(api, customer):
    response = api(customer).post("/api/chat/rooms", {"message": "  Is the\nGayo coffee  in stock?"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["subject"] == "Is the Gayo coffee in stock?"
    room = ChatRoom.objects.get()
    assert list(room.messages.values_list("message", flat=True)) == ["  Is the\nGayo coffee  in stock?"]


def test_a_long_first_message_gives_a_short_subject_cut_between_words(api, customer):
    text = "Halo, saya ingin bertanya tentang pengiriman pesanan saya ke Bandung minggu depan " * 40
    response = api(customer).post("/api/chat/rooms", {"subject": "", "message": text}, format="json")
    assert response.status_code == 201
    subject = response.json()["subject"]
    assert len(subject) <= 200 and subject.endswith("…")
    assert text.startswith(subject[:-1]) and text[len(subject) - 1] == " "


def test_without_a_subject_or_message_the_products_title_becomes_it(api, customer):
    product = make_product("Teh Melati Tubruk 100g")
    response = api(customer).post("/api/chat/rooms", {"product_id": product.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["subject"] == "Teh Melati Tubruk 100g"
    assert list(ChatRoom.objects.get().messages.values_list("message_type", flat=True)) == ["PRODUCT"]


def test_a_given_subject_wins_over_the_derived_one(api, customer):
    response = api(customer).post("/api/chat/rooms", {"subject": "Delivery", "message": "Where is it?"}, format="json")
    assert response.json()["subject"] == "Delivery"


@pytest.mark.parametrize("body", [{}, {"subject": ""}, {"message": "   "}, {"subject": " ", "message": ""}])
def test_neither_subject_nor_message_nor_product_is_refused(api, customer, body):
    before = db_state()
    response = api(customer).post("/api/chat/rooms", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) & {"subject", "message"}
    assert db_state() == before


@pytest.mark.parametrize(("length", "status"), [(5000, 201), (5001, 400)])
def test_the_first_message_is_at_most_5000_characters(api, customer, length, status):
    response = api(customer).post("/api/chat/rooms", {"subject": "Long", "message": "x" * length}, format="json")
    assert response.status_code == status
    assert ChatMessage.objects.count() == (1 if status == 201 else 0)


def test_a_blank_first_message_is_refused_and_opens_no_room(api, customer):
    response = api(customer).post("/api/chat/rooms", {"subject": "Blank", "message": "  \n "}, format="json")
    assert response.status_code == 400
    assert "message" in response.json()
    assert not ChatRoom.objects.exists()


def test_rooms_can_be_opened_with_a_form_post(api, customer):
    response = api(customer).post("/api/chat/rooms", {"subject": "From a form", "message": "Hi"})
    assert response.status_code == 201
    assert ChatRoom.objects.get().messages.get().message == "Hi"


# The list


def test_the_list_is_newest_activity_first_and_moves_a_room_up_when_it_gets_a_message(api, customer):
    first = open_room(customer, "First")
    second = open_room(customer, "Second")
    third = open_room(customer, "Third")
    client = api(customer)
    assert ids(client.get("/api/chat/rooms")) == [third.pk, second.pk, first.pk]
    client.post(f"/api/chat/rooms/{first.pk}", {"message": "Any news?"}, format="json")
    assert ids(client.get("/api/chat/rooms")) == [first.pk, third.pk, second.pk]


def test_customers_see_their_own_rooms_and_agents_see_every_room(api, customer, other_customer, agent):
    mine = open_room(customer, "Mine")
    theirs = open_room(other_customer, "Theirs")
    assert ids(api(customer).get("/api/chat/rooms")) == [mine.pk]
    assert ids(api(other_customer).get("/api/chat/rooms")) == [theirs.pk]
    assert ids(api(agent).get("/api/chat/rooms")) == [theirs.pk, mine.pk]


def test_each_side_sees_its_own_unread_count_and_read_state(api, customer, agent):
    room = open_room(customer, "Counting", message="One")
    say(room, customer, "Two")
    say(room, agent, "Reply")
    customer_view = api(customer).get("/api/chat/rooms").json()["results"][0]
    agent_view = api(agent).get("/api/chat/rooms").json()["results"][0]
    assert (customer_view["unread_count"], customer_view["is_read"]) == (1, False)
    assert (agent_view["unread_count"], agent_view["is_read"]) == (2, False)
    api(agent).post(f"/api/chat/rooms/{room.pk}/read")
    agent_view = api(agent).get("/api/chat/rooms").json()["results"][0]
    assert (agent_view["unread_count"], agent_view["is_read"]) == (0, True)
    customer_view = api(customer).get("/api/chat/rooms").json()["results"][0]
    assert customer_view["unread_count"] == 1


def test_last_message_is_a_one_line_preview_of_at_most_100_characters(api, customer):
    room = open_room(customer, "Preview")
    say(room, customer, "word " * 60 + "\n\nend")
    preview = api(customer).get("/api/chat/rooms").json()["results"][0]["last_message"]
    assert len(preview) == 100
    assert preview.startswith("word word") and preview.endswith("…")
    assert "\n" not in preview and "  " not in preview
    say(room, customer, "Short\nanswer")
    assert api(customer).get("/api/chat/rooms").json()["results"][0]["last_message"] == "Short answer"


# Filters


@pytest.fixture
def assorted(customer, other_customer, agent, agent2):
    """Rooms of every status and priority, some assigned, some with unread messages."""
    other_customer.first_name, other_customer.last_name = "Sri", "Wahyuni"
    other_customer.save()
    rooms = {
        "open_low": open_room(customer, "Batik sizes", priority="LOW"),
        "closed_high": open_room(customer, "Refund request", priority="HIGH", message="Please refund"),
        "resolved_urgent": open_room(other_customer, "Broken rice cooker", priority="URGENT"),
        "open_normal": open_room(other_customer, "Gift wrapping", message="Can you wrap it in batik paper?"),
    }
    services.manage_room(rooms["closed_high"], status="CLOSED", admin=agent)
    services.manage_room(rooms["resolved_urgent"], status="RESOLVED", admin=agent2)
    say(rooms["open_low"], agent, "Sizes run small.")
    return {name: ChatRoom.objects.get(pk=room.pk) for name, room in rooms.items()}


def names(assorted, response):
    by_id = {room.pk: name for name, room in assorted.items()}
    assert response.status_code == 200, response.content
    assert response.json()["count"] == len(response.json()["results"])
    return sorted(by_id[i] for i in ids(response))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "OPEN"}, ["open_low", "open_normal"]),
        ({"status": "CLOSED,RESOLVED"}, ["closed_high", "resolved_urgent"]),
        ({"status": "CLOSED, RESOLVED ,"}, ["closed_high", "resolved_urgent"]),
        ({"priority": "URGENT"}, ["resolved_urgent"]),
        ({"priority": "LOW,NORMAL"}, ["open_low", "open_normal"]),
        ({"status": "OPEN", "priority": "LOW"}, ["open_low"]),
        ({"q": "refund"}, ["closed_high"]),  # subject
        ({"q": "BATIK PAPER"}, ["open_normal"]),  # message text, any case
        ({"q": "batik"}, ["open_low", "open_normal"]),  # subject of one, message of another
        ({"q": "Wahyuni"}, ["open_normal", "resolved_urgent"]),  # last name
        ({"q": "Sri Wahyuni"}, ["open_normal", "resolved_urgent"]),  # full name
        ({"q": "eka"}, ["closed_high", "open_low"]),  # first name
        ({"q": "other@example"}, ["open_normal", "resolved_urgent"]),  # email
        ({"q": "customer"}, ["closed_high", "open_low"]),  # username (and email)
        ({"q": "nothing like this"}, []),
        ({"q": ""}, ["closed_high", "open_low", "open_normal", "resolved_urgent"]),
        ({"unread": "true"}, ["closed_high", "open_normal"]),  # customer messages agents have not read
        ({"unread": "false"}, ["closed_high", "open_low", "open_normal", "resolved_urgent"]),
        ({"assigned": "me"}, ["closed_high", "open_low"]),
        ({"assigned": "none"}, ["open_normal"]),
        ({"assigned": "AGENT2"}, ["resolved_urgent"]),
        ({"assigned": "me", "status": "OPEN"}, ["open_low"]),
    ],
)
def test_agents_filter_the_list(api, agent, agent2, assorted, query, expected):
    query = {k: str(agent2.pk) if v == "AGENT2" else v for k, v in query.items()}
    assert names(assorted, api(agent).get("/api/chat/rooms", query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["closed_high", "open_low"]),
        ({"status": "CLOSED"}, ["closed_high"]),
        ({"q": "batik"}, ["open_low"]),  # another customer's room matches the text but is not theirs
        ({"q": "Wahyuni"}, []),
        ({"unread": "true"}, ["open_low"]),  # the agent's reply the customer has not read
    ],
)
def test_customers_filter_their_own_rooms(api, customer, assorted, query, expected):
    assert names(assorted, api(customer).get("/api/chat/rooms", query)) == expected


def test_a_customer_may_not_filter_by_assignee(api, customer, assorted):
    response = api(customer).get("/api/chat/rooms", {"assigned": "none"})
    assert response.status_code == 400
    assert "assigned" in response.json()


@pytest.mark.parametrize(
    "query",
    [
        {"status": "OPEN,PENDING"},
        {"priority": "HUGE"},
        {"unread": "maybe"},
        {"assigned": "someone"},
        {"assigned": "-3"},
        {"assigned": "1.5"},
        {"assigned": "²"},
        {"assigned": "99999999999999999999"},
        {"q": "x" * 201},
        {"q": "nul\x00"},
    ],
)
def test_bad_filters_are_400(api, agent, assorted, query):
    response = api(agent).get("/api/chat/rooms", query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


# Pages


def test_rooms_come_in_pages_of_50_with_cursors_both_ways(api, agent, customer):
    rooms = many_rooms(customer, 60)
    newest_first = [room.pk for room in reversed(rooms)]
    client = api(agent)
    first = client.get("/api/chat/rooms").json()
    assert (first["count"], len(first["results"]), first["previous"]) == (60, 50, None)
    assert [r["id"] for r in first["results"]] == newest_first[:50]
    second = client.get(first["next"]).json()
    assert (second["count"], second["next"]) == (60, None)
    assert [r["id"] for r in second["results"]] == newest_first[50:]
    back = client.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == newest_first[:50]


def test_pages_keep_the_filters(api, agent, customer, other_customer):
    many_rooms(customer, 55)
    many_rooms(other_customer, 5)
    client = api(agent)
    first = client.get("/api/chat/rooms", {"q": "customer@"}).json()
    assert (first["count"], len(first["results"])) == (55, 50)
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert {r["user"]["id"] for r in first["results"] + second["results"]} == {customer.pk}


def test_the_page_size_is_a_setting(api, agent, customer, settings):
    settings.OSCAR_CHAT_PAGE_SIZE = 2
    many_rooms(customer, 5)
    page = api(agent).get("/api/chat/rooms").json()
    assert (page["count"], len(page["results"])) == (5, 2)


def test_a_room_that_moves_to_the_top_is_not_repeated_on_the_next_page(api, agent, customer):
    rooms = many_rooms(customer, 60)
    client = api(agent)
    first = client.get("/api/chat/rooms").json()
    # The oldest room gets a message: it is now on top, already behind the cursor.
    say(rooms[0], customer, "Bump")
    second = client.get(first["next"]).json()
    seen = [r["id"] for r in first["results"] + second["results"]]
    assert len(seen) == len(set(seen))


def test_a_bad_cursor_is_a_json_404(api, agent):
    response = api(agent).get("/api/chat/rooms", {"cursor": "not-a-cursor"})
    assert response.status_code == 404
    assert "detail" in response.json()


# Query cost: constant whatever the page size.


def _list_queries(client, **query):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/chat/rooms", query)
    assert response.status_code == 200
    return len(queries), response.json()


def _populate(count, customers, agents):
    start = timezone.now() - timedelta(days=2)
    for n in range(count):
        ChatRoom.objects.create(
            user=customers[n % len(customers)],
            admin=agents[n % len(agents)] if n % 3 else None,
            subject=f"Room {n}",
            last_activity=start + timedelta(minutes=n),
            agent_unread_count=n % 2,
            customer_unread_count=n % 3,
        )


@pytest.mark.parametrize("viewer", ["agent", "customer", "superuser"])
def test_the_room_list_costs_the_same_queries_for_5_and_50_rooms(
    request, api, viewer, customer, agent, agent2, staff_no_perm, superuser, django_assert_max_num_queries
):
    # Staff customers and non-superuser agents are exactly the users whose role costs a query.
    customers, agents = [customer, staff_no_perm], [agent, agent2, superuser]
    client = api(request.getfixturevalue(viewer))
    _populate(5, customers, agents)
    _list_queries(client)  # the viewer's agent check is remembered from then on
    small, page = _list_queries(client)
    assert len(page["results"]) == (5 if viewer != "customer" else 3)
    _populate(55, customers, agents)
    with django_assert_max_num_queries(7):
        large, page = _list_queries(client, q="room", status="OPEN")
    own_rooms = ChatRoom.objects.filter(user=customer).count()
    assert len(page["results"]) == (50 if viewer != "customer" else own_rooms)
    assert large == small, (small, large)
    assert {r["admin"]["is_agent"] for r in page["results"] if r["admin"]} == {True}
    assert {r["user"]["is_agent"] for r in page["results"]} == {False}
