"""The sandbox's SECRET_KEY is public: it signs sessions and tokens only on this machine.

With that key, ``settings`` refuses to load in a daphne (or ``oscar_chat.server``, which takes
daphne's command line) or runserver process bound to anything but loopback (read from the
command line with daphne's and Django's own parsers), and
``asgi.py`` refuses every request that arrives on a non-loopback address whatever the server
(uvicorn, hypercorn, a socket handed over by a supervisor). Set ``SECRET_KEY`` to serve it
elsewhere.
"""

import ipaddress
import re
from pathlib import PurePath

from django.core.exceptions import ImproperlyConfigured

PUBLIC_KEY = "sandbox-only-not-secret-change-me-in-a-real-store"
REFUSAL = (
    "The sandbox refuses to serve {where} with its public default SECRET_KEY: anyone could forge "
    "sessions and tokens. Bind to 127.0.0.1, or set the SECRET_KEY environment variable."
)


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` names this machine only (``localhost``, 127.0.0.0/8, ``::1``)."""
    if not host:
        return False
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # another host name: it may resolve to anything


def _daphne_binds(args: list[str]) -> list[str]:
    from daphne.cli import DEFAULT_HOST, CommandLineInterface

    parsed, _ = CommandLineInterface().parser.parse_known_args(args)
    binds = []
    for endpoint in parsed.socket_strings or []:
        # Twisted endpoints: tcp:8000 listens on every interface unless interface= is given.
        interface = re.search(r"(?:^|:)interface=([^:]+)", endpoint.replace("\\:", "%3A"))
        binds.append(interface.group(1).replace("%3A", ":") if interface else f"every interface ({endpoint})")
    if parsed.file_descriptor is not None:
        binds.append("an inherited socket")
    if parsed.host or not (binds or parsed.unix_socket):
        binds.append(parsed.host or DEFAULT_HOST)
    return binds


def _runserver_binds(args: list[str]) -> list[str]:
    from django.core.management.commands.runserver import naiveip_re

    ipv6 = "-6" in args or "--ipv6" in args
    positional = [a for a in args if not a.startswith("-")]
    if not positional:
        return ["::1" if ipv6 else "127.0.0.1"]
    match = re.match(naiveip_re, positional[0])
    if match is None:
        return [positional[0]]
    addr = match["addr"]
    if not addr:
        return ["::1" if ipv6 else "127.0.0.1"]
    return ["0.0.0.0" if addr == "0" else addr]


def _is_daphne(program: tuple[str, ...]) -> bool:
    """daphne (its script, ``python -m daphne``) or oscar_chat.server (its script, ``python -m``)."""
    return "daphne" in program or program[-1:] == ("oscar-chat-daphne",) or program[-2:] == ("oscar_chat", "server.py")


def bind_addresses(argv: list[str]) -> list[str]:
    """Where this process will listen, if it is daphne, oscar_chat.server or ``manage.py runserver``; else []."""
    program = PurePath(argv[0]).parts if argv else ()
    if _is_daphne(program):
        return _daphne_binds(argv[1:])
    if "runserver" in argv[1:2]:
        return _runserver_binds(argv[2:])
    return []


def refuse_public_bind(secret_key: str, argv: list[str]) -> None:
    """``ImproperlyConfigured`` when the public key would serve on anything but loopback."""
    if secret_key != PUBLIC_KEY:
        return
    public = [bind for bind in bind_addresses(argv) if not is_loopback(bind)]
    if public:
        raise ImproperlyConfigured(REFUSAL.format(where=", ".join(public)))


class LoopbackOnly:
    """ASGI middleware: with the public key, requests on a non-loopback address get a ``503``."""

    def __init__(self, app, secret_key: str):
        self.app = app
        self.guarded = secret_key == PUBLIC_KEY

    async def __call__(self, scope, receive, send):
        server = scope.get("server")
        # server is None or (path, None) on a Unix socket: reachable only from this machine.
        if self.guarded and scope["type"] in ("http", "websocket") and server and server[1] is not None:
            if not is_loopback(server[0]):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                body = REFUSAL.format(where=server[0]).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 503,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
