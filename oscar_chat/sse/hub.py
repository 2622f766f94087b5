"""One hub per server process (per event loop): the channel-layer side of every local stream.

The hub holds a single channel of the layer. It subscribes it once to each group some local
stream needs (reference counted: the last stream to leave a group unsubscribes it), and to
``oscar_chat.messages``, which carries every message once. It routes each event to the
streams of its group, so the cost of an event in a process does not grow with the number
of agents or tabs open there: one group message, one decoding, one encoding per view.

Messages are delivered in ``seq`` order, each exactly once. ``seq`` is gapless and given in
commit order (``services._next_stream_seq``), so a hole means a notification is late or was
lost (pub/sub drops messages while Redis reconnects; on-commit publishers of different
processes race). On a hole the hub reads the missing messages from the database; a late
notification is then dropped as a duplicate. Every ``SSE_CATCHUP_SECONDS`` it also checks
the database for messages that came with no notification at all (Redis down).

It also listens to ``oscar_chat.access``: when the access of a user changes, their local
streams hold what they would send while the hub re-checks them (``access.lost``), then go on
or end. Every ``SSE_ACCESS_CHECK_SECONDS`` it re-checks every local stream, as a backstop for
changes that came with no signal.
"""

import asyncio
import logging
import weakref

from channels.db import database_sync_to_async

from .. import access, conf, selectors
from ..events import ACCESS_GROUP, MESSAGES_GROUP
from . import wire

logger = logging.getLogger(__name__)

# Messages read from the database at once when repairing a hole.
CATCH_UP_BATCH = 200
# Pause after the channel layer failed, before receiving again.
LAYER_RETRY_SECONDS = 1.0
# Layers expire group members after a day (group_expiry): the hub renews its memberships.
RENEW_GROUPS_SECONDS = 3600
# The groups every hub belongs to, whatever its streams.
HUB_GROUPS = (MESSAGES_GROUP, ACCESS_GROUP)

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
    the groups subscribed and whether the hub's task runs."""
    return [
        {"streams": len(hub.streams), "groups": sorted(hub.groups), "running": hub.running, "position": hub.position}
        for hub in list(_hubs.values())
    ]


def _load_messages(after, upto, limit, user=None, room_id=None):
    """``(seq, room id, customer id, Message JSON)`` of the messages ``after < seq <= upto``."""
    from ..api.serializers import message_data

    return [
        (m.seq, m.room_id, m.room.user_id, message_data(m))
        for m in selectors.stream_messages(after=after, upto=upto, user=user, room_id=room_id, limit=limit)
    ]


load_messages = database_sync_to_async(_load_messages)
stream_position = database_sync_to_async(selectors.stream_position)
check_access = database_sync_to_async(access.lost)


class Hub:
    def __init__(self, layer):
        self.layer = layer
        self.channel = None
        self.task = None
        # The seq of the last message handed to the streams: all before it were handed too.
        self.position = 0
        self.streams = set()
        self.groups = {}  # group name -> set of streams
        self.by_user = {}  # user id -> set of streams
        self._checks = set()  # running access re-checks
        self._lock = asyncio.Lock()

    @property
    def running(self):
        return self.task is not None

    async def attach(self, stream, groups):
        """Subscribe ``stream`` to ``groups`` and to every message from now on.

        From its return, ``stream.offer_message`` gets every message with a seq above a
        position no greater than ``stream_position()`` read afterwards: a stream that then
        replays up to that position misses nothing.
        """
        async with self._lock:
            if self.task is None:
                await self._start()
            joined = []
            try:
                for group in groups:
                    if group not in self.groups:
                        await self.layer.group_add(group, self.channel)
                        self.groups[group] = set()
                    self.groups[group].add(stream)
                    joined.append(group)
            except BaseException:
                for group in joined:
                    self.groups[group].discard(stream)
                await self._drop_empty_groups()
                if not self.streams:
                    await self._stop()
                raise
            self.streams.add(stream)
            self.by_user.setdefault(stream.grant.user_id, set()).add(stream)

    async def detach(self, stream):
        async with self._lock:
            self.streams.discard(stream)
            own = self.by_user.get(stream.grant.user_id)
            if own is not None:
                own.discard(stream)
                if not own:
                    del self.by_user[stream.grant.user_id]
            for members in self.groups.values():
                members.discard(stream)
            await self._drop_empty_groups()
            if not self.streams and self.task is not None:
                await self._stop()

    async def _drop_empty_groups(self):
        for group in [g for g, members in self.groups.items() if not members]:
            del self.groups[group]
            try:
                await self.layer.group_discard(group, self.channel)
            except Exception:  # noqa: BLE001 - the layer is down; its subscription dies with it
                logger.warning("oscar_chat: could not leave group %s", group, exc_info=True)

    async def _start(self):
        self.channel = await self.layer.new_channel()
        try:
            for group in HUB_GROUPS:
                await self.layer.group_add(group, self.channel)
            self.position = await stream_position()
        except BaseException:
            await self._release_channel()
            raise
        self.task = asyncio.ensure_future(self._run())

    async def _stop(self):
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        await self._release_channel()

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
        interval = float(conf.get("SSE_CATCHUP_SECONDS"))
        check_every = float(conf.get("SSE_ACCESS_CHECK_SECONDS"))
        interval = min(interval, check_every)
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
                done, _ = await asyncio.wait({receiving}, timeout=interval)
                try:
                    if receiving in done:
                        finished, receiving = receiving, None
                        try:
                            payload = finished.result()
                        except Exception as exc:  # noqa: BLE001 - the layer failed; catch-up covers the gap
                            logger.warning("oscar_chat: channel layer receive failed (%r); retrying", exc)
                            await asyncio.sleep(LAYER_RETRY_SECONDS)
                            continue
                        await self._handle(payload)
                    else:
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
            for group in [*HUB_GROUPS, *self.groups]:
                try:
                    await self.layer.group_add(group, self.channel)
                except Exception:  # noqa: BLE001
                    logger.warning("oscar_chat: could not renew group %s", group, exc_info=True)

    async def _handle(self, payload):
        kind = payload.get("type")
        if kind == "chat.message":
            seq = payload.get("seq")
            if not isinstance(seq, int) or seq <= self.position:
                return  # already handed out (a late or repeated notification)
            if seq == self.position + 1:
                self._deliver(seq, payload["room"], payload["customer"], payload["data"])
            else:
                await self._catch_up()
        elif kind == "chat.access":
            self._access_changed(payload.get("users") or (), payload.get("session"))
        elif kind == "chat.event":
            members = self.groups.get(payload.get("group"))
            if members:
                frames = {}
                for stream in list(members):
                    stream.offer_event(payload, frames)

    def _access_changed(self, user_ids, session_key):
        streams = [stream for pk in user_ids for stream in self.by_user.get(pk, ())]
        if session_key:
            # That session logged out: its streams end now, with no need to ask anyone.
            for stream in [s for s in streams if s.grant.session_key == session_key]:
                stream.revoke("logged out")
            streams = [s for s in streams if s.grant.session_key != session_key]
        self._recheck(streams)

    def _recheck(self, streams):
        """Hold ``streams`` while their access is read afresh; then release or end each."""
        streams = [stream for stream in streams if not stream.closed]
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

    async def _catch_up(self):
        """Hand out, in order, every committed message after ``position``."""
        target = await stream_position()
        if target < self.position:
            # The sequence went back: the database was restored or emptied under us.
            logger.warning("oscar_chat: stream position went back from %s to %s", self.position, target)
            self.position = target
        while target > self.position:
            batch = await load_messages(self.position, target, CATCH_UP_BATCH)
            for seq, room_id, customer_id, data in batch:
                if seq > self.position:
                    self._deliver(seq, room_id, customer_id, data)
            if len(batch) < CATCH_UP_BATCH:
                # Seqs up to target with no message left belong to deleted messages.
                self.position = max(self.position, target)

    def _deliver(self, seq, room_id, customer_id, data):
        self.position = seq
        encoded = wire.frame("message", data, event_id=seq)
        for stream in list(self.streams):
            stream.offer_message(seq, room_id, customer_id, encoded)
