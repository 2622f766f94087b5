"""Room timestamps (first response, resolution) and the customer's rating (API.md 1.1)."""

import pytest

from oscar_chat.models import ChatRoom
from oscar_chat.services import manage_room

from .conftest import open_conversation, reload, reply

pytestmark = pytest.mark.django_db


def rating_url(room):
    return f"/api/chat/rooms/{room.pk}/rating"


def test_first_response_is_the_first_agent_reply_and_resolution_is_stamped(customer, agent, api):
    room = open_conversation(customer)
    assert reload(room).first_response_at is None
    first = reply(room, agent)
    reply(room, agent, "Anything else?")
    room = reload(room)
    assert room.first_response_at == first.created_at

    manage_room(room, status=ChatRoom.Status.RESOLVED)
    data = api(customer).get(f"/api/chat/rooms/{room.pk}").json()["room"]
    assert data["first_response_at"] is not None
    assert data["resolved_at"] is not None
    assert data["rating"] is None

    # The customer writing again reopens it: no longer resolved.
    api(customer).post(f"/api/chat/rooms/{room.pk}", {"message": "One more thing"}, format="json")
    data = api(customer).get(f"/api/chat/rooms/{room.pk}").json()["room"]
    assert data["status"] == "OPEN" and data["resolved_at"] is None


def test_customer_rates_a_resolved_room_and_rating_again_replaces_it(customer, agent, api):
    room = open_conversation(customer)
    reply(room, agent)
    manage_room(room, status=ChatRoom.Status.RESOLVED)

    response = api(customer).post(rating_url(room), {"score": 4, "comment": "Quick"}, format="json")
    assert response.status_code == 200
    assert response.json()["rating"] == {"score": 4, "comment": "Quick"}
    assert response.json()["id"] == room.pk

    response = api(customer).post(rating_url(room) + "/", {"score": 5}, format="json")
    assert response.status_code == 200
    assert response.json()["rating"] == {"score": 5, "comment": ""}
    # Agents see it in the room.
    assert api(agent).get(f"/api/chat/rooms/{room.pk}").json()["room"]["rating"]["score"] == 5


@pytest.mark.parametrize("body", [{"score": 0}, {"score": 6}, {"score": "x"}, {}, {"score": 3, "comment": "x" * 2001}])
def test_bad_rating_is_400_and_changes_nothing(customer, agent, api, body):
    room = open_conversation(customer)
    manage_room(room, status=ChatRoom.Status.CLOSED)
    response = api(customer).post(rating_url(room), body, format="json")
    assert response.status_code == 400
    assert reload(room).rating_score is None


def test_open_room_cannot_be_rated(customer, api):
    room = open_conversation(customer)
    response = api(customer).post(rating_url(room), {"score": 5}, format="json")
    assert response.status_code == 400
    assert reload(room).rating_score is None


def test_only_the_rooms_customer_rates(customer, other_customer, agent, api):
    room = open_conversation(customer)
    manage_room(room, status=ChatRoom.Status.RESOLVED)
    assert api(other_customer).post(rating_url(room), {"score": 1}, format="json").status_code == 404
    refused = api(agent).post(rating_url(room), {"score": 1}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"detail": "Only the conversation's customer may rate it."}
    assert api().post(rating_url(room), {"score": 1}, format="json").status_code == 401
    assert reload(room).rating_score is None


def test_backfill_fills_rooms_made_before_the_timestamps(customer, agent):
    import importlib

    from django.apps import apps

    room = open_conversation(customer)
    agent_message = reply(room, agent)
    ChatRoom.objects.filter(pk=room.pk).update(status="RESOLVED", first_response_at=None, resolved_at=None)
    importlib.import_module("oscar_chat.migrations.0007_operations_backfill").backfill(apps, None)
    room = reload(room)
    assert room.first_response_at == agent_message.created_at
    assert room.resolved_at == room.last_activity
