"""``GET sse``: the event stream of a customer (their rooms), an agent (every room) or one room.

A Channels ``AsyncHttpConsumer`` stops as soon as ``handle()`` returns, and it processes
one message at a time: a ``handle()`` that stayed open would never see ``http.disconnect``.
So this consumer opens the stream from ``http_request`` and returns; from then on the
process's hub offers it events (``offer_message``, ``offer_event``) and ticks it for the
keep-alives, and ``http.disconnect`` ends it all (``_close``).

On daphne a stream writes what it is offered at once, synchronously (``flow.DaphneFlow``):
an open stream has no task, timer or event of its own, only what waits while the client
does not read. On other servers a writer task sends through ``send``, which may wait.
"""

import asyncio
import io
import json
import logging
import time

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.http import AsyncHttpConsumer
from channels.layers import get_channel_layer
from django.core.handlers.asgi import ASGIRequest
from django.utils import translation
from django.utils.translation import gettext as _

from .. import access, audience, conf, limits, presence
from . import auth, wire
from .flow import flow_for
from .hub import hub_for, in_worker_thread, load_messages, stream_position

logger = logging.getLogger(__name__)


def _open_request(scope, body):
    """Authenticate, validate and take a stream slot, in one worker-thread hop (database and
    cache reads): ``(stream, slot, language, refusal)``."""
    request = ASGIRequest(scope, io.BytesIO(body))
    language = translation.get_language_from_request(request)
    with translation.override(language):
        try:
            stream = auth.authenticate_stream(request)
        except auth.StreamRefused as refused:
            return None, None, language, refused
        except limits.UNAVAILABLE_ERRORS:
            logger.exception("oscar_chat: cannot open an event stream (database unavailable)")
            detail = _("The chat is unavailable right now. Try again shortly.")
            return None, None, language, auth.StreamRefused(503, detail, "unavailable")
        slot = limits.take_stream_slot_now(stream.user)
        if slot is None:
            refused = auth.StreamRefused(429, _("Too many open streams. Close one and try again."), "too_many_streams")
            return None, None, language, refused
        return stream, slot, language, None


open_request = in_worker_thread(_open_request)


class EventStreamConsumer(AsyncHttpConsumer):
    """Serve with ``oscar_chat.asgi.wrap(django_asgi_app)`` (or route ``EventStreamConsumer.as_asgi()``)."""

    # What each of thousands of open streams keeps: these attributes and no more.
    __slots__ = (
        "scope",
        "base_send",
        "body",
        "user_id",
        "is_agent",
        "room_id",
        "pending",
        "position",
        "replaying",
        "live",
        "hub",
        "flow",
        "writer",
        "wakeup",
        "closed",
        "overflowed",
        "sending",
        "grant",
        "revoked",
        "held",
        "expiry",
        "slot",
        "wrote",
        "audience_keys",
    )

    def __init__(self, *args, **kwargs):
        # Not AsyncHttpConsumer's: no channel layer alias or per-instance state of Channels.
        self.body = []
        self.user_id = None
        self.is_agent = False
        self.room_id = None
        self.pending = []  # (seq or None, bytes) waiting: while replaying, held, or the client is not reading
        self.position = None  # seq up to which every visible message was sent
        self.replaying = True
        self.live = False  # opened: offered events are written (or wait in ``pending``)
        self.hub = None
        self.flow = None
        self.writer = None  # the writer task (servers other than daphne)
        self.wakeup = None  # its asyncio.Event
        self.closed = False
        self.overflowed = False
        self.sending = False  # the writer task awaits send()
        self.grant = None
        self.revoked = False
        self.held = False  # while the hub re-checks our access
        self.expiry = None  # timer ending the stream when its token expires
        self.slot = None  # of the user's open streams (oscar_chat.limits); the hub renews it
        self.wrote = False  # since the hub's last tick
        self.audience_keys = ()

    @property
    def max_buffered(self):
        return max(1, int(conf.get("SSE_MAX_BUFFERED_EVENTS")))

    # Channels plumbing ---------------------------------------------------------------

    async def __call__(self, scope, receive, send):
        # Unlike AsyncConsumer, no channel of our own: the process's hub receives for us.
        self.scope = scope
        self.base_send = send
        try:
            # One receive at a time, in this task (Channels' await_many_dispatch adds a task per stream).
            while True:
                await self.dispatch(await receive())
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
        body, self.body = b"".join(self.body), None
        if not await self._open(body):
            raise StopConsumer()

    async def http_disconnect(self, message):
        raise StopConsumer()

    # Opening -----------------------------------------------------------------------

    async def _open(self, body):
        if self.scope.get("method") not in ("GET", "HEAD"):
            await self._refuse(405, _("Method not allowed."), extra=[(b"allow", b"GET")])
            return False
        stream, self.slot, language, refused = await open_request(self.scope, body)  # the slot is released in _close
        if refused is not None:
            with translation.override(language):
                await self._refuse(refused.status, refused.detail, code=refused.code)
            return False
        # The user's id only: a User instance per open stream would be most of its memory.
        user = stream.user
        self.user_id, self.is_agent, self.room_id = user.pk, stream.is_agent, stream.room.pk if stream.room else None
        self.grant = access.Grant(
            user_id=user.pk,
            agent=stream.is_agent,
            session_key=stream.session_key,
            expires_at=stream.expires_at,
        )

        layer = get_channel_layer()
        try:
            if layer is None:
                raise RuntimeError("no channel layer is configured (CHANNEL_LAYERS)")
            self.hub = hub_for(layer)
            await self.hub.attach(self, audience.stream_keys(self.user_id, self.is_agent, self.room_id))
            if self.is_agent:  # presence: agents online while a stream of theirs lives (the hub renews it)
                await presence.agent_stream_alive(self.user_id)
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
        self.flow = flow_for(self.base_send, self)
        if self.scope["method"] == "HEAD":
            await self._end()
            return False
        try:
            await self._replay(stream.last_event_id, user)
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
        if not self.flow.direct:
            self.wakeup = asyncio.Event()
            self.writer = asyncio.ensure_future(self._write_loop())
        self.live = True
        self._flush()  # offered while opening
        return True

    async def _replay(self, last_event_id, user):
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
                user=None if self.is_agent or self.room_id else user,
                room_id=self.room_id,
            )
            chunks = [wire.preamble(retry)]
            if len(missed) > limit:
                chunks.append(self._reset_frame(current, "too_many_missed"))
            else:
                chunks.extend(
                    wire.frame("message", data, event_id=seq)
                    for seq, _room, customer_id, data in missed
                    if audience.stream_sees(self.user_id, self.is_agent, customer_id, data["message_type"])
                )
        await self.send_body(b"".join(chunks), more_body=True)

        # Live messages offered meanwhile were kept; keep those after the replay, in order
        # (written once the stream is live).
        self.position = current
        offered, self.pending = self.pending, []
        self.replaying = False
        for seq, chunk in offered:
            if seq is None or seq > self.position:
                self.position = seq if seq is not None else self.position
                self.pending.append((seq, chunk))

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
        if self.closed or self.revoked or self.overflowed:
            return
        if self.replaying:
            self.pending.append((seq, chunk))
            return
        if seq <= self.position:
            return  # sent by the replay already
        self.position = seq
        self._push(seq, chunk)

    def offer_event(self, chunk):
        if self.closed or self.revoked or self.overflowed:
            return
        self._push(None, chunk)

    def tick(self):
        """The hub's shared timer: a keep-alive when nothing was written since the last tick."""
        if self.wrote:
            self.wrote = False
            return
        if not self.live or self.closed or self.revoked or self.overflowed or self.held or self.pending:
            return
        if self.flow.direct:
            if self.flow.writable:
                self._write(wire.KEEPALIVE)
        else:
            self.pending.append((None, wire.KEEPALIVE))
            self.wakeup.set()

    def _push(self, seq, chunk):
        pending = self.pending
        if not self.live:  # opening: written, in order, once the replay is out
            pending.append((seq, chunk))
            return
        if not pending and not self.held and self.flow.direct and self.flow.writable:
            self._write(chunk)  # the common case: nothing waits, the client reads
            return
        if len(pending) >= self.max_buffered and self._stalled():
            self._overflow()
            return
        pending.append((seq, chunk))
        self._flush()

    def resumed(self):
        """Twisted wants data again (``DaphneFlow``): write what waited."""
        self._flush()

    def _flush(self):
        if not self.live or self.held or self.closed or self.revoked or self.overflowed or not self.pending:
            return
        if not self.flow.direct:
            self.wakeup.set()
        elif self.flow.writable:
            chunks = b"".join(chunk for _seq, chunk in self.pending)
            self.pending.clear()
            self._write(chunks)

    # Access (the hub re-checks it when Django says it changed) ---------------------

    def hold(self):
        """Send nothing until ``release`` or ``revoke``."""
        self.held = True

    def release(self):
        self.held = False
        self._flush()

    def revoke(self, reason):
        """Access is gone: drop what waits, send nothing more, end the response."""
        if self.revoked or self.closed:
            return
        self.revoked = True
        logger.info("oscar_chat: ending the event stream of user %s: %s", self.user_id, reason)
        self.pending.clear()
        self.held = False
        if self.expiry is not None:
            self.expiry.cancel()
        if not self.live:
            return  # still opening: _open sees ``revoked`` and ends it
        if self.writer is not None:
            self.writer.cancel()
        asyncio.ensure_future(self._end())

    # Writing -----------------------------------------------------------------------

    def _stalled(self):
        """The client is not taking what we send (daphne's socket buffer is full, or send() waits)."""
        return self.sending or self.flow is None or not self.flow.writable

    def _write(self, data):
        """On daphne: to Twisted, now (it buffers what the socket does not take at once)."""
        try:
            self.flow.write(data)
        except Exception:  # noqa: BLE001 - must not stop the hub's offers to other streams
            logger.exception("oscar_chat: could not write to an event stream; dropping it")
            self.overflowed = True  # writes nothing more; http.disconnect follows and runs _close
            self.pending.clear()
            if not self.flow.abort():
                asyncio.ensure_future(self._end())
            return
        self.wrote = True

    async def _write_loop(self):
        """On other servers: send what waits, one send() at a time (it may wait for the socket)."""
        wakeup = self.wakeup
        while not self.closed:
            if not self.pending or self.held:
                wakeup.clear()
                await wakeup.wait()
                continue
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
            self.user_id,
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
