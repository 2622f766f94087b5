"""The sandbox's public SECRET_KEY never serves anything but loopback."""

import asyncio
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox.guard import PUBLIC_KEY, LoopbackOnly, bind_addresses, refuse_public_bind
from tests.live import ROOT

PUBLIC_BINDS = [
    ["daphne", "-b", "0.0.0.0", "-p", "8000", "sandbox.asgi:application"],
    ["/venv/bin/daphne", "--bind", "192.0.2.10", "sandbox.asgi:application"],
    ["/usr/lib/python3/site-packages/daphne/__main__.py", "-e", "tcp:8000", "sandbox.asgi:application"],
    ["daphne", "-e", "tcp:port=8000:interface=0.0.0.0", "sandbox.asgi:application"],
    ["daphne", "--fd", "3", "sandbox.asgi:application"],
    ["daphne", "-b", "shop.example.com", "sandbox.asgi:application"],
    ["/venv/bin/oscar-chat-daphne", "-b", "0.0.0.0", "sandbox.asgi:application"],
    ["/srv/shop/oscar_chat/server.py", "-e", "tcp:8000", "sandbox.asgi:application"],
    ["oscar-chat-daphne", "--fd", "3", "sandbox.asgi:application"],
    ["manage.py", "runserver", "0.0.0.0:8000"],
    ["manage.py", "runserver", "0:8000"],
    ["manage.py", "runserver", "[::]:8000", "--ipv6"],
    ["manage.py", "runserver", "192.0.2.10:8000", "--noreload"],
]
LOOPBACK_BINDS = [
    ["daphne", "-b", "127.0.0.1", "-p", "0", "sandbox.asgi:application"],
    ["daphne", "-p", "8000", "sandbox.asgi:application"],
    ["daphne", "-b", "::1", "sandbox.asgi:application"],
    ["daphne", "-b", "localhost", "sandbox.asgi:application"],
    ["daphne", "-e", "tcp:port=8000:interface=127.0.0.1", "sandbox.asgi:application"],
    ["daphne", "-u", "/run/shop.sock", "sandbox.asgi:application"],
    ["/venv/bin/oscar-chat-daphne", "-b", "127.0.0.1", "-p", "8000", "sandbox.asgi:application"],
    ["/srv/shop/oscar_chat/server.py", "-p", "8000", "sandbox.asgi:application"],
    ["manage.py", "runserver"],
    ["manage.py", "runserver", "8000"],
    ["manage.py", "runserver", "-6"],
    ["manage.py", "migrate"],
    ["pytest", "-b", "0.0.0.0"],
]


@pytest.mark.parametrize("argv", PUBLIC_BINDS, ids=" ".join)
def test_the_public_key_refuses_a_public_bind(argv):
    with pytest.raises(Exception, match="refuses to serve"):
        refuse_public_bind(PUBLIC_KEY, argv)
    refuse_public_bind("a-real-secret-from-the-environment", argv)


@pytest.mark.parametrize("argv", LOOPBACK_BINDS, ids=" ".join)
def test_the_public_key_serves_loopback(argv):
    refuse_public_bind(PUBLIC_KEY, argv)
    assert all(b in ("127.0.0.1", "::1", "localhost") for b in bind_addresses(argv))


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "daphne", "-b", "0.0.0.0", "-p", "0", "sandbox.asgi:application"],
        [sys.executable, "-m", "oscar_chat.server", "-b", "0.0.0.0", "-p", "0", "sandbox.asgi:application"],
        [sys.executable, "sandbox/manage.py", "runserver", "0.0.0.0:0", "--noreload"],
    ],
    ids=["daphne", "oscar_chat.server", "runserver"],
)
def test_servers_on_a_public_address_do_not_start_with_the_public_key(command):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 or "Listening" not in result.stdout + result.stderr
    assert "refuses to serve 0.0.0.0" in result.stdout + result.stderr


async def _answer(app, server):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "server": server}
    await app(scope, receive, send)
    return sent[0]["status"]


async def _inner(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize(
    ("key", "server", "status"),
    [
        (PUBLIC_KEY, ("192.0.2.10", 8000), 503),
        (PUBLIC_KEY, ("0.0.0.0", 8000), 503),
        (PUBLIC_KEY, ("127.0.0.1", 8000), 200),
        (PUBLIC_KEY, ("::1", 8000), 200),
        (PUBLIC_KEY, ("/run/shop.sock", None), 200),
        ("a-real-secret", ("192.0.2.10", 8000), 200),
    ],
)
def test_any_asgi_server_on_a_public_address_gets_503_with_the_public_key(key, server, status):
    # In a thread of its own: the browser tests' event loop may be running in this one.
    with ThreadPoolExecutor(1) as thread:
        answer = thread.submit(asyncio.run, _answer(LoopbackOnly(_inner, key), server)).result()
    assert answer == status
