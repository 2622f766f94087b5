"""oscar_chat.server on a real process: what daphne does for an operator, it does too.

Each test starts ``tests/server_app.py`` (an application that raises, hangs or streams on
request) under ``oscar_chat.server``'s command line, and where daphne behaves the same, under
daphne's own as well. The rest of the suite's live servers (tests/live.py) run
``oscar_chat.server`` with the sandbox store.
"""

import base64
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from oscar_chat import server
from tests.live import DaphneServer

pytestmark = pytest.mark.live

OURS, PLAIN_DAPHNE = "oscar_chat.server", "daphne"


def start(flavour=OURS, *options):
    flags = {OURS: [], PLAIN_DAPHNE: ["--plain-daphne"], "changed": ["--changed-daphne"]}[flavour]
    return DaphneServer(name=flavour, module="tests.server_app", args=[*flags, *options]).start()


@pytest.fixture(params=[OURS, PLAIN_DAPHNE])
def any_server(request):
    proc = start(request.param, "--application-close-timeout", "1")
    yield proc
    proc.stop()


@pytest.fixture
def our_server():
    proc = start(OURS, "--application-close-timeout", "1")
    yield proc
    proc.stop()


def eventually(check, seconds=10.0):
    """Poll ``check`` until it returns a true value (the servers check once a second or two)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def held_connections(proc):
    return httpx.get(f"{proc.url}/connections", timeout=5).json()["open"]


def test_the_installed_daphne_is_one_the_lean_checks_know():
    # A daphne whose connection checks changed still serves (with its own checks, see below); this
    # test is how the project learns of it.
    assert server.DAPHNE_CHECKS_KNOWN


def test_many_short_requests_leave_no_connection_behind(any_server):
    with httpx.Client(timeout=5) as keep_alive:  # one connection, many requests
        assert all(keep_alive.get(f"{any_server.url}/ok").text == "ok" for _ in range(150))
    for _ in range(50):  # a connection each
        assert httpx.get(f"{any_server.url}/ok", timeout=5).status_code == 200
    assert eventually(lambda: held_connections(any_server) == 0)


def test_posted_forms_and_uploads_reach_the_application_byte_for_byte(any_server):
    # The server leaves form bodies to the application (Twisted's own parse is skipped).
    form = "name=Eka+Putri&note=%E2%9C%93&note=2"
    answer = httpx.post(
        f"{any_server.url}/echo", content=form, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.content == form.encode()
    request = httpx.Request(
        "POST", f"{any_server.url}/echo", data={"caption": "Batik"}, files={"file": b"\x89PNG" * 5000}
    )
    answer = httpx.Client(timeout=10).send(request)
    assert answer.content == request.read()


def test_an_application_that_raised_is_answered_500_logged_and_reaped(any_server):
    answer = httpx.get(f"{any_server.url}/raise", timeout=10)
    assert answer.status_code == 500
    assert "Exception inside application." in answer.text
    # The log line comes through the server's output pipe, maybe after the answer.
    assert eventually(lambda: "Exception inside application: raised before answering" in any_server.logs())
    assert eventually(lambda: held_connections(any_server) == 0)


def test_a_stream_whose_application_raised_is_cut_short_and_the_server_goes_on(our_server):
    # daphne's own checker answers a 500, which a started response cannot take: it stops there,
    # and from then on reaps nothing and answers no other application that raised.
    with pytest.raises(httpx.RemoteProtocolError):  # an unfinished chunked body, not a clean end
        with httpx.stream("GET", f"{our_server.url}/raise-streaming", timeout=10) as stream:
            for _ in stream.iter_bytes():
                pass
    assert eventually(lambda: our_server.logs().count("Exception inside application: raised while streaming") == 1)
    assert httpx.get(f"{our_server.url}/raise", timeout=10).status_code == 500
    assert eventually(lambda: held_connections(our_server) == 0)


def test_an_application_that_ignores_the_disconnect_is_killed_after_the_close_timeout(any_server):
    with httpx.stream("GET", f"{any_server.url}/stuck", timeout=10) as stream:
        assert next(stream.iter_bytes()) == b": open\n\n"
    # --application-close-timeout 1: killed a second or two after the client left.
    assert eventually(lambda: "stuck: cancelled" in any_server.logs())
    logs = any_server.logs()
    assert logs.index("stuck: disconnected") < logs.index("took too long to shut down and was killed")
    assert eventually(lambda: held_connections(any_server) == 0)


def websocket_frames(proc, until_close=15.0):
    """Open a WebSocket, answer nothing, and return the opcodes of the frames the server sent."""
    sock = socket.create_connection(("127.0.0.1", proc.port), timeout=until_close)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{proc.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(4096)
    head, _, received = received.partition(b"\r\n\r\n")
    assert b" 101 " in head.split(b"\r\n")[0]
    opcodes = []
    try:
        while True:
            while len(received) < 2:
                received += sock.recv(4096)
            opcode, length = received[0] & 0x0F, received[1] & 0x7F  # short, unmasked: the server's
            while len(received) < 2 + length:
                received += sock.recv(4096)
            received = received[2 + length :]
            opcodes.append(opcode)
            if opcode == 0x8:
                return opcodes
    finally:
        sock.close()


@pytest.mark.parametrize("flavour", [OURS, PLAIN_DAPHNE])
def test_websockets_are_still_pinged_and_timed_out(flavour):
    proc = start(flavour, "--ping-interval", "1", "--websocket_timeout", "4")
    try:
        opcodes = websocket_frames(proc)
    finally:
        proc.stop()
    assert 0x9 in opcodes  # a ping, after a second idle
    assert opcodes[-1] == 0x8  # closed by the server past --websocket_timeout


@pytest.mark.parametrize("flavour", [OURS, PLAIN_DAPHNE])
def test_with_an_http_timeout_a_stuck_response_is_ended(flavour):
    proc = start(flavour, "--http-timeout", "2")
    try:
        with httpx.stream("GET", f"{proc.url}/stuck", timeout=15) as stream:
            body = b"".join(stream.iter_bytes())  # ends: the server finished it
        assert body == b": open\n\n"
        assert eventually(lambda: "Application timed out while sending response" in proc.logs())
    finally:
        proc.stop()


def test_the_command_line_takes_daphnes_options(tmp_path):
    access_log = tmp_path / "access.log"
    options = {
        "--websocket_timeout": "60",
        "--websocket_connect_timeout": "5",
        "-v": "1",
        "--access-log": str(access_log),
        "--log-fmt": "%(levelname)s|%(name)s|%(message)s",
        "--ping-interval": "5",
        "--ping-timeout": "10",
        "--application-close-timeout": "3",
        "--root-path": "/shop",
        "--proxy-headers-host": "X-Real-IP",
        "--proxy-headers-port": "X-Real-Port",
        "-s": "shop-server",
    }
    proc = start(OURS, "--proxy-headers", *(part for pair in options.items() for part in pair))
    try:
        headers = {"X-Real-IP": "203.0.113.9", "X-Real-Port": "4711", "X-Forwarded-Proto": "https"}
        answer = httpx.get(f"{proc.url}/scope", headers=headers, timeout=5)
        assert answer.headers["server"] == "shop-server"
        assert answer.json() == {"root_path": "/shop", "client": ["203.0.113.9", 4711], "scheme": "https"}
        assert "INFO|daphne.server|Listening on TCP address" in proc.logs()
        assert eventually(lambda: access_log.exists() and '"GET /scope" 200' in access_log.read_text())
    finally:
        proc.stop()


def test_on_a_daphne_it_does_not_know_it_runs_daphnes_own_checks():
    proc = start("changed", "--application-close-timeout", "1")
    try:
        assert "running daphne's own" in proc.logs()
        assert httpx.get(f"{proc.url}/raise", timeout=10).status_code == 500
        assert eventually(lambda: held_connections(proc) == 0)
    finally:
        proc.stop()


def test_the_script_is_the_same_command_line():
    from daphne.cli import CommandLineInterface

    script = Path(sys.executable).parent / "oscar-chat-daphne"
    shown = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60, check=True).stdout
    for action in CommandLineInterface().parser._actions:
        assert all(option in shown for option in action.option_strings)
