"""The chat's limits: messages and rooms per customer, open streams per user (docs/deployment.md).

Messages and rooms are counted in the database under a row lock per customer
(``RateLimitLock``), taken inside the writing transaction: of any number of simultaneous
requests, on any number of server processes, only those that fit the window pass. The
count is the customer's stored messages (or rooms) in the sliding window, so a refused or
rolled-back request costs nothing and ``Retry-After`` says when the oldest leaves it.

Open streams are counted in Django's cache as leases: slot ``i`` of a user is a key added
atomically with a lifetime (``SSE_SLOT_LEASE_SECONDS``) that the process holding the
stream keeps renewing. A stream that ends deletes its key; one whose process died simply stops renewing
it, and the slot is free when the lease runs out. With a shared cache (Redis, Memcached)
the cap holds across processes.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from django.utils.translation import ngettext

from . import conf
from .exceptions import RateLimited
from .models import ChatMessage, ChatRoom, RateLimitLock
from .roles import is_agent

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait after a 503 (database or channel layer unavailable).
OUTAGE_RETRY_AFTER = 5


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis comes with channels-redis
        return errors
    return (*errors, RedisConnectionError, RedisTimeoutError)


# Errors of a service that is not there (rather than of a query): the database down, restarting
# or its pool exhausted; Redis (a cache or session store) unreachable. Retrying later helps: 503.
UNAVAILABLE_ERRORS = _unavailable_errors()


def _hold(user) -> None:
    """Lock ``user``'s limit row until the transaction ends: their counts are then exact."""
    RateLimitLock.objects.select_for_update().get_or_create(user_id=user.pk)


def _wait_for(oldest, window: float) -> int:
    return max(int((oldest + timedelta(seconds=window) - timezone.now()).total_seconds()) + 1, 1)


def counts_messages_of(sender) -> bool:
    """Whether ``check_message_rate`` counts ``sender``'s messages (it then needs a transaction)."""
    return conf.get("RATE_LIMIT_MESSAGES") is not None and not is_agent(sender)


def check_message_rate(sender) -> None:
    """Raise ``RateLimited`` if a customer's message would exceed ``RATE_LIMIT_MESSAGES``.

    Call inside the sending transaction, before its other locks: the lock is held until the
    message commits, so a concurrent send of the same customer counts it. Agents pass.
    """
    limit, window = conf.get("RATE_LIMIT_MESSAGES"), conf.get("RATE_LIMIT_WINDOW")
    if limit is None or is_agent(sender):
        return
    if limit <= 0:
        raise RateLimited(max(int(window), 1))
    _hold(sender)
    since = timezone.now() - timedelta(seconds=window)
    recent = list(
        ChatMessage.objects.filter(sender=sender, created_at__gt=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        raise RateLimited(_wait_for(recent[-1], window))


def check_room_rate(customer, opened_by) -> None:
    """Raise ``RateLimited`` if a customer opening a room would exceed ``RATE_LIMIT_ROOMS``.

    Call inside the opening transaction. Rooms an agent opens for a customer are not limited
    (they still count towards the customer's own openings in the window).
    """
    limit, window = conf.get("RATE_LIMIT_ROOMS"), conf.get("RATE_LIMIT_ROOMS_WINDOW")
    if limit is None or is_agent(opened_by):
        return
    if limit <= 0:
        raise RateLimited(max(int(window), 1), _rooms_detail(int(window)))
    _hold(customer)
    since = timezone.now() - timedelta(seconds=window)
    recent = list(
        ChatRoom.objects.filter(user=customer, created_at__gt=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        wait = _wait_for(recent[-1], window)
        raise RateLimited(wait, _rooms_detail(wait))


def _rooms_detail(wait: int) -> str:
    return ngettext(
        "Too many new conversations. Try again in %(seconds)d second.",
        "Too many new conversations. Try again in %(seconds)d seconds.",
        wait,
    ) % {"seconds": wait}


# Open streams ---------------------------------------------------------------------------


def _slot_key(user_id, index: int) -> str:
    return f"oscar_chat:stream-slot:{user_id}:{index}"


class StreamSlot:
    """One of a user's open-stream slots. The process's hub renews the slots of its streams
    together (``renew_stream_slots``), one timer for all of them; ``release()`` it."""

    def __init__(self, key: str | None, token: str, lease: float):
        self.key = key  # None: not counted (no cap, or the cache was unavailable)
        self.token = token
        self.lease = lease

    async def release(self) -> None:
        if self.key is None:
            return
        key, self.key = self.key, None
        try:
            await _in_thread(_delete_if_ours, key, self.token)
        except Exception:  # noqa: BLE001 - the lease runs out by itself
            logger.warning("oscar_chat: could not release a stream slot (cache error)", exc_info=True)


def _renew_slots(slots: list[StreamSlot], lease: float) -> None:
    for slot in slots:
        key = slot.key
        if key is None:
            continue  # released meanwhile
        # touch() reports a missing key (expired during a cache outage): take it again if free.
        if not cache.touch(key, lease):
            cache.add(key, slot.token, timeout=lease)


async def renew_stream_slots(slots) -> None:
    """Renew the leases of ``slots`` (every ``stream_slot_lease() / 3`` s), in one worker-thread
    hop for all of them rather than a timer and a hop per stream."""
    slots = [slot for slot in slots if slot is not None and slot.key is not None]
    if not slots:
        return
    try:
        await _in_thread(_renew_slots, slots, stream_slot_lease())
    except Exception:  # noqa: BLE001 - the cache being down must not end the streams
        logger.warning("oscar_chat: could not renew the stream slots (cache error)", exc_info=True)


def _delete_if_ours(key: str, token: str) -> None:
    if cache.get(key) == token:
        cache.delete(key)


def _in_thread(func, *args):
    # Not Django's thread-sensitive executor: that one thread also runs the streams' database work.
    return sync_to_async(func, thread_sensitive=False)(*args)


def _take_slot(user_id, cap: int, token: str, lease: float) -> str | None:
    for index in range(cap):
        key = _slot_key(user_id, index)
        if cache.add(key, token, timeout=lease):  # atomic: of two streams racing, one gets the slot
            return key
    return None


def users_with_open_streams(user_ids) -> set:
    """Which of ``user_ids`` hold an open stream now (a live slot). Empty when streams are not
    counted (``SSE_MAX_STREAMS_PER_USER`` None). One cache read for all of them."""
    cap = conf.get("SSE_MAX_STREAMS_PER_USER")
    if cap is None:
        return set()
    keys = {_slot_key(user_id, index): user_id for user_id in user_ids for index in range(int(cap))}
    return {keys[key] for key in cache.get_many(list(keys))}


def stream_slot_lease() -> float:
    return max(float(conf.get("SSE_SLOT_LEASE_SECONDS")), 1.0)


async def take_stream_slot(user) -> StreamSlot | None:
    """A slot for one more open stream of ``user``, or None when they have ``SSE_MAX_STREAMS_PER_USER``."""
    if conf.get("SSE_MAX_STREAMS_PER_USER") is None:
        return StreamSlot(None, secrets.token_hex(8), stream_slot_lease())
    return await _in_thread(take_stream_slot_now, user)


def take_stream_slot_now(user) -> StreamSlot | None:
    """``take_stream_slot`` in the calling thread (the stream's opening, already in a worker
    thread, takes it in the same hop)."""
    cap, lease, token = conf.get("SSE_MAX_STREAMS_PER_USER"), stream_slot_lease(), secrets.token_hex(8)
    if cap is None:
        return StreamSlot(None, token, lease)
    try:
        key = _take_slot(user.pk, int(cap), token, lease)
    except Exception:  # noqa: BLE001 - without the cache, streams are not counted rather than refused
        logger.warning("oscar_chat: cannot count open streams (cache error)", exc_info=True)
        return StreamSlot(None, token, lease)
    return StreamSlot(key, token, lease) if key else None


def retry_after_header(status: int) -> tuple[bytes, bytes]:
    """``Retry-After`` of a refused stream: a 503 (outage), or a 429 (a dead process's slot frees within a lease)."""
    seconds = OUTAGE_RETRY_AFTER if status == 503 else int(stream_slot_lease())
    return (b"retry-after", str(seconds).encode())


def request_has_body(scope: dict, message: dict) -> bool:
    """Whether an HTTP request carries a body (declared in its headers, or sent)."""
    if message.get("body") or message.get("more_body"):
        return True
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"", b"0")):
            return True
    return False
