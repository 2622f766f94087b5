"""Django admin for oscar_chat: the agents' dashboard (rooms, conversations) and quick replies."""

from .canned import CannedResponseAdmin
from .rooms import ChatRoomAdmin

__all__ = ["CannedResponseAdmin", "ChatRoomAdmin"]
