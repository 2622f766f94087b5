"""One hub per server process (per event loop): the channel-layer side of every local stream.

The hub holds a single channel of the layer, subscribed to ``oscar_chat.messages`` (every
write once, with every view of it) and ``oscar_chat.access``, whatever its streams: opening
a stream costs the layer nothing. It indexes its streams by audience key
(``oscar_chat.audience``: the agents, a customer, a room), so an event costs the streams
that get it, not the streams that are open: one decoding, one encoding per view.

Messages are delivered in ``seq`` order, each exactly once. ``seq`` is gapless and given in
commit order (``services._assign_stream_seq``), so a hole means a notification is late (on-
commit publishers of concurrent requests race) or was lost (pub/sub drops messages while
Redis reconnects). The hub keeps notifications that came early for ``REORDER_SECONDS``,
waiting for the missing ones; only past that does it read the missing messages from the
database (in a worker thread of its own), and a late notification is then dropped as a
duplicate. Every ``SSE_CATCHUP_SECONDS`` without news it also checks the database for
messages that came with no notification at all (Redis down).

A customer's live activity (``chat.customer``: the page they have open, their basket) goes
to the agents' streams (and agents' streams narrowed to one of that customer's rooms) only,
as a ``customer`` event, encoded once.

It also listens to ``oscar_chat.access``: when the access of a user changes, their local
streams hold what they would send while the hub re-checks them (``access.lost``), then go on
or end. Every ``SSE_ACCESS_CHECK_SECONDS`` it re-checks every local stream, as a backstop for
changes that came with no signal. While it listens, this process keeps its users' access in its
own memory (``oscar_chat.access_memo``), and the hub forgets the users each notice names.
"""

import asyncio
import logging
import weakref

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from .. import access, access_memo, audience, conf, limits, payloads, presence, selectors
from ..events import ACCESS_GROUP, MESSAGES_GROUP
from ..roles import agent_ids_among
from . import wire

logger = logging.getLogger(__name__)

# Messages read from the database at once when repairing a hole.
CATCH_UP_BATCH = 200
# Pause after the channel layer failed, before receiving again.
LAYER_RETRY_SECONDS = 1.0
# Layers expire group members after a day (group_expiry): the hub renews its memberships.
RENEW_GROUPS_SECONDS = 3600
# How long notifications that came before a missing one wait for it, before the database.
REORDER_SECONDS = 0.5
# Rooms whose last handed-out version the hub remembers (the most recently changed).
ROOM_VERSIONS_KEPT = 10_000
# The groups every hub belongs to.
HUB_GROUPS = (MESSAGES_GROUP, ACCESS_GROUP)
# Keep-alives: at least every SSE_KEEPALIVE_SECONDS, clamped to this range (proxies close
# connections idle for longer than about 30 s).
MIN_KEEPALIVE_SECONDS = 0.05
MAX_KEEPALIVE_SECONDS = 20.0
# Streams ticked between two turns of the event loop.
TICK_SLICE = 500


def keepalive_seconds() -> float:
    return min(max(float(conf.get("SSE_KEEPALIVE_SECONDS")), MIN_KEEPALIVE_SECONDS), MAX_KEEPALIVE_SECONDS)


_hubs = weakref.WeakKeyDictionary()


def hub_for(layer):
    """This event loop's hub for ``layer``."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None or hub.layer is not layer:
        hub = _hubs[loop] = Hub(layer)
    return hub


def stats():
    """What the streams of this process hold, for monitoring: per event loop, the streams,
    the audience keys listened to and whether the hub's task runs."""
    return [
        {
            "streams": len(hub.streams),
            "audiences": len(hub.audiences),
            "running": hub.running,
            "position": hub.position,
        }
        for hub in list(_hubs.values())
    ]


def has_local_stream(user_id) -> bool:
    """Whether ``user_id`` has a stream open in this process (a hub of any event loop holds it)."""
    try:
        hubs = list(_hubs.values())
    except RuntimeError:  # a hub was being made meanwhile: unknown here
        return False
    return any(user_id in hub.by_user for hub in hubs)


def in_worker_thread(function):
    """``function`` run in a thread of the default executor, not Channels' single database
    thread (stream opens and repairs must not queue behind each other). The connection is
    checked like a request's: before (a stale one is closed) and after (returned to the
    pool, or closed, as CONN_MAX_AGE says)."""

    def run(*args, **kwargs):
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False)


def _load_messages(after, upto, limit, user=None, room_id=None):
    """``(seq, room id, customer id, Message JSON)`` of the messages ``after < seq <= upto``."""
    messages = selectors.stream_messages(after=after, upto=upto, user=user, room_id=room_id, limit=limit)
    agent_ids = agent_ids_among({m.sender for m in messages})
    return [(m.seq, m.room_id, m.room.user_id, payloads.message_data(m, agent_ids=agent_ids)) for m in messages]


load_messages = in_worker_thread(_load_messages)
stream_position = in_worker_thread(selectors.stream_position)
check_access = in_worker_thread(access.lost)


class Hub:
    def __init__(self, layer):
        self.layer = layer
        self.channel = None
        self.task = None
        self.ticker = None  # the one timer of every local stream (keep-alives, slot leases)
        # The seq of the last message handed to the streams: all before it were handed too.
        self.position = 0
        self.streams = set()
        self.audiences = {}  # audience key -> set of streams
        self.by_user = {}  # user id -> set of streams
        self.early = {}  # seq -> notification that came before a missing one
        self.early_since = None  # loop time the oldest early notification came
        self.room_versions = {}  # room id -> version of its state last handed out, oldest first
        self._checks = set()  # running access re-checks
        self._lock = asyncio.Lock()
        self.listening = False  # to oscar_chat.access, as access_memo knows

    @property
    def running(self):
        return self.task is not None

    async def attach(self, stream, keys):
        """Offer ``stream`` every event for ``keys`` and every message from now on.

        From its return, ``stream.offer_message`` gets every message of its audience with a
        seq above ``self.position`` (read at any time afterwards): a stream that then replays
        up to that position misses nothing.
        """
        async with self._lock:
            if self.task is None:
                await self._start()
            for key in keys:
                self.audiences.setdefault(key, set()).add(stream)
            stream.audience_keys = list(keys)
            self.streams.add(stream)
            self.by_user.setdefault(stream.grant.user_id, set()).add(stream)

    async def detach(self, stream):
        async with self._lock:
            self.streams.discard(stream)
            for key in getattr(stream, "audience_keys", ()):
                members = self.audiences.get(key)
                if members is not None:
                    members.discard(stream)
                    if not members:
                        del self.audiences[key]
            own = self.by_user.get(stream.grant.user_id)
            if own is not None:
                own.discard(stream)
                if not own:
                    del self.by_user[stream.grant.user_id]
            if not self.streams and self.task is not None:
                await self._stop()

    async def _start(self):
        self.channel = await self.layer.new_channel()
        try:
            for group in HUB_GROUPS:
                await self.layer.group_add(group, self.channel)
            self.position = await stream_position()
        except BaseException:
            await self._release_channel()
            raise
        self.early.clear()
        self.listening = True
        access_memo.listening(True)
        self.task = asyncio.ensure_future(self._run())
        self.ticker = asyncio.ensure_future(self._tick())

    async def _stop(self):
        if self.listening:
            self.listening = False
            access_memo.listening(False)
        for name in ("task", "ticker"):
            task = getattr(self, name)
            setattr(self, name, None)
            if task is not None:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        await self._release_channel()

    async def _tick(self):
        """One timer for every local stream, instead of two per stream: 10,000 idle streams
        cost one wake-up per period, plus the keep-alives themselves.

        Every half keep-alive period, a stream that wrote nothing since the previous tick gets a
        keep-alive (so none stays silent longer than the period), in slices that let the loop
        serve other work in between; the agents with a live stream are marked present
        (``oscar_chat.presence``, one cache write for all). Every third of the lease, the
        stream slots of ``oscar_chat.limits`` are renewed together, in one worker-thread hop.
        """
        loop = asyncio.get_running_loop()
        beat = keepalive_seconds() / 2
        renew_every = limits.stream_slot_lease() / 3
        beat_at, renew_at = loop.time() + beat, loop.time() + renew_every
        while True:
            await asyncio.sleep(max(0.0, min(beat_at, renew_at) - loop.time()))
            now = loop.time()
            try:
                if now >= beat_at:
                    beat_at = now + beat
                    await self._keep_alive()
                if now >= renew_at:
                    renew_at = now + renew_every
                    await limits.renew_stream_slots([stream.slot for stream in list(self.streams)])
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a failing stream must not stop the others' keep-alives
                logger.exception("oscar_chat: event hub timer error")

    async def _keep_alive(self):
        streams = list(self.streams)
        for start in range(0, len(streams), TICK_SLICE):
            if start:
                await asyncio.sleep(0)  # a message's deliveries need not wait for 10,000 ticks
            for stream in streams[start : start + TICK_SLICE]:
                try:
                    stream.tick()
                except Exception:  # noqa: BLE001
                    logger.exception("oscar_chat: event stream keep-alive error")
        agents = {
            stream.grant.user_id for stream in streams if stream.grant.agent and stream.live and not stream.closed
        }
        if agents:
            try:
                await presence.agent_streams_alive(agents)
            except Exception:  # noqa: BLE001 - presence is a hint; the streams go on
                logger.warning("oscar_chat: could not mark agents present (cache error)", exc_info=True)

    async def _release_channel(self):
        channel, self.channel = self.channel, None
        if channel is None:
            return
        for group in HUB_GROUPS:
            try:
                await self.layer.group_discard(group, channel)
            except Exception:  # noqa: BLE001
                logger.warning("oscar_chat: could not leave group %s", group, exc_info=True)

    async def _run(self):
        interval = min(float(conf.get("SSE_CATCHUP_SECONDS")), float(conf.get("SSE_ACCESS_CHECK_SECONDS")))
        check_every = float(conf.get("SSE_ACCESS_CHECK_SECONDS"))
        loop = asyncio.get_running_loop()
        renew_at = loop.time() + RENEW_GROUPS_SECONDS
        check_at = loop.time() + check_every
        receiving = None
        try:
            while True:
                if loop.time() > renew_at:
                    renew_at = loop.time() + RENEW_GROUPS_SECONDS
                    await self._renew_groups()
                if loop.time() > check_at:
                    check_at = loop.time() + check_every
                    self._recheck(list(self.streams))
                if receiving is None:
                    # Never cancelled to time out: some layers drop the channel when a receive is cancelled.
                    receiving = asyncio.ensure_future(self.layer.receive(self.channel))
                timeout = interval
                if self.early:
                    timeout = max(0.0, self.early_since + REORDER_SECONDS - loop.time())
                done, _ = await asyncio.wait({receiving}, timeout=timeout)
                try:
                    if receiving in done:
                        finished, receiving = receiving, None
                        try:
                            payload = finished.result()
                        except Exception as exc:  # noqa: BLE001 - the layer failed; catch-up covers the gap
                            logger.warning("oscar_chat: channel layer receive failed (%r); retrying", exc)
                            access_memo.forget_all()  # an access notice may be among what was missed
                            await asyncio.sleep(LAYER_RETRY_SECONDS)
                            continue
                        self._handle(payload, loop.time())
                    if (
                        not self.early
                        and receiving is not None
                        or self.early
                        and (loop.time() >= self.early_since + REORDER_SECONDS)
                    ):
                        # Quiet for a while, or a hole that did not fill in time: ask the database.
                        await self._catch_up()
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - keep serving; the next catch-up repairs what was missed
                    logger.exception("oscar_chat: event hub error")
                    await asyncio.sleep(LAYER_RETRY_SECONDS)
        finally:
            for check in list(self._checks):
                check.cancel()
            if receiving is not None:
                receiving.cancel()
                try:
                    await receiving
                except BaseException:  # noqa: BLE001 - cancelled or failed: either way gone
                    pass

    async def _renew_groups(self):
        async with self._lock:
            for group in HUB_GROUPS:
                try:
                    await self.layer.group_add(group, self.channel)
                except Exception:  # noqa: BLE001
                    logger.warning("oscar_chat: could not renew group %s", group, exc_info=True)

    def _handle(self, payload, now):
        kind = payload.get("type")
        if kind == "chat.message":
            seq = payload.get("seq")
            if not isinstance(seq, int) or seq <= self.position:
                return  # already handed out (a late or repeated notification)
            if seq != self.position + 1:
                if not self.early:
                    self.early_since = now
                self.early[seq] = payload
                return
            self._deliver_notified(payload)
            # The ones that waited for it, as far as they follow on.
            while self.position + 1 in self.early:
                self._deliver_notified(self.early.pop(self.position + 1))
            if not self.early:
                self.early_since = None
        elif kind == "chat.event":
            self._offer_event(payload)
        elif kind == "chat.customer":
            self._offer_customer_activity(payload)
        elif kind == "chat.access":
            self._access_changed(payload.get("users") or (), payload.get("session"))

    def _deliver_notified(self, payload):
        self._deliver(payload["seq"], payload["room"], payload["customer"], payload["data"])
        views = payload.get("room_views")
        if views:
            self._offer_event(
                {
                    "event": "room",
                    "room": payload["room"],
                    "customer": payload["customer"],
                    "views": views,
                    "room_version": payload.get("room_version"),
                }
            )

    def _recipients(self, room_id, customer_id):
        found = set()
        for key in audience.event_keys(room_id, customer_id):
            members = self.audiences.get(key)
            if members:
                found.update(members)
        return found

    def _newer_room_state(self, room_id, version):
        """Whether the room's state at ``version`` is newer than the last handed out (then it
        is the last): an older one, announced before it but arriving after, would undo it."""
        if version is None:
            return True  # from a process of an earlier release, during an upgrade
        versions = self.room_versions
        known = versions.pop(room_id, None)
        if known is not None and version < known:
            versions[room_id] = known
            return False
        versions[room_id] = version
        if len(versions) > ROOM_VERSIONS_KEPT:
            # The least recently changed room; a reordering lasts milliseconds, not that long.
            del versions[next(iter(versions))]
        return True

    def _offer_event(self, payload):
        if payload["event"] == "room" and not self._newer_room_state(payload["room"], payload.get("room_version")):
            return
        recipients = self._recipients(payload["room"], payload["customer"])
        if not recipients:
            return
        excluded = payload.get("exclude_user")
        views = payload["views"]
        frames = {}
        for stream in recipients:
            if excluded is not None and stream.grant.user_id == excluded:
                continue
            view = audience.view_for(stream.grant.user_id, stream.grant.agent, payload["customer"])
            chunk = frames.get(view)
            if chunk is None:
                chunk = frames[view] = wire.frame(payload["event"], views.get(view) or views["customer"])
            stream.offer_event(chunk)

    def _offer_customer_activity(self, payload):
        customer_id = payload["customer"]
        recipients = set()
        for key in audience.customer_activity_keys(payload.get("rooms") or ()):
            recipients.update(self.audiences.get(key, ()))
        chunk = None
        for stream in recipients:
            if audience.sees_customer_activity(stream.grant.user_id, stream.grant.agent, customer_id):
                chunk = chunk or wire.frame("customer", payload["data"])
                stream.offer_event(chunk)

    async def _catch_up(self):
        """Hand out, in order, every committed message after ``position``."""
        target = await stream_position()
        if target < self.position:
            # The sequence went back: the database was restored or emptied under us.
            logger.warning("oscar_chat: stream position went back from %s to %s", self.position, target)
            self.position = target
            self.early.clear()
        while target > self.position:
            batch = await load_messages(self.position, target, CATCH_UP_BATCH)
            for seq, room_id, customer_id, data in batch:
                if seq > self.position:
                    early = self.early.pop(seq, None)
                    if early is not None:
                        self._deliver_notified(early)
                    else:
                        self._deliver(seq, room_id, customer_id, data)
            if len(batch) < CATCH_UP_BATCH:
                # Seqs up to target with no message left belong to deleted messages.
                self.position = max(self.position, target)
        for seq in [seq for seq in self.early if seq <= self.position]:
            del self.early[seq]
        # What is left came after target: it waits for its turn again.
        self.early_since = asyncio.get_running_loop().time() if self.early else None

    def _deliver(self, seq, room_id, customer_id, data):
        self.position = seq
        recipients = self._recipients(room_id, customer_id)
        if not recipients:
            return
        encoded = wire.frame("message", data, event_id=seq)
        message_type = data.get("message_type")
        for stream in recipients:
            if audience.stream_sees(stream.grant.user_id, stream.grant.agent, customer_id, message_type):
                stream.offer_message(seq, encoded)

    # Access -------------------------------------------------------------------------

    def _access_changed(self, user_ids, session_key):
        access_memo.forget_users(user_ids)
        streams = [stream for pk in user_ids for stream in self.by_user.get(pk, ())]
        if session_key:
            # That session logged out: its streams end now, with no need to ask anyone.
            for stream in [s for s in streams if s.grant.session_key == session_key]:
                stream.revoke("logged out")
            streams = [s for s in streams if s.grant.session_key != session_key]
        self._recheck(streams)

    def _recheck(self, streams):
        """Hold ``streams`` while their access is read afresh; then release or end each."""
        streams = [stream for stream in streams if not stream.closed and not stream.revoked]
        if not streams:
            return
        for stream in streams:
            stream.hold()
        check = asyncio.ensure_future(self._check(streams))
        self._checks.add(check)
        check.add_done_callback(self._checks.discard)

    async def _check(self, streams):
        try:
            lost = await check_access({stream.grant for stream in streams})
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - cannot tell: end them (fail closed); clients resume elsewhere
            logger.exception("oscar_chat: could not re-check the access of event streams")
            lost = {stream.grant for stream in streams}
        for stream in streams:
            if stream.grant in lost:
                stream.revoke("access changed")
            else:
                stream.release()
