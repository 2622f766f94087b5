"""Internal notes (message_type NOTE, API 1.1): agents write and read them; customers never see them."""

import pytest

from oscar_chat.models import ChatMessage, ChatRoom

from .factories import db_state, open_room, say


@pytest.fixture
def room(customer):
    return open_room(customer, "Parcel not arrived", message="My parcel is late.")


def send(client, room, body):
    return client.post(f"/api/chat/rooms/{room.pk}", body, format="json")


def note(client, room, text="Customer is a reseller; offer the bulk price."):
    return send(client, room, {"message": text, "message_type": "NOTE"})


def history_ids(client, room):
    return [m["id"] for m in client.get(f"/api/chat/rooms/{room.pk}").json()["results"]]


def test_an_agent_writes_a_note_that_agents_see_in_the_history(api, agent, agent2, room):
    response = note(api(agent), room)
    assert response.status_code == 201
    data = response.json()
    assert data["message_type"] == "NOTE"
    assert data["message"] == "Customer is a reseller; offer the bulk price."
    assert data["sender"]["is_agent"] is True
    assert data["id"] in history_ids(api(agent2), room)


def test_a_customer_cannot_write_a_note_and_nothing_changes(api, customer, room):
    before = db_state()
    response = note(api(customer), room, "let me in")
    assert response.status_code == 400
    assert "message_type" in response.json()
    assert db_state() == before


def test_an_agent_cannot_write_a_note_in_a_room_where_they_are_the_customer(api, agent):
    own = open_room(agent, "My own order")
    before = db_state()
    assert note(api(agent), own).status_code == 400
    assert db_state() == before


def test_a_blank_note_is_refused(api, agent, room):
    response = note(api(agent), room, "   ")
    assert response.status_code == 400
    assert "message" in response.json()


def test_a_note_never_reaches_the_customers_history_preview_or_unread_counts(api, customer, agent, room):
    reply = say(room, agent, "We are checking with the courier.")
    api(customer).post(f"/api/chat/rooms/{room.pk}/read")
    as_customer = api(customer)
    before_list = as_customer.get("/api/chat/rooms").json()["results"][0]
    assert note(api(agent), room, "Courier says lost; refund tomorrow").status_code == 201

    assert ChatMessage.objects.filter(room=room, message_type="NOTE").count() == 1
    ids = history_ids(as_customer, room)
    assert reply.pk in ids
    assert all(m.message_type != "NOTE" for m in ChatMessage.objects.filter(pk__in=ids))
    # Newer pages (after=) skip it too.
    after = as_customer.get(f"/api/chat/rooms/{room.pk}", {"after": reply.pk}).json()["results"]
    assert after == []

    listed = as_customer.get("/api/chat/rooms").json()["results"][0]
    assert listed["last_message"] == "We are checking with the courier."
    assert listed["unread_count"] == 0 and listed["is_read"] is True
    assert listed["last_activity"] == before_list["last_activity"]
    assert as_customer.get("/api/chat/rooms", {"q": "refund tomorrow"}).json()["results"] == []
    assert as_customer.get("/api/chat/unread").json() == {"total": 0, "rooms": 0}
    assert as_customer.get(f"/api/chat/rooms/{room.pk}").json()["room"]["last_message"] == (
        "We are checking with the courier."
    )


def test_a_note_does_not_count_as_the_agents_first_reply_or_unread_for_agents(api, agent, room):
    note(api(agent), room)
    room = ChatRoom.objects.get(pk=room.pk)
    # Not a reply: the room is not assigned by it, and the agents' unread count is the customer's message.
    assert room.admin is None
    assert room.agent_unread_count == 1
    assert room.customer_unread_count == 0


def test_the_customer_reading_does_not_mark_notes_read(api, customer, agent, room):
    created = note(api(agent), room).json()
    api(customer).post(f"/api/chat/rooms/{room.pk}/read")
    assert ChatMessage.objects.get(pk=created["id"]).is_read is False
