"""Streams that come and go, clients that stop reading: nothing is left behind, nothing grows."""

import os
import socket
import time
from urllib.parse import urlparse

import pytest

from oscar_chat import services

from ..live import start_daphne
from .conftest import FAST, Api, streams_of, wait_for_no_streams
from .sse import Parser, Stream

pytestmark = [pytest.mark.live, pytest.mark.timeout(120)]


def open_raw_stream(server, token, *, receive_buffer=None, last_event_id=None, room=None):
    """A bare socket speaking HTTP/1.1: full control over how (and whether) it reads."""
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", server.port))
    extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id else ""
    query = f"?room={room}" if room else ""
    head = f"GET /api/chat/sse{query} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n{extra}\r\n"
    sock.sendall(head.encode())
    return sock


def read_head(sock):
    """The response head and the stream's first chunk (retry:)."""
    data = b""
    while b"\r\n\r\n" not in data or (data.startswith(b"HTTP/1.1 200") and b"\n\n\r\n" not in data):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def dechunk(data):
    """The body of a chunked HTTP/1.1 response (as far as it arrived)."""
    body, rest = b"", data.split(b"\r\n\r\n", 1)[1]
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        if not size_line:
            break
        size = int(size_line, 16)
        body, rest = body + rest[:size], rest[size + 2 :]
    return body


def test_200_streams_opened_and_closed_leave_nothing_behind(live):
    customer, agent = live.customer(), live.agent()
    room = live.room(customer)
    tokens = [live.api(customer).token, live.api(agent).token]
    with open_raw_stream(live.server, tokens[0]) as warm_up:  # the channel layer is up from here
        assert read_head(warm_up).startswith(b"HTTP/1.1 200")
    baseline = wait_for_no_streams(live.server)

    for n in range(200):
        sock = open_raw_stream(live.server, tokens[n % 2], room=room.pk if n % 3 == 0 else None)
        head = read_head(sock)
        sock.close()
        assert head.startswith(b"HTTP/1.1 200") and b"retry:" in head
    after_cycles = wait_for_no_streams(live.server)

    # 200 at once (with the Redis layer, its core class once ran out of connections here).
    sockets = [open_raw_stream(live.server, tokens[n % 2]) for n in range(200)]
    try:
        heads = [read_head(sock) for sock in sockets]
        assert all(head.startswith(b"HTTP/1.1 200") for head in heads)
        assert streams_of(live.server)["hubs"][0]["streams"] == 200
        sent = live.api(customer).send(room, "to all two hundred")
        marker = f'"id":{sent["id"]},'.encode()
        for sock in sockets:
            data = b""
            while marker not in data:
                data += sock.recv(65536)
    finally:
        for sock in sockets:
            sock.close()
    after_crowd = wait_for_no_streams(live.server)

    for state in (after_cycles, after_crowd):
        assert state["consumers"] == 0  # no stream object survives
        assert all(hub == {**hub, "streams": 0, "audiences": 0, "running": False} for hub in state["hubs"])
        assert state["tasks"] <= baseline["tasks"]  # no task left running
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:  # the server runs on the Redis layer: it dropped every subscription too
        import redis

        db = urlparse(redis_url).path.strip("/") or "0"
        assert redis.Redis.from_url(redis_url).pubsub_channels(f"oscar_chat_sandbox.db{db}.*") == []


def test_a_client_that_stops_reading_is_cut_off_and_resumes(live):
    customer, agent = live.customer(), live.agent()
    room = live.room(customer)
    as_customer, as_agent = live.api(customer), live.api(agent)
    slow = open_raw_stream(live.server, as_customer.token, receive_buffer=4096)
    head = read_head(slow)
    assert head.startswith(b"HTTP/1.1 200")
    with Stream(live.url, token=as_customer.token) as reading:
        padding = "x" * 150_000
        sent = [as_agent.send(room, f"{n} {padding}")["id"] for n in range(60)]  # ~9 MB the slow one never reads
        assert [reading.next("message", timeout=20).json["id"] for _ in sent] == sent  # a reader is not harmed

    # The server dropped the slow stream instead of buffering the rest for it.
    received, deadline = head, time.monotonic() + 15
    slow.settimeout(2)
    closed = False
    while time.monotonic() < deadline and not closed:
        try:
            chunk = slow.recv(1 << 20)
            closed = not chunk
            received += chunk
        except (ConnectionResetError, BrokenPipeError):
            closed = True
        except TimeoutError:
            pass
    slow.close()
    assert closed, "the server kept the stream of a client that does not read"
    assert "not reading" in live.server.logs()

    parser = Parser()
    got = [e.json["id"] for e in parser.feed(dechunk(received)) if e.event == "message"]
    assert got == sent[: len(got)] and len(got) < len(sent)
    with Stream(live.url, token=as_customer.token, last_event_id=parser.last_event_id) as resumed:
        rest = [resumed.next("message", timeout=20).json["id"] for _ in range(len(sent) - len(got))]
    assert got + rest == sent


@pytest.fixture(scope="module")
def patient_server(django_db_setup, django_db_blocker):
    """Holds up to 1,000 events for a client that is not reading, instead of 5."""
    with django_db_blocker.unblock():
        server = start_daphne(env={**FAST, "OSCAR_CHAT_SSE_MAX_BUFFERED_EVENTS": "1000"}, name="daphne-patient")
    yield server
    server.stop()


def test_a_client_that_pauses_reading_then_reads_gets_every_event_once_in_order(patient_server, people):
    """The socket's buffers fill, the server holds the rest, and writes it when the client reads
    again: every message once, in order, in a well-formed chunked response."""
    customer, agent = people.customer(), people.agent()
    room = services.open_room(customer=customer, opened_by=customer, subject="Slow reader")
    as_customer, as_agent = Api(patient_server, customer), Api(patient_server, agent)
    slow = open_raw_stream(patient_server, as_customer.token, receive_buffer=4096)
    try:
        received = read_head(slow)
        assert received.startswith(b"HTTP/1.1 200")
        padding = "x" * 150_000
        sent = [as_agent.send(room, f"{n} {padding}")["id"] for n in range(60)]  # ~9 MB: far more than the buffers
        last = f'"id":{sent[-1]},'.encode()
        slow.settimeout(10)
        while not _has_whole_frame(received, last):
            chunk = slow.recv(1 << 20)
            assert chunk, "the server closed the stream of a client that was reading again"
            received += chunk
    finally:
        slow.close()
        as_customer.close()
        as_agent.close()
    got = [e.json["id"] for e in Parser().feed(dechunk(received)) if e.event == "message"]
    assert got == sent
    assert "not reading" not in patient_server.logs()
    wait_for_no_streams(patient_server)


def _has_whole_frame(data, marker):
    """Whether the frame holding ``marker`` (near the end of ``data``) has arrived whole."""
    at = data.rfind(marker, max(0, len(data) - 400_000))
    return at >= 0 and data.find(b"\n\n", at) >= 0


def test_keep_alive_notices_a_vanished_client(live):
    customer = live.customer()
    """A client gone without a word is found by the next keep-alive write; its stream is let go."""
    sock = open_raw_stream(live.server, live.api(customer).token)
    assert read_head(sock).startswith(b"HTTP/1.1 200")
    assert streams_of(live.server)["hubs"][0]["streams"] == 1
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()  # a reset, as when a phone drops off the network and comes back
    wait_for_no_streams(live.server, timeout=3)
