"""daphne, checking only the connections that need it.

Run it where you ran daphne, with daphne's own command line::

    python -m oscar_chat.server -b 127.0.0.1 -p 8000 myshop.asgi:application
    oscar-chat-daphne -b 127.0.0.1 -p 8000 myshop.asgi:application   # the same, as a script

daphne walks every open connection once a second (``Server.application_checker``: reap finished
applications, kill those past ``application_close_timeout`` after a disconnect) and every two
seconds (``Server.timeout_checker``: ``check_timeouts()``, which does nothing for HTTP when
``http_timeout`` is unset). With thousands of idle event streams those walks are most of the
process's idle CPU. This ``Server`` does the same work per connection, but only for the
connections that need it:

- the application checker visits a connection once its application finished (a done callback)
  or it disconnected (``protocol_disconnected``), and every second after that while a
  disconnected connection's application still runs, until it is reaped or killed;
- the timeout checker visits the connections whose ``check_timeouts`` does something: WebSocket
  ones always (pings, connect and lifetime timeouts), HTTP ones only with ``--http-timeout``
  (then it is daphne's own walk).

It also skips Twisted's parsing of a POSTed form into ``request.args``, which daphne never reads
(the application gets the body as it came): about a tenth of the CPU of a send at the ceiling.

What an application that raised gets (the log line, the 500 answer), when an application is
killed, and the logger's name (``daphne.server``) are daphne's. One thing is not: when an
application raises after its response started, daphne's checker fails on its 500 and stops for
the whole process; here the response is ended unfinished and the checks go on. It relies on daphne's internals
(the ``connections`` dict, the methods it overrides): at import it compares them with those of
the daphne versions it was written against, and on any other it runs daphne's own checkers and
logs a warning (``DAPHNE_CHECKS_KNOWN`` says which).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import io
import logging
import textwrap
import time
import tokenize
from concurrent.futures import CancelledError
from functools import partial
from typing import Any

import daphne

# daphne.cli imports daphne.server first, which installs Twisted's asyncio reactor before anything
# else imports Twisted (import-order-sensitive).
from daphne.cli import CommandLineInterface as DaphneCommandLineInterface
from daphne.http_protocol import WebRequest
from daphne.server import Server as DaphneServer
from twisted.internet import reactor

__all__ = ["DAPHNE_CHECKS_KNOWN", "CommandLineInterface", "Server", "main"]

# daphne's own logger: what it logs about applications reads and filters as it always did.
logger = logging.getLogger("daphne.server")

# The daphne code this module replaces or depends on, and its fingerprint in daphne 4.1.0-4.2.3
# (the same in all of them): a change there may change what the connections dict holds.
_REPLACED = (
    DaphneServer.application_checker,
    DaphneServer.timeout_checker,
    DaphneServer.protocol_connected,
    DaphneServer.protocol_disconnected,
    DaphneServer.create_application,
    WebRequest.check_timeouts,
)
_KNOWN_FINGERPRINTS = frozenset({"b358ea33cee57635"})
# Seconds between two application checks, and two timeout checks: daphne's.
APPLICATION_CHECK_SECONDS = 1
TIMEOUT_CHECK_SECONDS = 2


def _fingerprint() -> str | None:
    """The replaced methods' code, without comments and layout; None if their source is missing."""
    digest = hashlib.sha256()
    for function in _REPLACED:
        try:
            source = textwrap.dedent(inspect.getsource(function))
            tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        except (OSError, TypeError, SyntaxError, tokenize.TokenError):
            return None
        for token in tokens:
            if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                digest.update(" ".join(token.string.split()).encode() + b"\0")  # docstrings' indents too
    return digest.hexdigest()[:16]


def _checks_known() -> bool:
    scheduled = set(DaphneServer.run.__code__.co_names)
    return {"application_checker", "timeout_checker"} <= scheduled and _fingerprint() in _KNOWN_FINGERPRINTS


#: Whether the installed daphne's connection checks are those this server replaces. When not,
#: ``Server`` runs daphne's own (and says so when it starts).
DAPHNE_CHECKS_KNOWN = _checks_known()


class Server(DaphneServer):
    """daphne's ``Server`` whose periodic checks visit only the connections that need them.

    A drop-in ``server_class``/``server_cls``: the same arguments, the same behaviour.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checks_only_needed = DAPHNE_CHECKS_KNOWN
        # Ordered sets (dicts): the connections the next application check visits, and those
        # the timeout checker visits when HTTP connections have no timeout.
        self.to_check: dict[Any, None] = {}
        self.timed: dict[Any, None] = {}

    def run(self) -> None:
        if not self.checks_only_needed:
            logger.warning(
                "oscar_chat.server: daphne %s's connection checks are not those this server was "
                "written for; running daphne's own (every connection, every second)",
                getattr(daphne, "__version__", "?"),
            )
        super().run()

    # Which connections need a visit -------------------------------------------------------

    def protocol_connected(self, protocol: Any) -> None:
        super().protocol_connected(protocol)
        if isinstance(protocol, WebRequest):
            # Twisted parses a POSTed form into request.args, which daphne never reads (the
            # application gets the body): a tenth of the CPU of a send at the ceiling.
            protocol._parsePOSTFormSubmission = False
        # A subclass's own check_timeouts (WebSocket's pings) runs every time; daphne's HTTP one
        # does something only with an http_timeout.
        if self.checks_only_needed and type(protocol).check_timeouts is not WebRequest.check_timeouts:
            self.timed[protocol] = None

    def protocol_disconnected(self, protocol: Any) -> None:
        super().protocol_disconnected(protocol)
        if self.checks_only_needed:
            self.to_check[protocol] = None

    def create_application(self, protocol: Any, scope: dict) -> asyncio.Queue | None:
        queue = super().create_application(protocol, scope)
        if queue is not None and self.checks_only_needed:
            application = self.connections[protocol]["application_instance"]
            application.add_done_callback(partial(self._application_finished, protocol))
        return queue

    def _application_finished(self, protocol: Any, _future: asyncio.Future) -> None:
        self.to_check[protocol] = None

    # The checks ----------------------------------------------------------------------------

    def application_checker(self) -> None:
        """daphne's application checker, for the connections marked since the last one."""
        if not self.checks_only_needed:
            return super().application_checker()
        visiting, self.to_check = self.to_check, {}
        try:
            for protocol in visiting:
                try:
                    again = self._check_application(protocol)
                except Exception:  # noqa: BLE001 - one connection's failure must not stop the checks
                    logger.exception("Could not check the application of connection %r", protocol)
                    continue
                if again:
                    self.to_check[protocol] = None
        finally:
            reactor.callLater(APPLICATION_CHECK_SECONDS, self.application_checker)

    def _check_application(self, protocol: Any) -> bool:
        """daphne's per-connection step of ``application_checker``; whether to visit it again."""
        details = self.connections.get(protocol)
        if details is None:
            self.timed.pop(protocol, None)
            return False
        disconnected = details.get("disconnected", None)
        application_instance = details.get("application_instance", None)
        # First, see if the protocol disconnected and the app has taken too long to close up
        if disconnected and time.time() - disconnected > self.application_close_timeout:
            if application_instance and not application_instance.done():
                logger.warning(
                    "Application instance %r for connection %s took too long to shut down and was killed.",
                    application_instance,
                    repr(protocol),
                )
                application_instance.cancel()
        # Then see if the app is done and we should reap it
        if application_instance and application_instance.done():
            try:
                exception = application_instance.exception()
            except (CancelledError, asyncio.CancelledError):
                pass  # Future cancellation. We can ignore this.
            else:
                if exception:
                    if isinstance(exception, KeyboardInterrupt):
                        self.stop()  # Protocol is asking the server to exit (likely during test)
                    else:
                        logger.error("Exception inside application: %s", exception, exc_info=exception)
                        if not disconnected:
                            self._report_exception(protocol, exception)
            del details["application_instance"]
            application_instance = None
        # Check to see if protocol is closed and app is closed so we can remove it
        if not application_instance and disconnected:
            del self.connections[protocol]
            self.timed.pop(protocol, None)
            return False
        # Disconnected, its application still running: watched until it ends or is killed.
        return bool(disconnected)

    @staticmethod
    def _report_exception(protocol: Any, exception: BaseException) -> None:
        try:
            protocol.handle_exception(exception)
        except Exception:  # noqa: BLE001
            # daphne answers a 500, which a response already started cannot take (daphne's own
            # checker stops there, for every connection): it ends unfinished, as its client
            # should see it, and is reaped once disconnected.
            protocol.loseConnection()

    def timeout_checker(self) -> None:
        """daphne's timeout checker, for the connections whose ``check_timeouts`` does something."""
        if not self.checks_only_needed or self.http_timeout:
            return super().timeout_checker()
        try:
            for protocol in list(self.timed):
                if protocol in self.connections:
                    protocol.check_timeouts()
                else:
                    del self.timed[protocol]
        finally:
            reactor.callLater(TIMEOUT_CHECK_SECONDS, self.timeout_checker)


class CommandLineInterface(DaphneCommandLineInterface):
    """daphne's command line (every option the installed daphne has), serving with ``Server``."""

    description = "Django HTTP/WebSocket server (daphne, checking only the connections that need it)"
    server_class = Server


def main() -> None:
    """The ``oscar-chat-daphne`` script."""
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
