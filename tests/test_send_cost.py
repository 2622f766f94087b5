"""What one send costs the database (issue: at most 6 SQL statements for an agent's send on
PostgreSQL; 5 since the token's user is cached), counted through the real URLconf, middleware,
DRF view and on-commit publish."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import open_room

# Room lookup, room lock (with its users), INSERT, room UPDATE, the stream sequence; the JWT user
# and the agent check come from the cache after the first request.
AGENT_SEND_STATEMENTS = 5


def _send(client, room, text, client_id):
    response = client.post(f"/api/chat/rooms/{room.pk}", {"message": text, "client_id": client_id}, format="json")
    assert response.status_code == 201, response.content
    return response


@pytest.mark.postgres
def test_an_agent_send_costs_at_most_five_statements(
    needs_postgres, api, customer, agent, django_capture_on_commit_callbacks
):
    room = open_room(customer, message="Hello?")
    client = api(agent)
    with django_capture_on_commit_callbacks(execute=True):
        _send(client, room, "First reply", "c-1")  # the agent check is remembered from then on
    with CaptureQueriesContext(connection) as counted, django_capture_on_commit_callbacks(execute=True) as commits:
        _send(client, room, "Second reply", "c-2")
    assert commits, "the send published nothing"
    # The test runs inside a transaction, so the send's own transaction is a savepoint here
    # (BEGIN and COMMIT in production, which Django does not log either).
    statements = [q["sql"] for q in counted.captured_queries if "SAVEPOINT" not in q["sql"]]
    # After commit, the chat's operations queue their background work (docs/operations.md): the
    # auto-resolve and, for a customer with no stream open, the reply email. Counted apart.
    queued = [sql for sql in statements if "dbtaskresult" in sql]
    assert len(queued) <= 2, "\n".join(queued)
    statements = [sql for sql in statements if sql not in queued]
    assert len(statements) <= AGENT_SEND_STATEMENTS, "\n".join(statements)


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
