"""The room's first response and resolution times, kept by the services in the writing transaction."""

from django.utils import timezone

from ..models import ChatRoom

ENDED = (ChatRoom.Status.RESOLVED, ChatRoom.Status.CLOSED)
# A message's stamps (first response, reopened: no longer resolved) are written with the
# message itself, in services._room_write_sql.


def on_status_change(room: ChatRoom) -> list[str]:
    """Stamp ``room`` for its new status; returns the fields changed, to save with it."""
    if room.status in ENDED and room.resolved_at is None:
        room.resolved_at = timezone.now()
        return ["resolved_at"]
    if room.status == ChatRoom.Status.OPEN and room.resolved_at is not None:
        room.resolved_at = None
        return ["resolved_at"]
    return []
