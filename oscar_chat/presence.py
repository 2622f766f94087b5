"""Agents online or away, and the store page each chat customer has open, across server processes.

An agent's open event stream marks the agent present in the cache (shared by the processes,
e.g. Redis) when it opens, then the process's stream hub renews it with its keep-alive ticks
(every half ``SSE_KEEPALIVE_SECONDS``), at most once per ``PRESENCE_REFRESH`` seconds per agent
and process, one cache write for all its agents. An entry lapses ``PRESENCE_TTL``
seconds after its stream's last sign of life, so a closed or dead stream needs no cleanup.

A customer's page (``customer_page``) is what the widget last reported (``POST activity``),
kept ``CUSTOMER_PAGE_TTL`` seconds.
"""

import logging
import time
from collections.abc import Iterable

from asgiref.sync import sync_to_async
from django.core.cache import cache

from . import conf

logger = logging.getLogger(__name__)

CACHE_KEY = "oscar_chat:presence:agents"
PAGE_KEY = "oscar_chat:presence:page:{user_id}"
_last_written: dict[int, float] = {}


def mark_agent_present(user_id: int, now: float | None = None) -> None:
    """Record that agent ``user_id`` holds a live stream now (a write to the shared cache)."""
    mark_agents_present([user_id], now)


def mark_agents_present(user_ids: Iterable[int], now: float | None = None) -> None:
    """``mark_agent_present`` for several agents, in one read and one write of the cache."""
    now = time.time() if now is None else now
    ttl = conf.get("PRESENCE_TTL")
    seen = {uid: until for uid, until in (cache.get(CACHE_KEY) or {}).items() if until > now}
    for user_id in user_ids:
        seen[user_id] = now + ttl
    # Read-modify-write without a lock: two processes racing may drop each other's entry
    # until its next refresh (seconds later); presence is a hint, not an account.
    cache.set(CACHE_KEY, seen, timeout=ttl)


async def agent_stream_alive(user_id: int) -> None:
    """A stream of agent ``user_id`` opened: at most one cache write per ``PRESENCE_REFRESH`` s per agent."""
    await agent_streams_alive((user_id,))


async def agent_streams_alive(user_ids: Iterable[int]) -> None:
    """The hub's ticker, for the agents with a live stream in this process: one cache write
    for those not written for ``PRESENCE_REFRESH`` seconds, none for the others."""
    now = time.monotonic()
    refresh = conf.get("PRESENCE_REFRESH")
    due = [uid for uid in user_ids if now - _last_written.get(uid, -1e9) >= refresh]
    if not due:
        return
    for uid in due:
        _last_written[uid] = now
    await sync_to_async(mark_agents_present)(due)


def online_agent_ids(now: float | None = None) -> set[int]:
    """The ids of the users marked present by an agent stream (they may have lost the agent
    permission since: callers that act on it check ``roles``)."""
    now = time.time() if now is None else now
    return {uid for uid, until in (cache.get(CACHE_KEY) or {}).items() if until > now}


def customer_page(user_id: int) -> dict | None:
    """The page the customer last reported: ``{"url", "title", "at"}`` (``at`` ISO 8601), or None."""
    page = cache.get(PAGE_KEY.format(user_id=user_id))
    return dict(page) if isinstance(page, dict) else None


def remember_customer_page(user_id: int, page: dict) -> None:
    cache.set(PAGE_KEY.format(user_id=user_id), page, timeout=conf.get("CUSTOMER_PAGE_TTL"))


def forget_customer_page(user_id: int) -> None:
    """Forget the page the customer last reported (their erasure or the account's deletion)."""
    try:
        cache.delete(PAGE_KEY.format(user_id=user_id))
    except Exception:  # noqa: BLE001 - the entry lapses by itself (CUSTOMER_PAGE_TTL)
        logger.warning("oscar_chat: could not forget the customer's page (cache error)", exc_info=True)
