"""A small ASGI application that misbehaves on request, served by a real server process.

    python -m tests.server_app [--plain-daphne | --changed-daphne] <daphne's options>

serves it with ``oscar_chat.server``'s command line (``--plain-daphne``: daphne's own;
``--changed-daphne``: ``oscar_chat.server`` on a daphne whose application checker is not the
one it knows), so that tests/test_server.py can hold them to the same behaviour. Paths:

- ``/ok``: 200 ``ok``;
- ``/scope``: the scope's ``root_path``, ``client`` and ``scheme`` as JSON;
- ``/raise``: raises before answering;
- ``/raise-streaming``: starts a streamed answer, writes a line, then raises;
- ``/stuck``: starts a streamed answer and never returns, even after the client left (it prints
  ``stuck: disconnected`` then ``stuck: cancelled`` when the server kills it);
- ``/connections``: how many connections the server holds besides this request's, as JSON;
- a WebSocket: accepted, then only listened to.
"""

import asyncio
import json
import sys

from daphne.cli import CommandLineInterface as DaphneCommandLineInterface

PLAIN_DAPHNE = "--plain-daphne"
CHANGED_DAPHNE = "--changed-daphne"
cli = None


async def _answer(send, body, status=200, content_type=b"text/plain"):
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type)]})
    await send({"type": "http.response.body", "body": body})


async def _start_stream(receive, send):
    await receive()  # the request's body
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
    await send({"type": "http.response.body", "body": b": open\n\n", "more_body": True})


async def _websocket(receive, send):
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.disconnect":
            return


async def application(scope, receive, send):
    if scope["type"] == "websocket":
        return await _websocket(receive, send)
    path = scope["path"]
    if path == "/ok":
        await _answer(send, b"ok")
    elif path == "/scope":
        seen = {"root_path": scope["root_path"], "client": scope["client"], "scheme": scope["scheme"]}
        await _answer(send, json.dumps(seen).encode(), content_type=b"application/json")
    elif path == "/raise":
        raise RuntimeError("raised before answering")
    elif path == "/raise-streaming":
        await _start_stream(receive, send)
        await asyncio.sleep(0.1)
        raise RuntimeError("raised while streaming")
    elif path == "/stuck":
        await _start_stream(receive, send)
        while (await receive())["type"] != "http.disconnect":
            pass
        print("stuck: disconnected", flush=True)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            print("stuck: cancelled", flush=True)
            raise
    elif path == "/echo":
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        await _answer(send, body, content_type=b"application/octet-stream")
    elif path == "/connections":
        others = len(cli.server.connections) - 1
        await _answer(send, json.dumps({"open": others}).encode(), content_type=b"application/json")
    else:
        await _answer(send, b"not found", status=404)


def _change_daphne():
    """Give daphne an application checker of another source, as a later daphne might have."""
    from daphne.server import Server

    checker = Server.application_checker

    def application_checker(self):
        return checker(self)

    Server.application_checker = application_checker


if __name__ == "__main__":
    args = sys.argv[1:]
    if CHANGED_DAPHNE in args:
        _change_daphne()
    from oscar_chat.server import CommandLineInterface  # after the change: it reads daphne's code

    cli = (DaphneCommandLineInterface if PLAIN_DAPHNE in args else CommandLineInterface)()
    # "__main__": this module as it runs, whose `cli` the application reads.
    cli.run([arg for arg in args if arg not in (PLAIN_DAPHNE, CHANGED_DAPHNE)] + ["__main__:application"])
