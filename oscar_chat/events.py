"""Publishing chat events to the channel layer, after the writing transaction commits.

Groups: every event of a room goes to the group of its customer (``oscar_chat.user.<id>``)
and once to the group all agents' streams share (``oscar_chat.agents``), so an event costs
two group messages whatever the number of agents online. Each group gets the room as its
side sees it (unread counts differ for the customer and the agents).
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

AGENTS_GROUP = "oscar_chat.agents"


def user_group(user_id):
    return f"oscar_chat.user.{user_id}"


def _send(group, payload):
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, payload)
    except Exception:  # noqa: BLE001 - a broken layer must never fail a send; resume repairs streams
        logger.exception("oscar_chat: could not publish %s event to %s", payload.get("event"), group)


def _publish(room, event, customer_data, agent_data, *, seq=None, exclude_user_id=None):
    """Send one event to the customer's group and the agents' group once the transaction commits."""

    def send():
        base = {"type": "chat.event", "event": event, "room": room.pk, "seq": seq, "exclude_user": exclude_user_id}
        _send(user_group(room.user_id), {**base, "data": customer_data()})
        _send(AGENTS_GROUP, {**base, "data": agent_data()})

    transaction.on_commit(send)


def publish_message(message):
    from .api.serializers import message_data

    data = lambda: message_data(message)  # noqa: E731 - the same for both sides
    _publish(message.room, "message", data, data, seq=message.seq)


def publish_room(room):
    from .api.serializers import room_data

    _publish(
        room,
        "room",
        lambda: room_data(room, viewer_is_customer=True),
        lambda: room_data(room, viewer_is_customer=False),
    )


def publish_typing(room, user, is_typing):
    from .api.serializers import user_summary

    data = lambda: {"room": room.pk, "user": user_summary(user), "is_typing": is_typing}  # noqa: E731
    _publish(room, "typing", data, data, exclude_user_id=user.pk)


def publish_read(room, reader, last_read_id):
    from .api.serializers import user_summary

    data = lambda: {"room": room.pk, "reader": user_summary(reader), "last_read_id": last_read_id}  # noqa: E731
    _publish(room, "read", data, data)
