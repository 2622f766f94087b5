"""Signals a store can receive to react to the chat, as Oscar's own apps offer theirs.

Each is sent once the writing transaction has committed (never for a write that rolled back),
from the process that made the write. A receiver that raises is logged and does not affect
the write or the other receivers. See docs/extending.md.
"""

from django.dispatch import Signal

# A message was sent. Arguments: ``message`` (ChatMessage), ``room`` (ChatRoom, as the
# message left it: last message, unread counts, status, assignee).
message_posted = Signal()

# A room was opened or its status, priority, assignee or unread counts changed. Arguments:
# ``room`` (ChatRoom), ``changed`` (tuple of field names: "created", "status", "priority",
# "admin", "read"; empty when only the summary changed).
room_changed = Signal()
