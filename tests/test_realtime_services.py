"""The real-time parts of the services: stream tickets, the typing throttle, publishing when
Redis is gone. Real cache and channel-layer backends; a dead Redis is a closed port."""

import logging
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from django.utils import timezone

from oscar_chat import events, services
from oscar_chat.models import ChatMessage

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # A cache of its own: typing marks of earlier tests (same room and user ids) stay out.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
    return channel_layers["default"]


def listen(layer, group):
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def received(layer, channel):
    """Everything waiting on ``channel`` (the in-memory layer keeps it until read)."""
    queue = layer.channels.get(channel)
    return [item[1] for item in list(queue._queue)] if queue else []


def test_a_ticket_opens_once(db, customer, in_memory_layer):
    ticket, lifetime = services.issue_stream_ticket(customer)
    assert lifetime == 60 and len(ticket) >= 40
    assert services.redeem_stream_ticket(ticket).user_id == customer.pk
    assert services.redeem_stream_ticket(ticket) is None
    assert services.redeem_stream_ticket("made-up") is None
    assert services.redeem_stream_ticket("") is None


def test_typing_reaches_the_others_at_most_once_a_second(
    db, customer, agent, in_memory_layer, django_capture_on_commit_callbacks
):
    room = services.open_room(customer=customer, opened_by=customer, subject="Typing")
    agents = listen(in_memory_layer, events.MESSAGES_GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        sent = [services.set_typing(room, customer, True) for _ in range(5)]  # five keystrokes
        sent.append(services.set_typing(room, customer, False))  # stopped: always told
        sent.append(services.set_typing(room, customer, False))  # already told
        sent.append(services.set_typing(room, customer, True))  # within the second: held back
        sent.append(services.set_typing(room, agent, True))  # someone else: their own throttle
    assert sent == [True, False, False, False, False, True, False, False, True]
    typing = [m for m in received(in_memory_layer, agents) if m["event"] == "typing"]
    views = [m["views"]["customer"] for m in typing]
    assert [(v["user"]["id"], v["is_typing"], m["exclude_user"]) for v, m in zip(views, typing)] == [
        (customer.pk, True, customer.pk),
        (customer.pk, False, customer.pk),
        (agent.pk, True, agent.pk),
    ]


def test_a_write_is_one_group_message_carrying_every_view(
    db, customer, agent, in_memory_layer, django_capture_on_commit_callbacks
):
    room = services.open_room(customer=customer, opened_by=customer, subject="Groups")
    channel = listen(in_memory_layer, events.MESSAGES_GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = services.post_message(room, agent, message="Hello")
    (published,) = received(in_memory_layer, channel)  # once, for every process
    assert (published["seq"], published["room"], published["customer"]) == (message.seq, room.pk, customer.pk)
    assert published["room_views"]["customer"]["unread_count"] == 1  # the customer's view...
    assert published["room_views"]["agent"]["unread_count"] == 0  # ...and the agents'


def test_every_announced_room_state_carries_a_version_that_grows_with_each_write(
    db, customer, agent, in_memory_layer, django_capture_on_commit_callbacks
):
    from oscar_chat.models import ChatRoom
    from oscar_chat.operations.services import rate_room

    room = services.open_room(customer=customer, opened_by=customer, subject="Versions", message="Hello?")
    channel = listen(in_memory_layer, events.MESSAGES_GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_read(room, agent)
        services.post_message(room, agent, message="On its way")
        services.post_message(room, agent, message="An agents' note", message_type=ChatMessage.MessageType.NOTE)
        services.manage_room(room, status=ChatRoom.Status.RESOLVED, by=agent)
        services.manage_room(room, status=ChatRoom.Status.RESOLVED, by=agent)  # no change: nothing announced
        rate_room(room, customer, score=5)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(room, customer, message="One more thing")
    states = [
        (p["event"], p["room_version"], (p.get("views") or p.get("room_views") or {}).get("agent", {}).get("status"))
        for p in received(in_memory_layer, channel)
        if p["event"] != "read"  # a read receipt is no state of the room
    ]
    first = states[0][1]
    assert states == [
        ("room", first, "OPEN"),  # read
        ("message", first + 1, "OPEN"),
        ("message", first + 1, None),  # a note leaves the room as it was
        ("room", first + 2, "RESOLVED"),
        ("room", first + 3, "RESOLVED"),  # rated
        ("message", first + 4, "OPEN"),  # the customer wrote again: open
    ]
    assert ChatRoom.objects.get(pk=room.pk).version == first + 4


def test_with_redis_gone_sending_still_works_and_the_failure_is_logged(
    db, api, customer, settings, caplog, django_capture_on_commit_callbacks
):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [DEAD_REDIS]}}
    }
    room = services.open_room(customer=customer, opened_by=customer, subject="Outage")
    with caplog.at_level(logging.ERROR, logger="oscar_chat"), django_capture_on_commit_callbacks(execute=True):
        response = api(customer).post(f"/api/chat/rooms/{room.pk}", {"message": "still there?"}, format="json")
    assert response.status_code == 201
    assert ChatMessage.objects.filter(pk=response.json()["id"], message="still there?").exists()
    assert "could not publish message event" in caplog.text


def test_with_the_cache_gone_typing_is_dropped_and_tickets_answer_503(db, api, customer, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS}}
    room = services.open_room(customer=customer, opened_by=customer, subject="Outage")
    client = api(customer)
    assert client.post(f"/api/chat/rooms/{room.pk}/typing", {"is_typing": True}, format="json").status_code == 204
    response = client.post("/api/chat/sse/ticket")
    assert response.status_code == 503
    assert response.json()["detail"]


def test_the_stream_route_without_the_asgi_wrapper_says_so(db, api, customer):
    response = api(customer).get("/api/chat/sse")
    assert response.status_code == 503
    assert "ASGI" in response.json()["detail"]


def test_access_changes_reach_the_processes_after_commit(
    db, customer, agent, in_memory_layer, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group, Permission

    channel = listen(in_memory_layer, events.ACCESS_GROUP)
    permission = Permission.objects.get(content_type__app_label="oscar_chat", codename="change_chatroom")
    group = Group.objects.create(name="agents")
    with django_capture_on_commit_callbacks(execute=True):
        group.user_set.add(agent)  # from the group's side
        group.permissions.add(permission)  # a group's permissions: its members
        permission.user_set.remove(agent)  # from the permission's side
        customer.last_login = timezone.now()
        customer.save(update_fields=["last_login"])  # a login changes no access: nothing
        customer.is_active = False
        customer.save()
    assert [message["users"] for message in received(in_memory_layer, channel)] == [
        [agent.pk],
        [agent.pk],
        [agent.pk],
        [customer.pk],
    ]


def test_the_agent_check_is_remembered_until_a_permission_changes(db, agent, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    from oscar_chat.roles import is_agent

    fresh = lambda: get_user_model().objects.get(pk=agent.pk)  # noqa: E731 - a new request's user
    assert is_agent(fresh())
    user = fresh()
    with django_assert_num_queries(0):
        assert is_agent(user)
    agent.user_permissions.clear()
    assert not is_agent(fresh())
