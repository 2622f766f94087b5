"""Back-pressure from the server's socket to a stream.

Daphne's ``send`` never waits: it hands each chunk to Twisted, which buffers whatever the
client does not read, without limit. Twisted does say when its buffer is full, to a
registered push producer; ``DaphneFlow`` is that producer, so a stream holds its events
back while the client is not reading (and closes it past ``SSE_MAX_BUFFERED_EVENTS``).
Daphne passes each application ``functools.partial(server.handle_reply, request)`` as
``send``, which is where the request is found. On other servers (their ``send`` waits for
the socket, as ASGI allows) ``Flow`` is used: always writable, closing by ending the body.
"""

import asyncio
import functools
import logging

logger = logging.getLogger(__name__)


class Flow:
    """A server that applies back-pressure itself (or none is known): always writable."""

    can_abort = False

    def __init__(self):
        self.writable = asyncio.Event()
        self.writable.set()

    def abort(self):
        return False

    def release(self):
        pass


class DaphneFlow(Flow):
    """Registered on daphne's Twisted request as a streaming (push) producer."""

    can_abort = True

    def __init__(self, request):
        super().__init__()
        self._request = request
        request.registerProducer(self, True)

    # Called by Twisted, on the event loop's thread (daphne runs Twisted on asyncio).
    def pauseProducing(self):
        self.writable.clear()

    def resumeProducing(self):
        self.writable.set()

    def stopProducing(self):
        self.writable.set()

    def abort(self):
        """Drop the connection now, discarding what Twisted still holds for this client."""
        transport = getattr(self._request, "transport", None)
        if transport is None or getattr(self._request, "channel", None) is None:
            return False
        self.release()
        transport.abortConnection()
        return True

    def release(self):
        request = self._request
        if getattr(request, "channel", None) is not None and getattr(request, "producer", None) is self:
            request.unregisterProducer()


try:  # Twisted comes with daphne; declare the interface it expects of a producer.
    from twisted.internet.interfaces import IPushProducer
    from zope.interface import classImplements

    classImplements(DaphneFlow, IPushProducer)
except ImportError:  # pragma: no cover - served by another ASGI server
    pass


def flow_for(send):
    """The flow control matching the server behind ``send``."""
    request = send.args[0] if isinstance(send, functools.partial) and send.args else None
    if request is None or not hasattr(request, "registerProducer") or getattr(request, "producer", None) is not None:
        return Flow()
    if getattr(request, "channel", None) is None:
        return Flow()  # the client is already gone; http.disconnect is on its way
    try:
        return DaphneFlow(request)
    except Exception:  # noqa: BLE001 - an unknown daphne/Twisted: fall back to no flow control
        logger.warning(
            "oscar_chat: cannot watch daphne's socket buffer; streams are not flow-controlled", exc_info=True
        )
        return Flow()
