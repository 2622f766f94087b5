import time
import uuid

import httpx
import pytest
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.tokens import AccessToken

from oscar_chat import services
from oscar_chat.models import ChatRoom

from ..conftest import PASSWORD, make_user
from ..live import start_daphne

# Short periods so that the real-time suite stays fast; each is an OSCAR_CHAT_* setting.
FAST = {
    "OSCAR_CHAT_SSE_KEEPALIVE_SECONDS": "0.3",
    "OSCAR_CHAT_SSE_RETRY_MS": "250",
    "OSCAR_CHAT_SSE_TICKET_TTL": "2",
    "OSCAR_CHAT_SSE_REPLAY_LIMIT": "100",
    "OSCAR_CHAT_SSE_CATCHUP_SECONDS": "1",
    "OSCAR_CHAT_SSE_ACCESS_CHECK_SECONDS": "1",
    "OSCAR_CHAT_SSE_MAX_BUFFERED_EVENTS": "5",
    "OSCAR_CHAT_RATE_LIMIT_MESSAGES": "100000",
    "OSCAR_CHAT_RATE_LIMIT_ROOMS": "100000",
    "OSCAR_CHAT_SSE_MAX_STREAMS_PER_USER": "100000",
    "OSCAR_CHAT_MAX_MESSAGE_LENGTH": "200000",
}


def token(user):
    return str(AccessToken.for_user(user))


class Api:
    """The chat API of a live server, as ``user`` (JWT)."""

    def __init__(self, server, user):
        self.server = server
        self.user = user
        self.token = token(user)
        self.client = httpx.Client(
            base_url=f"{server.url}/api/chat/", headers={"Authorization": f"Bearer {self.token}"}, timeout=20
        )

    def send(self, room, text, **extra):
        response = self.client.post(f"rooms/{room.pk}", json={"message": text, **extra})
        assert response.status_code == 201, response.text
        return response.json()

    def post(self, path, **kwargs):
        return self.client.post(path, **kwargs)

    def patch(self, path, **kwargs):
        return self.client.patch(path, **kwargs)

    def close(self):
        self.client.close()


def streams_of(server):
    return httpx.get(f"{server.url}/__debug__/chat-streams/", timeout=10).json()


def wait_for_no_streams(server, timeout=5.0):
    """Until the server has let go of every stream (disconnects are processed asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        state = streams_of(server)
        if state["consumers"] == 0 and all(hub["streams"] == 0 for hub in state["hubs"]):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"streams still open on the server: {state}\n{server.logs()[-4000:]}")
        time.sleep(0.05)


class People:
    """Users made for one test, committed at once (server processes see them) and deleted after
    it with everything they own. Live tests run in autocommit with no flush: flushing Oscar's
    hundred tables after every test would cost seconds each on PostgreSQL."""

    def __init__(self):
        self.users = []

    def _make(self, name, **kwargs):
        user = make_user(f"{name}-{uuid.uuid4().hex[:8]}", **kwargs)
        self.users.append(user)
        return user

    def customer(self, name="customer", first="Eka", last="Pratama"):
        return self._make(name, first=first, last=last)

    def agent(self, name="agent", first="Budi", last="Santoso"):
        return self._make(name, staff=True, perms=["change_chatroom"], first=first, last=last)

    def cleanup(self):
        ChatRoom.objects.filter(user__in=self.users).delete()
        get_user_model().objects.filter(pk__in=[u.pk for u in self.users]).delete()


@pytest.fixture
def db(django_db_setup, django_db_blocker):
    """In this package, ``db`` is the test database in autocommit: what a test writes is
    committed at once, for the server processes to see, and no flush follows (``People``
    deletes what a test made). The name makes pytest-django create the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def people(db):
    made = People()
    try:
        yield made
    finally:
        made.cleanup()


@pytest.fixture(scope="module")
def sse_server(django_db_setup, django_db_blocker):
    """One daphne process for the module, with short keep-alive, retry and ticket lifetime."""
    with django_db_blocker.unblock():
        server = start_daphne(env=FAST)
    yield server
    server.stop()


@pytest.fixture
def live(sse_server, people):
    """``live.api(user)``, ``live.room(customer)``, ``live.customer()``, ``live.agent()``; on
    teardown, checks the server let go of every stream."""
    clients = []

    class Live:
        server = sse_server
        url = sse_server.url
        customer = people.customer
        agent = people.agent

        @staticmethod
        def api(user):
            client = Api(sse_server, user)
            clients.append(client)
            return client

        @staticmethod
        def room(customer, subject="Order question"):
            return services.open_room(customer=customer, opened_by=customer, subject=subject)

    yield Live
    for client in clients:
        client.close()
    wait_for_no_streams(sse_server)


__all__ = ["PASSWORD", "token", "Api", "FAST", "streams_of", "wait_for_no_streams"]
