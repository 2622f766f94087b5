"""Who has an event stream open, counted in Django's cache (shared across processes with Redis).

The stream consumer reports each stream it opens and closes. Counts expire (``TTL``) so that a
server process that died without closing its streams cannot keep someone "online" for ever;
an open stream refreshes its count when it opens, and a client reconnects at least that often
through the keep-alive cycle of its proxy or browser.
"""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

TTL = 6 * 3600
AGENTS_KEY = "oscar_chat:open-streams:agents"


def _user_key(user_id: int) -> str:
    return f"oscar_chat:open-streams:user:{user_id}"


def _change(key: str, delta: int) -> None:
    try:
        if delta > 0:
            cache.add(key, 0, timeout=TTL)
            cache.incr(key, delta)
            cache.touch(key, TTL)
        else:
            if cache.decr(key, -delta) <= 0:
                cache.delete(key)
    except ValueError:  # the key expired meanwhile: nothing left to decrement
        pass
    except Exception:
        logger.warning("oscar_chat: presence unavailable (cache error)", exc_info=True)


def stream_opened(user_id: int, *, is_agent: bool) -> None:
    _change(_user_key(user_id), 1)
    if is_agent:
        _change(AGENTS_KEY, 1)


def stream_closed(user_id: int, *, is_agent: bool) -> None:
    _change(_user_key(user_id), -1)
    if is_agent:
        _change(AGENTS_KEY, -1)


def _count(key: str) -> int:
    try:
        return int(cache.get(key) or 0)
    except Exception:
        logger.warning("oscar_chat: presence unavailable (cache error)", exc_info=True)
        return 1


def has_open_stream(user_id: int) -> bool:
    return _count(_user_key(user_id)) > 0


def agents_online() -> int:
    """How many agent streams are open (0: nobody is watching the chat)."""
    return _count(AGENTS_KEY)
