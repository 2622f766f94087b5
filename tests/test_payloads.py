"""The JSON built by ``oscar_chat.payloads`` is what the schema's serializers describe, field for field."""

from oscar_chat import payloads
from oscar_chat.api.serializers import (
    MessageSerializer,
    RoomSerializer,
    UserSummarySerializer,
)

from .factories import open_room, say


def test_payloads_match_the_documented_serializers(customer, agent):
    room = open_room(customer, subject="Shapes")
    sent = [say(room, customer, "Halo"), say(room, agent, "Selamat siang")]
    room.refresh_from_db()
    for viewer_is_customer in (True, False):
        documented = RoomSerializer(room, context={"viewer_is_customer": viewer_is_customer}).data
        assert payloads.room_data(room, viewer_is_customer=viewer_is_customer) == dict(documented)
    for message in sent:
        message.refresh_from_db()
        assert payloads.message_data(message) == dict(MessageSerializer(message).data)
    assert payloads.user_summary(agent) == dict(UserSummarySerializer(agent).data)
    assert payloads.user_summary(agent)["is_agent"] and not payloads.user_summary(customer)["is_agent"]
