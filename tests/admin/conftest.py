import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client

from oscar_chat import services
from oscar_chat.models import ChatRoom
from tests.conftest import make_user

CHANGELIST = "/admin/oscar_chat/chatroom/"


def room_url(room):
    return f"{CHANGELIST}{room.pk}/change/"


@pytest.fixture
def viewer(db):
    """Staff who may only view conversations."""
    return make_user("viewer", staff=True, perms=["view_chatroom"], first="Dewi", last="Viewer")


@pytest.fixture
def signed_in():
    """``signed_in(user)``: a Django test client with ``user``'s admin session."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def make_room():
    """``make_room(customer, subject, *texts, by=None, ...)``: a room opened through the services."""

    def make(customer, subject, *texts, agent=None, replies=(), status=None, priority=None):
        room = services.open_room(customer=customer, opened_by=customer, subject=subject)
        for text in texts:
            services.post_message(room, customer, message=text)
        for text in replies:
            services.post_message(room, agent, message=text)
        if status or priority:
            services.manage_room(room, status=status, priority=priority)
        return ChatRoom.objects.get(pk=room.pk)

    return make


class Recorder:
    """Collects what the chat publishes to one channel-layer group (the real in-memory layer)."""

    def __init__(self, layer, group):
        self.layer = layer
        self.channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(group, self.channel)

    def events(self, timeout=0.05):
        async def drain():
            received = []
            while True:
                try:
                    received.append(await asyncio.wait_for(self.layer.receive(self.channel), timeout))
                except TimeoutError:
                    return received

        return async_to_sync(drain)()


@pytest.fixture
def chat_events(settings):
    """``chat_events(group)``: start recording a group; ``.events()`` once, after the action."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer = get_channel_layer()
    return lambda group: Recorder(layer, group)
