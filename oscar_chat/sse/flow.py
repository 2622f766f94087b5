"""How a stream writes to the server's socket, and learns that the client is not reading.

On daphne (``DaphneFlow``) a stream writes its frames and keep-alives itself, synchronously,
with Twisted's ``Request.write`` (the chunked encoding included): no task of its own, and
none of the dispatch of Channels' ``send`` and daphne's ``handle_reply`` per write, which
cost most of a keep-alive's CPU. Daphne's ``send`` never waits: Twisted buffers whatever the
client does not read, without limit, but says when its buffer is full to a registered push
producer. ``DaphneFlow`` is that producer, so a stream holds its events back while the client
is not reading (and closes it past ``SSE_MAX_BUFFERED_EVENTS``), and writes them when Twisted
asks again. Daphne passes each application ``functools.partial(server.handle_reply, request)``
as ``send``, which is where the request is found.

On other servers (their ``send`` waits for the socket, as ASGI allows) ``Flow`` is used: the
stream's writer task sends through ``send``; it closes a stream by ending the body.
"""

import functools
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


class Flow:
    """A server that applies back-pressure itself (or none is known): written through ``send``."""

    direct = False  # the stream writes with ``write`` (no writer task)
    writable = True

    def write(self, data: bytes) -> bool:
        raise NotImplementedError

    def abort(self) -> bool:
        return False

    def release(self) -> None:
        pass


class DaphneFlow(Flow):
    """Writes to daphne's Twisted request, registered on it as a streaming (push) producer."""

    direct = True

    def __init__(self, request, stream):
        self._request = request
        self._stream = stream  # told when Twisted wants data again (``stream.resumed``)
        self.writable = True
        request.registerProducer(self, True)

    # Called by Twisted, on the event loop's thread (daphne runs Twisted on asyncio).
    def pauseProducing(self):
        self.writable = False

    def resumeProducing(self):
        self.writable = True
        stream = self._stream
        if stream is not None:
            stream.resumed()

    def stopProducing(self):
        # The connection is going: nothing more is written; http.disconnect follows.
        self.writable = True

    def write(self, data: bytes) -> bool:
        """Write ``data`` now; False when the response is over (the client left).

        On a plain TCP connection with nothing queued in Twisted, the chunk goes to the socket
        at once, and only what the socket does not take is left to Twisted: a keep-alive then
        costs one ``send``, not Twisted's watch for writability (register with the event loop,
        wake, send, unregister), which was most of its cost. Anything else (TLS, HTTP/1.0,
        data already waiting) is Twisted's ``Request.write``, as daphne would write it.
        """
        request = self._request
        if request.finished or request.channel is None:
            return False
        transport = request.transport
        # Twisted's internals, read with defaults that fall back to Request.write if they change.
        if (
            type(transport) is _TcpServer
            and getattr(request, "chunked", False)
            and getattr(transport, "connected", False)
            and not (
                getattr(transport, "dataBuffer", True)
                or getattr(transport, "_tempDataBuffer", True)
                or getattr(transport, "disconnecting", True)
            )
            and hasattr(request, "sentLength")
        ):
            chunk = b"%x\r\n%b\r\n" % (len(data), data)
            try:
                sent = transport.socket.send(chunk)
            except OSError:  # would block, or the connection broke: Twisted's write sees to either
                sent = 0
            if sent < len(chunk):
                transport.write(chunk[sent:])  # buffered, watched, and the producer paused if it grows
            request.sentLength += len(data)
            return True
        _twisted_write(request, data)  # type: ignore[misc]  # set whenever a DaphneFlow is made
        return True

    def abort(self) -> bool:
        """Drop the connection now, discarding what Twisted still holds for this client."""
        transport = getattr(self._request, "transport", None)
        if transport is None or getattr(self._request, "channel", None) is None:
            return False
        self.release()
        transport.abortConnection()
        return True

    def release(self) -> None:
        self._stream = None
        request = self._request
        if getattr(request, "channel", None) is not None and getattr(request, "producer", None) is self:
            request.unregisterProducer()


_twisted_write: Callable[[Any, bytes], None] | None = None
_TcpServer: Any = None  # twisted.internet.tcp.Server: a plain TCP connection

try:  # Twisted comes with daphne; declare the interface it expects of a producer.
    from twisted.internet import tcp
    from twisted.internet.interfaces import IPushProducer
    from twisted.web.http import Request as _TwistedRequest
    from zope.interface import classImplements

    classImplements(DaphneFlow, IPushProducer)
    _TcpServer = tcp.Server
    # Daphne's own body writes call this (``WebRequest.handle_reply``): the response is started.
    _twisted_write = _TwistedRequest.write
except ImportError:  # pragma: no cover - served by another ASGI server
    pass


def flow_for(send, stream) -> Flow:
    """How ``stream`` writes to the server behind ``send``."""
    request = send.args[0] if isinstance(send, functools.partial) and send.args else None
    if _twisted_write is None or request is None or not hasattr(request, "registerProducer"):
        return Flow()
    if getattr(request, "producer", None) is not None or not isinstance(request, _TwistedRequest):
        return Flow()
    if getattr(request, "channel", None) is None:
        return Flow()  # the client is already gone; http.disconnect is on its way
    try:
        return DaphneFlow(request, stream)
    except Exception:  # noqa: BLE001 - an unknown daphne/Twisted: write through send, unwatched
        logger.warning(
            "oscar_chat: cannot watch daphne's socket buffer; streams are not flow-controlled", exc_info=True
        )
        return Flow()
