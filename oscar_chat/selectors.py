"""Every read of the chat: what a user may see, filtered, and a room's history by cursor."""

import json
import logging
import time

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, Exists, OuterRef, Q, TextField, Value
from django.db.models.functions import Cast, Concat

from . import audience, conf
from .models import ChatMessage, ChatRoom
from .presence import CACHE_KEY as PRESENCE_KEY
from .presence import online_agent_ids
from .roles import agents_queryset, is_agent

logger = logging.getLogger(__name__)


def rooms_visible_to(user):
    """The rooms ``user`` may see (``audience``: an agent every room, anyone else their own)."""
    rooms = ChatRoom.objects.select_related("user", "admin")
    return rooms if audience.sees_all_rooms(user) else rooms.filter(user=user)


def get_visible_room(user, room_id):
    """The room if ``user`` may see it, else None (callers answer 404: ids leak nothing)."""
    try:
        return rooms_visible_to(user).get(pk=room_id)
    except (ChatRoom.DoesNotExist, ValueError, TypeError):
        return None


def get_visible_attachment(user, message_id):
    """The message of ``message_id`` if it carries a file and ``user`` may see its room, else None."""
    return (
        ChatMessage.objects.filter(pk=message_id, room__in=rooms_visible_to(user))
        .exclude(attachment="")
        .only("pk", "room_id", "attachment", "attachment_name", "attachment_content_type")
        .first()
    )


def filter_rooms(rooms, user, *, statuses=None, priorities=None, q=None, unread=False, assigned=None, label=None):
    """Apply the list filters of ``GET rooms``. ``assigned`` is ``"me"``, ``"none"`` or a user id;
    ``label`` (agents): rooms carrying that label (normalised as stored)."""
    if label:
        label = " ".join(label.split()).lower()
        if connections[rooms.db].features.supports_json_field_contains:
            rooms = rooms.filter(labels__contains=[label])
        else:
            # SQLite: the stored JSON text holds the label as one quoted element.
            rooms = rooms.alias(labels_text=Cast("labels", TextField())).filter(labels_text__contains=json.dumps(label))
    if statuses:
        rooms = rooms.filter(status__in=statuses)
    if priorities:
        rooms = rooms.filter(priority__in=priorities)
    if q:
        matching_message = ChatMessage.objects.filter(room=OuterRef("pk"), message__icontains=q)
        if not is_agent(user):
            matching_message = audience.messages_in_view(matching_message, viewer_is_customer=True)
        rooms = rooms.alias(customer_name=Concat("user__first_name", Value(" "), "user__last_name")).filter(
            Q(subject__icontains=q)
            | Q(customer_name__icontains=q)
            | Q(user__email__icontains=q)
            | Q(user__username__icontains=q)
            | Exists(matching_message)
        )
    if unread:
        if is_agent(user):
            # An agent reading the list as the customer of a room of their own sees that side.
            rooms = rooms.filter(
                Q(agent_unread_count__gt=0) & ~Q(user=user) | Q(user=user, customer_unread_count__gt=0)
            )
        else:
            rooms = rooms.filter(customer_unread_count__gt=0)
    if assigned == "me":
        rooms = rooms.filter(admin=user)
    elif assigned == "none":
        rooms = rooms.filter(admin__isnull=True)
    elif assigned is not None:
        rooms = rooms.filter(admin_id=assigned)
    return rooms.order_by("-last_activity", "-id")


# Rooms read for the labels in use (the newest first): enough for suggestions, bounded on big stores.
LABELS_IN_USE_ROOMS = 2000


def labels_in_use() -> list[str]:
    """The labels agents have put on rooms (the newest rooms'), sorted: filter choices and suggestions."""
    rooms = ChatRoom.objects.exclude(labels=[]).order_by("-last_activity").values_list("labels", flat=True)
    return sorted({label for labels in rooms[:LABELS_IN_USE_ROOMS] for label in labels or ()})


def room_history(room, *, viewer_is_customer, before=None, after=None, limit=None):
    """Up to ``limit`` messages of the viewer's view (``audience``), oldest first, and whether
    more exist in the direction read.

    Default: the newest page. ``before``: the page before that message id (older);
    ``after``: the messages after it (newer).
    """
    limit = limit or conf.get("PAGE_SIZE")
    messages = audience.messages_in_view(
        room.messages.select_related("sender", "product"), viewer_is_customer=viewer_is_customer
    )
    if after is not None:
        page = list(messages.filter(id__gt=after).order_by("id")[: limit + 1])
        has_more = len(page) > limit
        return page[:limit], has_more
    if before is not None:
        messages = messages.filter(id__lt=before)
    page = list(messages.order_by("-id")[: limit + 1])
    has_more = len(page) > limit
    return list(reversed(page[:limit])), has_more


def unread_summary(user):
    """``{"total": messages unread by user, "rooms": rooms with any}``."""
    from django.db.models import Count, Sum
    from django.db.models.functions import Coalesce

    own = ChatRoom.objects.filter(user=user, customer_unread_count__gt=0).aggregate(
        total=Coalesce(Sum("customer_unread_count"), 0), rooms=Count("id")
    )
    total, count = own["total"], own["rooms"]
    if is_agent(user):
        agent = (
            ChatRoom.objects.filter(agent_unread_count__gt=0)
            .exclude(user=user)
            .aggregate(total=Coalesce(Sum("agent_unread_count"), 0), rooms=Count("id"))
        )
        total += agent["total"]
        count += agent["rooms"]
    return {"total": total, "rooms": count}


def stream_position():
    """The ``seq`` of the last committed message (0 before the first).

    Seqs are taken in commit order under a row lock, so every message with a smaller seq
    is committed too: a reader that saw this position can read everything up to it.
    """
    from .models import StreamSequence

    return StreamSequence.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0


def stream_messages(*, after, upto, user=None, room_id=None, limit=None):
    """Messages with ``after < seq <= upto`` in seq order, of one room, of one customer's rooms, or all.

    ``user``: only that customer's rooms (a customer's stream); ``room_id``: only that room;
    neither: every room (an agent's stream, or a server process repairing its feed).
    """
    messages = ChatMessage.objects.filter(seq__gt=after, seq__lte=upto)
    if room_id is not None:
        messages = messages.filter(room_id=room_id)
    if user is not None:
        messages = messages.filter(room__user=user)
    messages = messages.select_related("sender", "product", "room").order_by("seq")
    return list(messages[:limit] if limit else messages)


def presence() -> dict:
    """Whether any agent is online (holds a live stream), and the expected reply time otherwise;
    with the opening hours: whether the shop answers now, and when it opens next."""
    from .operations.hours import availability

    now = time.time()
    online = sum(1 for until in (cache.get(PRESENCE_KEY) or {}).values() if until > now)
    expected = conf.get("EXPECTED_REPLY_TIME")
    return {
        "online": online > 0,
        "agents_online": online,
        "expected_reply": str(expected) if expected else None,
        **availability(),
    }


# Assignment and customer activity (docs/assignment.md) -------------------------------------


def open_rooms_assigned(agent_ids) -> dict[int, int]:
    """``{agent id: OPEN rooms assigned to them}`` for ``agent_ids`` (agents with none are left out)."""
    rows = (
        ChatRoom.objects.filter(admin_id__in=agent_ids, status=ChatRoom.Status.OPEN)
        .values("admin_id")
        .annotate(open=Count("id"))
        .values_list("admin_id", "open")
    )
    return dict(rows)


def under_assignment_cap(agent_ids) -> set[int]:
    """Those of ``agent_ids`` with fewer open rooms assigned than ``AUTO_ASSIGN_MAX_OPEN`` (None: all)."""
    cap = conf.get("AUTO_ASSIGN_MAX_OPEN")
    if cap is None:
        return set(agent_ids)
    counts = open_rooms_assigned(agent_ids)
    return {pk for pk in agent_ids if counts.get(pk, 0) < cap}


def assignable_agents(*, exclude_user_id: int | None = None) -> set[int]:
    """Ids of the agents the round robin may give a new room now: online (an event stream open on
    any server process), still agents, and under ``AUTO_ASSIGN_MAX_OPEN``."""
    try:
        online = online_agent_ids() - {exclude_user_id}
    except Exception:  # noqa: BLE001 - the cache is down: nobody counts as online, the room waits unassigned
        logger.warning("oscar_chat: agents' presence unknown (cache error); no automatic assignment", exc_info=True)
        return set()
    if not online:
        return set()
    agents = set(agents_queryset().filter(pk__in=online).values_list("pk", flat=True))
    return under_assignment_cap(agents) if agents else set()


# Rooms of one customer whose narrowed agent streams get the customer's activity too.
ACTIVITY_ROOMS = 20


def activity_rooms(customer_id: int) -> list[int]:
    """The customer's rooms, newest activity first (at most ``ACTIVITY_ROOMS``); empty: not a chat
    customer, whose activity nobody is told."""
    rooms = ChatRoom.objects.filter(user_id=customer_id).order_by("-last_activity")
    return list(rooms.values_list("pk", flat=True)[:ACTIVITY_ROOMS])


def has_rooms(user) -> bool:
    return ChatRoom.objects.filter(user=user).exists()
