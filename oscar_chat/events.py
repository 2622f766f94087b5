"""Publishing chat events to the channel layer, after the writing transaction commits.

Two groups (see the README, "Real time"), each holding one channel per server process that
has streams open (``oscar_chat.sse.hub``), whatever the number of streams:

- ``oscar_chat.messages``: every write once, with every view of it: a message (``seq``
  orders and repairs delivery) with the room as its customer and as the agents now see it,
  and room, typing and read events. The room's state carries its ``room_version``: two
  writes announced from two threads or processes may reach a hub in either order, and the
  hub hands out only the newer state. Each process's hub hands them to its local streams of
  that room's audience only (``oscar_chat.audience``). One group message per write. Also a
  customer's live activity (``customer``: page, basket), for the agents' streams only.
- ``oscar_chat.access``: "the access of these users changed" (deactivated, permissions or
  groups changed, logged out). Every process re-checks the streams of those users and ends
  those that lost access (``oscar_chat.receivers``).

The store's own receivers hear the same writes through ``oscar_chat.signals`` (also after
commit).
"""

import asyncio
import logging
import threading
from contextlib import contextmanager

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from . import audience, payloads, signals

logger = logging.getLogger(__name__)

MESSAGES_GROUP = "oscar_chat.messages"
ACCESS_GROUP = "oscar_chat.access"


_local = threading.local()
_publishing: set[asyncio.Future] = (
    set()
)  # the publishes under way on the serving loop (kept from the garbage collector)


@contextmanager
def publishing_on(loop):
    """Within: events are handed to ``loop`` (the server's event loop, this code running in one
    of its worker threads) to publish, without waiting for them: no hop back into the loop and
    wait per event. Their order is kept; a failure is logged, as always."""
    _local.loop = loop
    try:
        yield
    finally:
        _local.loop = None


async def _publish(layer, group, payload):
    try:
        await layer.group_send(group, payload)
    except Exception:  # noqa: BLE001 - a broken layer must never fail a write; streams repair from the database
        logger.exception("oscar_chat: could not publish %s event", payload.get("event"))


def _start_publish(layer, group, payload):
    task = asyncio.ensure_future(_publish(layer, group, payload))
    _publishing.add(task)
    task.add_done_callback(_publishing.discard)


def _send(group, payload):
    layer = get_channel_layer()
    if layer is None:
        return
    loop = getattr(_local, "loop", None)
    if loop is not None and not loop.is_closed():
        loop.call_soon_threadsafe(_start_publish, layer, group, payload)
        return
    try:
        async_to_sync(layer.group_send)(group, payload)
    except Exception:  # noqa: BLE001 - a broken layer must never fail a write; streams repair from the database
        logger.exception("oscar_chat: could not publish %s event", payload.get("event"))


def _signal(signal, sender, **kwargs):
    for receiver, result in signal.send_robust(sender=sender, **kwargs):
        if isinstance(result, Exception):
            logger.error("oscar_chat: receiver %r of a chat signal failed", receiver, exc_info=result)


def _room_views(room):
    return payloads.room_views(room)


def _event(room, event, views, *, exclude_user_id=None):
    return {
        "type": "chat.event",
        "event": event,
        "room": room.pk,
        "customer": room.user_id,
        "exclude_user": exclude_user_id,
        "views": views,
    }


def message_posted(message, room):
    """A new message and the room it changed: one group message once the transaction commits.

    Built at commit, from the objects as the transaction left them (no query).
    """

    def send():
        _send(
            MESSAGES_GROUP,
            {
                "type": "chat.message",
                "event": "message",
                "seq": message.seq,
                "room": room.pk,
                "customer": room.user_id,
                "data": payloads.message_data(message),
                # A message the customer does not see (a note) leaves the room as it was: no room event.
                "room_views": _room_views(room) if "customer" in audience.message_views(message.message_type) else None,
                "room_version": room.version,
            },
        )
        _signal(signals.message_posted, type(message), message=message, room=room)

    transaction.on_commit(send)


def room_changed(room, *, changed=()):
    """Status, priority, assignee or unread counts of ``room`` changed."""

    def send():
        _send(MESSAGES_GROUP, {**_event(room, "room", _room_views(room)), "room_version": room.version})
        _signal(signals.room_changed, type(room), room=room, changed=tuple(changed))

    transaction.on_commit(send)


def publish_typing(room, user, is_typing):
    data = {"room": room.pk, "user": payloads.user_summary(user), "is_typing": is_typing}
    _send(MESSAGES_GROUP, _event(room, "typing", {"customer": data}, exclude_user_id=user.pk))


def publish_read(room, reader, last_read_id):
    def send():
        data = {"room": room.pk, "reader": payloads.user_summary(reader), "last_read_id": last_read_id}
        _send(MESSAGES_GROUP, _event(room, "read", {"customer": data}))

    transaction.on_commit(send)


def publish_customer_activity(customer_id, room_ids, data):
    """A chat customer's activity (``payloads.customer_activity``) for the agents' streams, after
    commit. ``room_ids``: the customer's rooms, whose narrowed agent streams get it too."""
    payload = {"type": "chat.customer", "customer": customer_id, "rooms": list(room_ids), "data": data}
    transaction.on_commit(lambda: _send(MESSAGES_GROUP, payload))


def publish_access_changed(user_ids, *, session_key=None):
    """Tell every process that the access of ``user_ids`` changed, once the transaction commits.

    ``session_key``: that session ended (logout); the streams opened with it end at once.
    """
    users = sorted({int(pk) for pk in user_ids if pk is not None})
    if not users:
        return
    payload = {"type": "chat.access", "users": users, "session": session_key}
    transaction.on_commit(lambda: _send(ACCESS_GROUP, payload))
