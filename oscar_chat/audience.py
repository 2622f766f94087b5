"""Who sees what: the one policy the API, the admin, the events and the stream ask."""

from .models import ChatMessage

# Internal notes -------------------------------------------------------------------------
# A message of these types exists in the agents' view only: never in a customer's history,
# stream, search, previews or unread counts (API 1.1, "Conversation tools").
AGENTS_ONLY_TYPES = frozenset({ChatMessage.MessageType.NOTE})


def customer_may_see(message_type: str) -> bool:
    """Whether a message of ``message_type`` is part of the customer's view of its room."""
    return message_type not in AGENTS_ONLY_TYPES


def message_views(message_type: str) -> tuple[str, ...]:
    """The views (``"customer"``, ``"agent"``) that carry a message of ``message_type``."""
    return ("customer", "agent") if customer_may_see(message_type) else ("agent",)


def messages_in_view(messages, *, viewer_is_customer: bool):
    """``messages`` (a queryset) narrowed to those the viewer's view of their rooms carries."""
    return messages.exclude(message_type__in=AGENTS_ONLY_TYPES) if viewer_is_customer else messages
