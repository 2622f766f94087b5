"""The room's first response and resolution times, kept by the services in the writing transaction."""

from django.utils import timezone

from ..models import ChatMessage, ChatRoom

ENDED = (ChatRoom.Status.RESOLVED, ChatRoom.Status.CLOSED)
# The fields on_message may change, for the caller's save(update_fields=...).
MESSAGE_FIELDS = ("first_response_at", "resolved_at")


def on_message(room: ChatRoom, message: ChatMessage, *, from_customer: bool) -> None:
    """Stamp ``room`` (saved by the caller) for a message just sent to it."""
    if from_customer:
        # A customer's message reopens the room: it is no longer resolved.
        room.resolved_at = None
    elif room.first_response_at is None and not message.is_automatic:
        room.first_response_at = message.created_at


def on_status_change(room: ChatRoom) -> list[str]:
    """Stamp ``room`` for its new status; returns the fields changed, to save with it."""
    if room.status in ENDED and room.resolved_at is None:
        room.resolved_at = timezone.now()
        return ["resolved_at"]
    if room.status == ChatRoom.Status.OPEN and room.resolved_at is not None:
        room.resolved_at = None
        return ["resolved_at"]
    return []
