"""Who sees what: the one policy the API, the admin, the events and the stream ask.

- An agent (``roles.is_agent``) sees every room, in the agents' view (their unread count,
  everything the agents see), except a room of their own, which they see as its customer.
- Anyone else sees their own rooms, in the customer's view.

For the stream the same rule is written as audience keys: a stream listens to keys, an
event is for keys, and a process's hub hands an event to the streams of its keys only.
"""

from collections.abc import Hashable

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
