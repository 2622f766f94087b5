"""PATCH manage, POST read, POST typing and GET unread."""

import pytest

from oscar_chat.models import ChatMessage, ChatRoom

from .conftest import make_user
from .factories import db_state, open_room, say


@pytest.fixture
def room(customer):
    return open_room(customer, "Wrong size delivered", message="I ordered L and got M.")


def manage(client, room, body):
    return client.patch(f"/api/chat/rooms/{room.pk}/manage", body, format="json")


def fresh(room):
    return ChatRoom.objects.get(pk=room.pk)


# Manage


def test_an_agent_changes_status_priority_and_assignee(api, agent, agent2, room):
    response = manage(api(agent), room, {"status": "RESOLVED", "priority": "URGENT", "admin_id": agent2.pk})
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["priority"]) == ("RESOLVED", "URGENT")
    assert data["admin"] == {"id": agent2.pk, "name": "Citra", "is_agent": True}
    assert data["unread_count"] == 1  # the agents' side: the customer's message
    room = fresh(room)
    assert (room.status, room.priority, room.admin) == ("RESOLVED", "URGENT", agent2)


def test_each_field_changes_alone(api, agent, room):
    client = api(agent)
    assert manage(client, room, {"priority": "LOW"}).json()["status"] == "OPEN"
    assert manage(client, room, {"status": "CLOSED"}).json()["priority"] == "LOW"
    assert manage(client, room, {"admin_id": agent.pk}).json()["status"] == "CLOSED"
    assert (fresh(room).status, fresh(room).priority, fresh(room).admin) == ("CLOSED", "LOW", agent)


def test_admin_id_null_unassigns_and_an_empty_body_changes_nothing(api, agent, room):
    client = api(agent)
    manage(client, room, {"admin_id": agent.pk})
    before = db_state()
    response = manage(client, room, {})
    assert response.status_code == 200
    assert response.json()["admin"]["id"] == agent.pk
    assert db_state() == before
    assert manage(client, room, {"admin_id": None}).json()["admin"] is None
    assert fresh(room).admin is None


def test_a_superuser_may_be_assigned(api, agent, superuser, room):
    assert manage(api(agent), room, {"admin_id": superuser.pk}).json()["admin"]["is_agent"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "ARCHIVED"}, "status"),
        ({"status": "open"}, "status"),
        ({"status": None}, "status"),
        ({"priority": "CRITICAL"}, "priority"),
        ({"priority": 3}, "priority"),
        ({"admin_id": "CUSTOMER"}, "admin_id"),
        ({"admin_id": "STAFF"}, "admin_id"),
        ({"admin_id": "RETIRED"}, "admin_id"),
        ({"admin_id": 987654}, "admin_id"),
        ({"admin_id": 0}, "admin_id"),
        ({"admin_id": -5}, "admin_id"),
        ({"admin_id": "agent"}, "admin_id"),
        ({"admin_id": 99999999999999999999}, "admin_id"),
        ({"status": "CLOSED", "admin_id": "CUSTOMER"}, "admin_id"),  # all or nothing
    ],
)
def test_bad_values_are_400_and_change_nothing(api, agent, customer, staff_no_perm, room, body, field):
    retired = make_user("retired", staff=True, perms=["change_chatroom"], active=False)
    users = {"CUSTOMER": customer.pk, "STAFF": staff_no_perm.pk, "RETIRED": retired.pk}
    body = {k: users.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = db_state()
    response = manage(api(agent), room, body)
    assert response.status_code == 400
    assert field in response.json()
    assert db_state() == before


def test_a_customer_may_not_manage_their_own_room(api, customer, room):
    before = db_state()
    response = manage(api(customer), room, {"status": "RESOLVED"})
    assert response.status_code == 403
    assert "detail" in response.json()
    assert db_state() == before


# Read


def test_a_customer_marks_the_agents_messages_read(api, customer, agent, room):
    say(room, agent, "Sorry about that!")
    say(room, agent, "We'll send an L today.")
    response = api(customer).post(f"/api/chat/rooms/{room.pk}/read")
    assert response.status_code == 200
    assert response.json() == {"room": room.pk, "unread_count": 0}
    assert list(ChatMessage.objects.filter(room=room).order_by("id").values_list("sender__username", "is_read")) == [
        ("customer", False),
        ("agent", True),
        ("agent", True),
    ]
    room = fresh(room)
    assert (room.customer_unread_count, room.agent_unread_count, room.is_read) == (0, 1, False)


def test_an_agent_marks_the_customers_messages_read_for_every_agent(api, customer, agent, agent2, room):
    say(room, customer, "Hello?")
    say(room, agent, "Here!")
    assert api(agent2).post(f"/api/chat/rooms/{room.pk}/read/").json() == {"room": room.pk, "unread_count": 0}
    room = fresh(room)
    assert (room.agent_unread_count, room.is_read, room.customer_unread_count) == (0, True, 1)
    agent_view = api(agent).get("/api/chat/rooms").json()["results"][0]
    assert (agent_view["unread_count"], agent_view["is_read"]) == (0, True)


def test_the_sender_sees_when_their_messages_were_read(api, customer, agent, room):
    say(room, agent, "Are you there?")
    history = api(agent).get(f"/api/chat/rooms/{room.pk}").json()["results"]
    assert history[-1]["is_read"] is False
    api(customer).post(f"/api/chat/rooms/{room.pk}/read")
    history = api(agent).get(f"/api/chat/rooms/{room.pk}").json()["results"]
    assert history[-1]["is_read"] is True
    assert history[0]["is_read"] is False  # the customer's own message: the agents have not read it


def test_reading_twice_is_harmless(api, customer, agent, room):
    say(room, agent, "Hi")
    client = api(customer)
    assert client.post(f"/api/chat/rooms/{room.pk}/read").status_code == 200
    before = db_state()
    assert client.post(f"/api/chat/rooms/{room.pk}/read").json()["unread_count"] == 0
    assert db_state() == before


def test_a_malformed_read_body_is_400_and_reads_nothing(api, customer, agent, room):
    say(room, agent, "Hi")
    before = db_state()
    response = api(customer).post(f"/api/chat/rooms/{room.pk}/read", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert db_state() == before


# Typing


@pytest.mark.parametrize("is_typing", [True, False, "true", "false"])
def test_typing_answers_204_and_stores_nothing(api, customer, room, is_typing):
    before = db_state()
    for _ in range(3):  # repeats (one per keystroke) are fine
        response = api(customer).post(f"/api/chat/rooms/{room.pk}/typing", {"is_typing": is_typing}, format="json")
        assert response.status_code == 204
        assert response.content == b""
    assert db_state() == before


@pytest.mark.parametrize("body", [{}, {"is_typing": "perhaps"}, {"is_typing": None}, {"is_typing": [True]}])
def test_typing_needs_a_boolean(api, agent, room, body):
    response = api(agent).post(f"/api/chat/rooms/{room.pk}/typing", body, format="json")
    assert response.status_code == 400
    assert "is_typing" in response.json()


# Unread


def test_unread_totals_for_each_side(api, customer, other_customer, agent, room):
    say(room, customer, "Second message")
    say(room, agent, "Reply")
    second = open_room(customer, "Another", message="Hi")
    say(second, agent, "One")
    say(second, agent, "Two")
    open_room(other_customer, "Theirs", message="Hello")
    assert api(customer).get("/api/chat/unread").json() == {"total": 3, "rooms": 2}
    assert api(other_customer).get("/api/chat/unread").json() == {"total": 0, "rooms": 0}
    assert api(agent).get("/api/chat/unread").json() == {"total": 4, "rooms": 3}
    api(customer).post(f"/api/chat/rooms/{second.pk}/read")
    assert api(customer).get("/api/chat/unread/").json() == {"total": 1, "rooms": 1}
    api(agent).post(f"/api/chat/rooms/{room.pk}/read")
    assert api(agent).get("/api/chat/unread").json() == {"total": 2, "rooms": 2}


def test_an_agent_who_is_also_a_customer_counts_both_sides(api, agent, agent2):
    own = open_room(agent, "My own order")  # an agent shopping in the store
    say(own, agent2, "Your order shipped.")
    open_room(make_user("shopper"), "Question", message="Hi")
    # The agent's own room counts what agent2 wrote to them, not their own messages.
    assert api(agent).get("/api/chat/unread").json() == {"total": 2, "rooms": 2}
    assert api(agent2).get("/api/chat/unread").json() == {"total": 1, "rooms": 1}
