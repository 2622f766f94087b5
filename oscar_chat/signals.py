"""Signals of the chat, sent once the writing transaction has committed (extension points).

- ``message_posted(sender=ChatMessage, message, room)``: a message was sent to a room.
- ``room_opened(sender=ChatRoom, room, opened_by)``: a room was opened.
- ``room_changed(sender=ChatRoom, room, changed, by)``: status, priority or assignee changed
  (``changed``: the names of the fields).
"""

from django.dispatch import Signal

message_posted = Signal()
room_opened = Signal()
room_changed = Signal()
