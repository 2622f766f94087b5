"""What one send costs the database (issue: at most 6 SQL statements for an agent's send on
PostgreSQL), counted through the real URLconf, middleware, DRF view and on-commit publish, and
through ``OSCAR_CHAT_FAST_SEND``'s path."""

import gc

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import open_room

# The view's room lookup, then the write: one statement (the room locked and stamped, the stream
# position, the INSERT, the room and its users read back: services._write_message). The JWT user
# and the agent check come from the cache after the first request.
AGENT_SEND_STATEMENTS = 2
# The fast path has the write find the room: one statement.
FAST_SEND_STATEMENTS = 1


def _statements(counted):
    """The send's own statements. The test runs inside a transaction, so the send's transaction is
    a savepoint here (BEGIN and COMMIT in production, which Django does not log either). After
    commit, the chat's operations queue their background work (docs/operations.md): the
    auto-resolve sweep and, for a customer with no stream open, the reply email; counted apart."""
    statements = [q["sql"] for q in counted.captured_queries if "SAVEPOINT" not in q["sql"]]
    queued = [sql for sql in statements if "dbtaskresult" in sql]
    assert len(queued) <= 2, "\n".join(queued)
    return [sql for sql in statements if sql not in queued]


def _send(client, room, text, client_id):
    response = client.post(f"/api/chat/rooms/{room.pk}", {"message": text, "client_id": client_id}, format="json")
    assert response.status_code == 201, response.content
    return response


@pytest.mark.postgres
def test_an_agent_send_costs_two_statements(needs_postgres, api, customer, agent, django_capture_on_commit_callbacks):
    room = open_room(customer, message="Hello?")
    client = api(agent)
    with django_capture_on_commit_callbacks(execute=True):
        _send(client, room, "First reply", "c-1")  # the agent check is remembered from then on
    with CaptureQueriesContext(connection) as counted, django_capture_on_commit_callbacks(execute=True) as commits:
        _send(client, room, "Second reply", "c-2")
    assert commits, "the send published nothing"
    statements = _statements(counted)
    assert len(statements) == AGENT_SEND_STATEMENTS, "\n".join(statements)


@pytest.mark.postgres
def test_a_repeated_client_id_returns_the_first_message_and_costs_no_write(
    needs_postgres, api, customer, agent, django_capture_on_commit_callbacks
):
    room = open_room(customer)
    client = api(agent)
    first = _send(client, room, "Once", "same").json()
    again = client.post(f"/api/chat/rooms/{room.pk}", {"message": "Once", "client_id": "same"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert room.messages.count() == 1


def _fast_send(room, user, text, client_id):
    """``OSCAR_CHAT_FAST_SEND``'s worker-thread step, as ``fast_send.handle`` runs it."""
    import json

    from rest_framework_simplejwt.tokens import AccessToken

    from oscar_chat.api import fast_send

    body = json.dumps({"message": text, "client_id": client_id}).encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": f"/api/chat/rooms/{room.pk}",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {AccessToken.for_user(user)}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
        "oscar_chat_room_id": str(room.pk),
    }
    answered = fast_send._send(scope, body)
    assert answered is not fast_send.HANDED_OVER
    return answered


@pytest.mark.postgres
def test_a_fast_send_costs_one_statement(needs_postgres, customer, agent, settings, django_capture_on_commit_callbacks):
    room = open_room(customer, message="Hello?")
    with django_capture_on_commit_callbacks(execute=True):
        _fast_send(room, agent, "First reply", "c-1")  # the user and the agent check are remembered from then on
    with CaptureQueriesContext(connection) as counted, django_capture_on_commit_callbacks(execute=True) as commits:
        data, status = _fast_send(room, agent, "Second reply", "c-2")
    assert status == 201 and data["message"] == "Second reply"
    assert commits, "the send published nothing"
    statements = _statements(counted)
    assert len(statements) == FAST_SEND_STATEMENTS, "\n".join(statements)


@pytest.mark.postgres
def test_a_fast_send_leaves_nothing_to_the_cyclic_garbage_collector(
    needs_postgres, customer, agent, django_capture_on_commit_callbacks
):
    """A send's message, room and users are freed once it is answered, not left in reference
    cycles for Python's cyclic collector, whose full passes stop the whole server process (the
    stream's latency tail, docs/realtime-performance.md)."""
    from django.db.models.fields.files import FieldFile

    from oscar_chat.models import ChatMessage, ChatRoom
    from oscar_chat.user_cache import CachedUsers

    room = open_room(customer, message="Hello?")
    with django_capture_on_commit_callbacks(execute=True):
        _fast_send(room, agent, "First reply", "c-1")
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for n in range(5):
            with django_capture_on_commit_callbacks(execute=True):
                _fast_send(room, agent, f"Reply {n}", f"c-{n + 2}")
        gc.collect()
        kinds = (ChatMessage, ChatRoom, FieldFile, CachedUsers, get_user_model())
        left = [type(o).__name__ for o in gc.garbage if isinstance(o, kinds)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
