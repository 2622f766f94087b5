"""Who sees what: the one policy the API, the admin, the events and the stream ask.

- An agent (``roles.is_agent``) sees every room, in the agents' view (their unread count,
  everything the agents see), except a room of their own, which they see as its customer.
- Anyone else sees their own rooms, in the customer's view.
- Internal notes (``NOTE``) are part of the agents' view only (``message_views``): never in a
  customer's history, stream, search, previews or unread counts (API 1.1).

For the stream the same rule is written as audience keys: a stream listens to keys, an
event is for keys, and a process's hub hands an event to the streams of its keys only.
"""

from collections.abc import Hashable

from .models import ChatMessage
from .roles import is_agent

# Every agent stream not narrowed to one room.
AGENTS = "agents"


def customer_key(user_id: int) -> Hashable:
    return ("customer", user_id)


def room_key(room_id: int) -> Hashable:
    return ("room", room_id)


def sees_all_rooms(user) -> bool:
    return is_agent(user)


def sees_as_customer(user, room) -> bool:
    """Whether ``user`` gets the customer's view of ``room`` (else the agents')."""
    return room.user_id == user.pk or not sees_all_rooms(user)


def view_for(user_id: int, agent: bool, customer_id: int) -> str:
    """``"customer"`` or ``"agent"``: the view a stream of ``user_id`` (an agent or not) gets
    of an event of a room of ``customer_id``. The same rule as ``sees_as_customer``."""
    return "agent" if agent and customer_id != user_id else "customer"


def stream_keys(user_id: int, agent: bool, room_id: int | None) -> list[Hashable]:
    """What a stream listens to: one room (``?room=``), or every room (an agent), or the
    user's own rooms. An agent's own rooms as a customer come through ``AGENTS`` too."""
    if room_id is not None:
        return [room_key(room_id)]
    return [AGENTS] if agent else [customer_key(user_id)]


def event_keys(room_id: int, customer_id: int) -> list[Hashable]:
    """Who an event of a room is for: its customer, the agents, the streams of that room."""
    return [customer_key(customer_id), AGENTS, room_key(room_id)]


# Messages ---------------------------------------------------------------------------------

# Message types that exist in the agents' view only.
AGENTS_ONLY_TYPES = frozenset({ChatMessage.MessageType.NOTE})


def message_views(message_type: str) -> tuple[str, ...]:
    """The views (``"customer"``, ``"agent"``, as ``view_for`` names them) that carry a message
    of ``message_type``."""
    return ("agent",) if message_type in AGENTS_ONLY_TYPES else ("customer", "agent")


def stream_sees(user_id: int, agent: bool, customer_id: int, message_type: str) -> bool:
    """Whether a stream of ``user_id`` carries a message of ``message_type`` in a room of ``customer_id``."""
    return view_for(user_id, agent, customer_id) in message_views(message_type)


def customer_sees(message) -> bool:
    """Whether ``message`` is part of its room's customer's view (e.g. before e-mailing it)."""
    return "customer" in message_views(message.message_type)


def messages_in_view(messages, *, viewer_is_customer: bool):
    """``messages`` (a queryset) narrowed to those the viewer's view of their rooms carries."""
    return messages.exclude(message_type__in=AGENTS_ONLY_TYPES) if viewer_is_customer else messages


# Customer activity ------------------------------------------------------------------------


def customer_activity_keys(room_ids) -> list[Hashable]:
    """Who may get a customer's activity: every agent stream, and the streams narrowed to one of
    the customer's rooms (``sees_customer_activity`` then keeps the agents' among them)."""
    return [AGENTS, *(room_key(room_id) for room_id in room_ids)]


def sees_customer_activity(user_id: int, agent: bool, customer_id: int) -> bool:
    """Whether a stream of ``user_id`` carries the activity of customer ``customer_id``: agents'
    streams only, and never the customer's own (an agent with a room of their own)."""
    return agent and user_id != customer_id
