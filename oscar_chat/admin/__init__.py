"""Django admin for oscar_chat: the agents' dashboard (rooms, conversations) and quick replies."""

from .canned import CannedResponseAdmin
from .operations import AutoReplyAdmin, ChatReportAdmin, HolidayAdmin, OpeningHoursAdmin
from .rooms import ChatRoomAdmin

__all__ = [
    "AutoReplyAdmin",
    "CannedResponseAdmin",
    "ChatReportAdmin",
    "ChatRoomAdmin",
    "HolidayAdmin",
    "OpeningHoursAdmin",
]
