"""``GET sse``: the event stream of a customer (their rooms), an agent (every room) or one room.

A Channels ``AsyncHttpConsumer`` stops as soon as ``handle()`` returns, and it processes
one message at a time: a ``handle()`` that stayed open would never see ``http.disconnect``.
So this consumer opens the stream from ``http_request`` and returns; from then on the
process's hub offers it events (``offer_message``, ``offer_event``), a writer task sends
them and the keep-alives, and ``http.disconnect`` ends it all (``_close``).
"""

import asyncio
import io
import json
import logging
import time
from collections import deque

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.http import AsyncHttpConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.core.handlers.asgi import ASGIRequest
from django.utils import translation
from django.utils.translation import gettext as _

from .. import access, audience, conf, limits, presence
from . import auth, wire
from .flow import flow_for
from .hub import hub_for, in_worker_thread, load_messages, stream_position

logger = logging.getLogger(__name__)


def _open_request(scope, body):
    """Authenticate and validate in a worker thread (database reads)."""
    request = ASGIRequest(scope, io.BytesIO(body))
    language = translation.get_language_from_request(request)
    with translation.override(language):
        try:
            return auth.authenticate_stream(request), language, None
        except auth.StreamRefused as refused:
            return None, language, refused
        except limits.UNAVAILABLE_ERRORS:
            logger.exception("oscar_chat: cannot open an event stream (database unavailable)")
            detail = _("The chat is unavailable right now. Try again shortly.")
            return None, language, auth.StreamRefused(503, detail, "unavailable")


open_request = in_worker_thread(_open_request)


class EventStreamConsumer(AsyncHttpConsumer):
    """Serve with ``oscar_chat.asgi.wrap(django_asgi_app)`` (or route ``EventStreamConsumer.as_asgi()``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = deque()  # (seq or None, bytes) waiting for the writer
        self.wakeup = asyncio.Event()
        self.position = None  # seq up to which every visible message was sent
        self.replaying = True
        self.hub = None
        self.flow = None
        self.writer = None
        self.closed = False
        self.overflowed = False
        self.sending = False
        self.grant = None
        self.revoked = False
        self.expiry = None  # timer ending the stream when its token expires
        self.unheld = asyncio.Event()  # cleared while the hub re-checks our access
        self.unheld.set()
        self.max_buffered = max(1, int(conf.get("SSE_MAX_BUFFERED_EVENTS")))
        self.slot = None  # of the user's open streams (oscar_chat.limits); the hub renews it
        self.wrote = False  # since the hub's last tick

    # Channels plumbing ---------------------------------------------------------------

    async def __call__(self, scope, receive, send):
        # Unlike AsyncConsumer, no channel of our own: the process's hub receives for us.
        self.scope = scope
        self.base_send = send
        try:
            await await_many_dispatch([receive], self.dispatch)
        except StopConsumer:
            pass
        finally:
            await self._close()

    async def dispatch(self, message):
        # AsyncConsumer.dispatch closes old database connections before every message (a
        # thread hop); the database is only used through database_sync_to_async here.
        await getattr(self, get_handler_name(message))(message)

    async def http_request(self, message):
        if limits.request_has_body(self.scope, message):  # refused unread: the stream takes no body
            await self._refuse(413, _("The event stream takes no request body."), code="body_not_allowed")
            raise StopConsumer()
        self.body.append(message.get("body", b""))
        if message.get("more_body"):
            return
        if not await self._open(b"".join(self.body)):
            raise StopConsumer()

    async def http_disconnect(self, message):
        raise StopConsumer()

    # Opening -----------------------------------------------------------------------

    async def _open(self, body):
        if self.scope.get("method") not in ("GET", "HEAD"):
            await self._refuse(405, _("Method not allowed."), extra=[(b"allow", b"GET")])
            return False
        stream, language, refused = await open_request(self.scope, body)
        if refused is not None:
            with translation.override(language):
                await self._refuse(refused.status, refused.detail, code=refused.code)
            return False
        self.user, self.is_agent, self.room_id = stream.user, stream.is_agent, stream.room.pk if stream.room else None
        self.grant = access.Grant(
            user_id=stream.user.pk,
            agent=stream.is_agent,
            session_key=stream.session_key,
            expires_at=stream.expires_at,
        )
        self.slot = await limits.take_stream_slot(self.user)  # released in _close
        if self.slot is None:
            with translation.override(language):
                await self._refuse(429, _("Too many open streams. Close one and try again."), code="too_many_streams")
            return False

        layer = get_channel_layer()
        try:
            if layer is None:
                raise RuntimeError("no channel layer is configured (CHANNEL_LAYERS)")
            self.hub = hub_for(layer)
            await self.hub.attach(self, audience.stream_keys(self.user.pk, self.is_agent, self.room_id))
        except Exception:  # noqa: BLE001 - layer down or misconfigured: a clear 503, never a 500
            logger.exception("oscar_chat: cannot open an event stream")
            self.hub = None
            with translation.override(language):
                detail = _("Live updates are unavailable right now. Try again shortly.")
                await self._refuse(503, detail, code="unavailable", extra=[(b"retry-after", b"5")])
            return False

        await self.send_headers(
            status=200,
            headers=[
                (b"content-type", b"text/event-stream; charset=utf-8"),
                (b"cache-control", b"no-cache"),
                (b"x-accel-buffering", b"no"),
                (b"x-content-type-options", b"nosniff"),
            ],
        )
        self.flow = flow_for(self.base_send)
        if self.scope["method"] == "HEAD":
            await self._end()
            return False
        try:
            await self._replay(stream.last_event_id)
        except Exception:  # noqa: BLE001 - e.g. the database went away: end the stream, the client resumes
            logger.exception("oscar_chat: could not replay missed messages")
            await self._end()
            return False
        if self.revoked:
            await self._end()
            return False
        if self.grant.expires_at is not None:
            loop = asyncio.get_running_loop()
            delay = max(0.0, self.grant.expires_at - time.time())
            self.expiry = loop.call_later(delay, self.revoke, "token expired")
        self.writer = asyncio.ensure_future(self._write_loop())
        return True

    async def _replay(self, last_event_id):
        """``retry:``, then the missed messages (or ``reset``); then live events take over."""
        retry = conf.get("SSE_RETRY_MS")
        # Where the hub is: every message after it will be offered to us. Only a client that
        # saw further (on another process) makes us ask the database where the stream is.
        current = self.hub.position
        if last_event_id is not None and last_event_id > current:
            current = max(current, await stream_position())
        if last_event_id is None:
            chunks = [wire.preamble(retry, event_id=current)]
        elif last_event_id > current:
            # An id this store never gave (another database?): start afresh, and say so.
            chunks = [wire.preamble(retry), self._reset_frame(current, "unknown_id")]
        else:
            limit = int(conf.get("SSE_REPLAY_LIMIT"))
            missed = await load_messages(
                last_event_id,
                current,
                limit + 1,
                user=None if self.is_agent or self.room_id else self.user,
                room_id=self.room_id,
            )
            chunks = [wire.preamble(retry)]
            if len(missed) > limit:
                chunks.append(self._reset_frame(current, "too_many_missed"))
            else:
                chunks.extend(
                    wire.frame("message", data, event_id=seq)
                    for seq, _room, customer_id, data in missed
                    if audience.stream_sees(self.user.pk, self.is_agent, customer_id, data["message_type"])
                )
        await self.send_body(b"".join(chunks), more_body=True)

        # Live messages offered meanwhile were held; keep those after the replay, in order.
        self.position = current
        held, self.pending = self.pending, deque()
        self.replaying = False
        for seq, chunk in held:
            if seq is None or seq > self.position:
                self.position = seq if seq is not None else self.position
                self._push(seq, chunk)

    def _reset_frame(self, position, reason):
        """Refetch over REST, then carry on from here (its id is the resume point)."""
        return wire.frame("reset", {"last_event_id": position, "reason": reason}, event_id=position)

    async def _refuse(self, status, detail, code=None, extra=()):
        body = {"detail": detail}
        if code:
            body["code"] = code
        headers = [
            (b"content-type", b"application/json"),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
        ]
        if status in (429, 503) and not extra:
            extra = [limits.retry_after_header(status)]
        if status == 401:
            headers.append((b"www-authenticate", b'Bearer realm="api"'))
        await self.send_response(status, json.dumps(body).encode(), headers=headers + list(extra))

    # Offered by the hub (synchronous: no waiting inside the hub's loop) -----------------

    def offer_message(self, seq, chunk):
        """A message of our audience (the hub offers each message to its recipients only)."""
        if self.closed or self.revoked:
            return
        if self.replaying:
            self.pending.append((seq, chunk))
            return
        if seq <= self.position:
            return  # sent by the replay already
        self.position = seq
        self._push(seq, chunk)

    def offer_event(self, chunk):
        if self.closed or self.revoked:
            return
        self._push(None, chunk)

    def tick(self):
        """The hub's shared timer: a keep-alive when nothing was written since the last tick."""
        if self.wrote:
            self.wrote = False
            return
        if self.closed or self.revoked or self.writer is None or self.pending:
            return
        if self.flow.writable.is_set():
            self.pending.append((None, wire.KEEPALIVE))
            self.wakeup.set()

    def _push(self, seq, chunk):
        if self.replaying:
            self.pending.append((seq, chunk))
            return
        if len(self.pending) >= self.max_buffered and self._stalled():
            self._overflow()
            return
        self.pending.append((seq, chunk))
        self.wakeup.set()

    # Access (the hub re-checks it when Django says it changed) ---------------------

    def hold(self):
        """Send nothing until ``release`` or ``revoke``."""
        self.unheld.clear()

    def release(self):
        self.unheld.set()

    def revoke(self, reason):
        """Access is gone: drop what waits, send nothing more, end the response."""
        if self.revoked or self.closed:
            return
        self.revoked = True
        logger.info("oscar_chat: ending the event stream of user %s: %s", self.user.pk, reason)
        self.pending.clear()
        self.unheld.set()
        if self.expiry is not None:
            self.expiry.cancel()
        if self.writer is None:
            return  # still opening: _open sees ``revoked`` and ends it
        self.writer.cancel()
        asyncio.ensure_future(self._end())

    # Writing -----------------------------------------------------------------------

    def _stalled(self):
        """The client is not taking what we send (daphne's socket buffer is full, or send() waits)."""
        return self.sending or self.flow is None or not self.flow.writable.is_set()

    async def _write_loop(self):
        # No timer of its own: the hub's ticker pushes the keep-alives (``tick``).
        writable = self.flow.writable
        while not self.closed:
            if self.is_agent:  # presence: agents online while a stream of theirs lives
                await presence.agent_stream_alive(self.user.pk)
            if not self.pending:
                self.wakeup.clear()
                await self.wakeup.wait()
                continue
            if not writable.is_set():
                # The client is not reading; hold events (up to max_buffered) until it does.
                await writable.wait()
            if not self.unheld.is_set():
                await self.unheld.wait()
            if self.revoked:
                return
            chunks = b"".join(chunk for _seq, chunk in self.pending)
            self.pending.clear()
            self.sending = True
            try:
                await self.send_body(chunks, more_body=True)
            finally:
                self.sending = False
            self.wrote = True

    def _overflow(self):
        """The client stopped reading: drop the stream rather than buffer without bound."""
        if self.overflowed:
            return
        self.overflowed = True
        logger.warning(
            "oscar_chat: closing the event stream of user %s: "
            "more than %d events waiting for a client that is not reading",
            self.user.pk,
            self.max_buffered,
        )
        self.pending.clear()
        if self.writer is not None:
            self.writer.cancel()
        if not self.flow.abort():
            # No hold on the socket (another server): end the response; the client resumes.
            asyncio.ensure_future(self._end())

    async def _end(self):
        """Finish the response (the server then reports http.disconnect)."""
        self.flow.release()
        await self.send_body(b"")

    # Closing -----------------------------------------------------------------------

    async def _close(self):
        """Leave the hub's groups, stop the writer, let go of the socket. Runs once."""
        if self.closed:
            return
        self.closed = True
        self.pending.clear()
        if self.expiry is not None:
            self.expiry.cancel()
        if self.writer is not None:
            self.wakeup.set()
            if self.flow is not None:
                self.flow.writable.set()
            self.writer.cancel()
            try:
                await self.writer
            except BaseException:  # noqa: BLE001 - cancelled, or failed writing to a gone client
                pass
            self.writer = None
        if self.flow is not None:
            self.flow.release()
        if self.hub is not None:
            hub, self.hub = self.hub, None
            await hub.detach(self)
        if self.slot is not None:
            await self.slot.release()
