"""Room labels (API 1.1): agents set them through manage and filter by them; customers see none."""

import pytest

from oscar_chat.models import ChatRoom

from .factories import db_state, open_room


@pytest.fixture
def room(customer):
    return open_room(customer, "Refund for a broken mug", message="It arrived broken.")


def manage(client, room, body):
    return client.patch(f"/api/chat/rooms/{room.pk}/manage", body, format="json")


def test_an_agent_sets_labels_normalised_and_deduplicated(api, agent, room):
    response = manage(api(agent), room, {"labels": ["  VIP ", "Refund", "vip", "needs   follow-up"]})
    assert response.status_code == 200, response.content
    assert response.json()["labels"] == ["vip", "refund", "needs follow-up"]
    assert ChatRoom.objects.get(pk=room.pk).labels == ["vip", "refund", "needs follow-up"]
    assert api(agent).get(f"/api/chat/rooms/{room.pk}").json()["room"]["labels"] == ["vip", "refund", "needs follow-up"]


def test_labels_replace_and_an_empty_list_removes_them(api, agent, room):
    client = api(agent)
    manage(client, room, {"labels": ["vip", "refund"]})
    assert manage(client, room, {"labels": ["refund"]}).json()["labels"] == ["refund"]
    # Other fields leave the labels as they are.
    assert manage(client, room, {"status": "RESOLVED"}).json()["labels"] == ["refund"]
    assert manage(client, room, {"labels": []}).json()["labels"] == []


@pytest.mark.parametrize(
    "labels",
    ["vip", {"a": 1}, [1], ["ok", None], ["   "], ["x" * 51], [f"l{n}" for n in range(21)], None],
)
def test_bad_labels_are_a_400_and_change_nothing(api, agent, room, labels):
    manage(api(agent), room, {"labels": ["kept"]})
    before = db_state()
    response = manage(api(agent), room, {"labels": labels})
    assert response.status_code == 400, response.content
    assert "labels" in response.json()
    assert db_state() == before


def test_a_customer_sees_no_labels_and_cannot_set_or_filter_by_them(api, agent, customer, room):
    manage(api(agent), room, {"labels": ["difficult customer"]})
    as_customer = api(customer)
    assert as_customer.get("/api/chat/rooms").json()["results"][0]["labels"] == []
    assert as_customer.get(f"/api/chat/rooms/{room.pk}").json()["room"]["labels"] == []
    assert manage(as_customer, room, {"labels": []}).status_code == 403
    assert as_customer.get("/api/chat/rooms", {"label": "difficult customer"}).status_code == 400
    assert ChatRoom.objects.get(pk=room.pk).labels == ["difficult customer"]


def test_agents_filter_rooms_by_label(api, agent, customer, other_customer, room):
    other = open_room(other_customer, "Where is my parcel?", message="Hi")
    third = open_room(customer, "Wrong colour", message="Hi")
    client = api(agent)
    manage(client, room, {"labels": ["refund", "vip"]})
    manage(client, other, {"labels": ["vip"]})
    manage(client, third, {"labels": ["vip refund"]})

    def ids(label):
        response = client.get("/api/chat/rooms", {"label": label})
        assert response.status_code == 200
        return {r["id"] for r in response.json()["results"]}

    assert ids("vip") == {room.pk, other.pk}
    assert ids(" REFUND ") == {room.pk}
    assert ids("vip refund") == {third.pk}
    assert ids("ref") == set()
