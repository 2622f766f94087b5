"""Publishing chat events to the channel layer, after the writing transaction commits.

Groups (see the README, "Real time"):

- ``oscar_chat.messages``: every message, once. Each server process that has streams open
  holds one subscription to it and hands each message to its local streams in ``seq``
  order, repairing gaps from the database (``oscar_chat.sse.hub``). A message costs one
  group message whatever the number of streams, agents included.
- ``oscar_chat.user.<customer id>``: room, typing and read events of that customer's rooms,
  as the customer sees them.
- ``oscar_chat.agents``: the same events of every room, as the agents see them (one group
  message per event, however many agents are online).
- ``oscar_chat.room.<room id>``: the same events of one room, with both views, for streams
  narrowed with ``?room=``.
- ``oscar_chat.access``: "the access of these users changed" (deactivated, permissions or
  groups changed, logged out). Every process with streams open listens, re-checks the
  streams of those users and ends those that lost access (``oscar_chat.receivers``).

Every payload names the group it was sent to (``group``): a process subscribes once per
group for all of its streams and routes by that name.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

MESSAGES_GROUP = "oscar_chat.messages"
AGENTS_GROUP = "oscar_chat.agents"
ACCESS_GROUP = "oscar_chat.access"


def user_group(user_id):
    return f"oscar_chat.user.{user_id}"


def room_group(room_id):
    return f"oscar_chat.room.{room_id}"


def _send(group, payload):
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {**payload, "group": group})
    except Exception:  # noqa: BLE001 - a broken layer must never fail a write; streams repair from the database
        logger.exception("oscar_chat: could not publish %s event to %s", payload.get("event"), group)


def _publish(room, event, customer_data, agent_data, *, exclude_user_id=None):
    """Send a room, typing or read event to the room's three groups once the transaction commits."""

    def send():
        customer_view = customer_data()
        agent_view = customer_view if agent_data is customer_data else agent_data()
        base = {
            "type": "chat.event",
            "event": event,
            "room": room.pk,
            "customer": room.user_id,
            "exclude_user": exclude_user_id,
        }
        _send(user_group(room.user_id), {**base, "data": customer_view})
        _send(AGENTS_GROUP, {**base, "data": agent_view})
        both = {**base, "data": customer_view}
        if agent_view != customer_view:
            both["agent_data"] = agent_view
        _send(room_group(room.pk), both)

    transaction.on_commit(send)


def publish_message(message):
    """One group message for every stream of every process; ``seq`` orders and repairs delivery."""
    from .api.serializers import message_data

    def send():
        _send(
            MESSAGES_GROUP,
            {
                "type": "chat.message",
                "event": "message",
                "seq": message.seq,
                "room": message.room_id,
                "customer": message.room.user_id,
                "data": message_data(message),
            },
        )

    transaction.on_commit(send)


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


def publish_access_changed(user_ids, *, session_key=None):
    """Tell every process that the access of ``user_ids`` changed, once the transaction commits.

    ``session_key``: that session ended (logout); the streams opened with it end at once.
    """
    users = sorted({int(pk) for pk in user_ids if pk is not None})
    if not users:
        return
    payload = {"type": "chat.access", "users": users, "session": session_key}
    transaction.on_commit(lambda: _send(ACCESS_GROUP, payload))
