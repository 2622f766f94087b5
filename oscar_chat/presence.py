"""Agents online or away, and the store page each chat customer has open, across server processes.

An agent's open event stream marks the agent present in the cache (shared by the processes,
e.g. Redis) each time its write loop turns (events and keep-alives, at least every 20 s),
at most once per ``PRESENCE_REFRESH`` seconds per process. An entry lapses ``PRESENCE_TTL``
seconds after its stream's last sign of life, so a closed or dead stream needs no cleanup.

A customer's page (``customer_page``) is what the widget last reported (``POST activity``),
kept ``CUSTOMER_PAGE_TTL`` seconds.
"""

import time

from asgiref.sync import sync_to_async
from django.core.cache import cache

from . import conf

CACHE_KEY = "oscar_chat:presence:agents"
PAGE_KEY = "oscar_chat:presence:page:{user_id}"
_last_written: dict[int, float] = {}


def mark_agent_present(user_id: int, now: float | None = None) -> None:
    """Record that agent ``user_id`` holds a live stream now (a write to the shared cache)."""
    now = time.time() if now is None else now
    ttl = conf.get("PRESENCE_TTL")
    seen = {uid: until for uid, until in (cache.get(CACHE_KEY) or {}).items() if until > now}
    seen[user_id] = now + ttl
    # Read-modify-write without a lock: two processes racing may drop each other's entry
    # until its next refresh (seconds later); presence is a hint, not an account.
    cache.set(CACHE_KEY, seen, timeout=ttl)


async def agent_stream_alive(user_id: int) -> None:
    """The stream's hook: at most one cache write per ``PRESENCE_REFRESH`` seconds per agent."""
    now = time.monotonic()
    if now - _last_written.get(user_id, -1e9) < conf.get("PRESENCE_REFRESH"):
        return
    _last_written[user_id] = now
    await sync_to_async(mark_agent_present)(user_id)


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
