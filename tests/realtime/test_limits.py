"""Limits and outages on real daphne processes: open streams per user, bodies, a database and a
channel layer that cannot be reached."""

import json
import socket
import time

import httpx
import pytest

from oscar_chat import services

from ..conftest import redis_reachable, redis_url, require_service
from ..live import start_daphne
from .conftest import FAST, token
from .sse import Stream

pytestmark = [pytest.mark.live, pytest.mark.timeout(120)]

CAP = {"OSCAR_CHAT_SSE_MAX_STREAMS_PER_USER": "2", "OSCAR_CHAT_SSE_SLOT_LEASE_SECONDS": "1.5"}


def closed_port():
    """A local port nothing listens on (connections to it are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def open_until_accepted(url, user_token, timeout=8.0):
    """A stream opened as soon as the server accepts it (a freed slot is seen a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        stream = Stream(url, token=user_token)
        if stream.status == 200 or time.monotonic() > deadline:
            return stream
        stream.close()
        time.sleep(0.2)


def assert_json(response_or_stream, status):
    if isinstance(response_or_stream, Stream):
        got, headers, body = response_or_stream.status, response_or_stream.response_headers, response_or_stream.body
    else:
        got, headers, body = response_or_stream.status_code, response_or_stream.headers, response_or_stream.content
    assert got == status, body
    assert headers["content-type"].startswith("application/json"), headers
    return json.loads(body)


@pytest.fixture(scope="module")
def capped_server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        server = start_daphne(env={**FAST, **CAP}, name="daphne-capped")
    yield server
    server.stop()


def test_open_streams_per_user_are_capped_and_a_closed_stream_frees_its_slot(capped_server, people):
    customer, other = people.customer(), people.customer("other")
    first, second = Stream(capped_server.url, token=token(customer)), Stream(capped_server.url, token=token(customer))
    try:
        assert (first.status, second.status) == (200, 200)
        with Stream(capped_server.url, token=token(customer)) as third:
            body = assert_json(third, 429)
            assert body["code"] == "too_many_streams"
            assert int(third.response_headers["retry-after"]) >= 1
        # Per user: someone else still gets theirs.
        with Stream(capped_server.url, token=token(other)) as theirs:
            assert theirs.status == 200
        # Slots are leases the open streams renew: still counted after several lease periods.
        time.sleep(4)
        with Stream(capped_server.url, token=token(customer)) as still_refused:
            assert still_refused.status == 429
        first.close()
        with open_until_accepted(capped_server.url, token(customer)) as replacement:
            assert replacement.status == 200
    finally:
        first.close()
        second.close()


def test_the_stream_refuses_a_request_body_without_reading_it(capped_server, people):
    customer = people.customer()
    headers = {"Authorization": f"Bearer {token(customer)}"}
    url = f"{capped_server.url}/api/chat/sse"
    with httpx.Client(timeout=10) as client:
        response = client.request("GET", url, headers=headers, content=b"x" * 100_000)
        assert assert_json(response, 413)["code"] == "body_not_allowed"
        chunked = client.request("GET", url, headers=headers, content=iter([b"a" * 1000, b"b" * 1000]))
        assert_json(chunked, 413)
        # Without a body the same request opens the stream.
        with client.stream("GET", url, headers=headers) as fine:
            assert fine.status_code == 200


@pytest.fixture(scope="module")
def two_capped_servers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        require_service(redis_reachable(), "Redis (REDIS_URL)")
        env = {**FAST, **CAP, "OSCAR_CHAT_SSE_MAX_STREAMS_PER_USER": "3", "REDIS_URL": redis_url()}
        servers = [start_daphne(env=env, name="daphne-a"), start_daphne(env=env, name="daphne-b")]
    yield servers
    for server in servers:
        server.stop()


@pytest.mark.redis
def test_the_stream_cap_holds_across_processes_and_a_killed_process_frees_its_slots(two_capped_servers, people):
    a, b = two_capped_servers
    customer = people.customer()
    user_token = token(customer)
    on_a = [Stream(a.url, token=user_token) for _ in range(2)]
    on_b = [Stream(b.url, token=user_token)]
    try:
        assert [s.status for s in on_a + on_b] == [200, 200, 200]
        for server in (a, b):
            with Stream(server.url, token=user_token) as refused:
                assert_json(refused, 429)
        # A dies without a chance to release anything: its slots end with their leases.
        a.proc.kill()
        a.proc.wait(10)
        on_b += [open_until_accepted(b.url, user_token) for _ in range(2)]
        assert [s.status for s in on_b] == [200, 200, 200]
        with Stream(b.url, token=user_token) as refused:
            assert_json(refused, 429)
    finally:
        for stream in on_a + on_b:
            stream.close()


def test_an_unreachable_database_is_a_json_503_with_retry_after_under_the_api(db, people):
    customer = people.customer()
    env = {
        **FAST,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/unreachable",
        "DATABASE_POOL_TIMEOUT": "1",
        # As in production: in DEBUG, Django's flatpages fallback lets a 404's database error through.
        "DEBUG": "0",
    }
    server = start_daphne(env=env, name="daphne-no-database")
    try:
        api = f"{server.url}/api/chat"
        bearer = {"Authorization": f"Bearer {token(customer)}"}
        with httpx.Client(timeout=20) as client:
            for response in (
                client.get(f"{api}/rooms", headers=bearer),
                client.post(f"{api}/rooms/1", headers=bearer, json={"message": "Hello?"}),
                # A session is read by middleware (Oscar's basket) before the API's view runs.
                httpx.get(f"{api}/unread", cookies={"sessionid": "a" * 32}, timeout=20),
            ):
                body = assert_json(response, 503)
                assert body["detail"]
                assert int(response.headers["retry-after"]) >= 1
            with Stream(server.url, token=token(customer)) as stream:
                assert assert_json(stream, 503)["code"] == "unavailable"
                assert int(stream.response_headers["retry-after"]) >= 1
            assert_json(client.get(f"{api}/no/such/endpoint"), 404)
    finally:
        server.stop()


def test_an_unreachable_channel_layer_is_a_json_503_for_live_updates_while_sending_works(db, people):
    customer = people.customer()
    room = services.open_room(customer=customer, opened_by=customer, subject="Layer down")
    server = start_daphne(env={**FAST, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/3"}, name="daphne-no-layer")
    try:
        bearer = {"Authorization": f"Bearer {token(customer)}"}
        with httpx.Client(base_url=f"{server.url}/api/chat", timeout=30) as client:
            with Stream(server.url, token=token(customer)) as stream:
                assert_json(stream, 503)
                assert int(stream.response_headers["retry-after"]) >= 1
            ticket = client.post("/sse/ticket", headers=bearer)
            assert_json(ticket, 503)
            assert int(ticket.headers["retry-after"]) >= 1
            sent = client.post(f"/rooms/{room.pk}", headers=bearer, json={"message": "Stored all the same"})
            assert assert_json(sent, 201)["message"] == "Stored all the same"
    finally:
        server.stop()


@pytest.mark.postgres
def test_connections_the_database_dropped_are_replaced_not_failed_on(db, people):
    from django.db import connection

    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    customer = people.customer()
    server = start_daphne(env=FAST, name="daphne-dropped-connections")
    try:
        bearer = {"Authorization": f"Bearer {token(customer)}"}
        with httpx.Client(base_url=f"{server.url}/api/chat", headers=bearer, timeout=20) as client:
            assert [client.get("/rooms").status_code for _ in range(3)] == [200] * 3
            with connection.cursor() as cursor:
                # What a database restart or a failover does to the server's pooled connections.
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                )
                assert cursor.fetchone()[0] >= 1
            assert [client.get("/rooms").status_code for _ in range(5)] == [200] * 5
    finally:
        server.stop()
