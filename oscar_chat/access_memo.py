"""What a server process remembers of its users between requests, in its own memory: the user a
token names (``user_cache``) and whether they are an agent (``roles``). With a shared cache
(Redis) each of those is a network round trip before a message is written; remembered here,
a send of a known user asks nobody.

Trusted only while this process hears every change of access: while one of its event hubs
listens to ``oscar_chat.access`` (``oscar_chat.sse.hub``), where every change is published
(``oscar_chat.receivers``: the process making it publishes it after commit, whatever process
that is). The hub forgets the users a notice names as it re-checks their streams, so a change
reaches the other processes within the notice's delivery (milliseconds); the process making the
change forgets at once. An entry lives at most ``ACCESS_MEMO_SECONDS``, for notices that pub/sub
drops while Redis reconnects and for changes written without a signal (raw SQL). A process with
no hub listening (WSGI, a management command, a server with no stream open) remembers nothing
here: its requests read the shared cache, as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from . import conf

# Past this many entries the memo starts again (users seen within ACCESS_MEMO_SECONDS).
MAX_ENTRIES = 10_000
# What is remembered of a user, each forgotten with the user.
KINDS = ("user", "agent")

_lock = threading.Lock()
_entries: dict[tuple[str, Any], tuple[float, Any]] = {}
_generation = 0
_listeners = 0


def lifetime() -> float:
    return max(float(conf.get("ACCESS_MEMO_SECONDS") or 0), 0.0)


def generation() -> int:
    """Taken before reading what ``remember`` will keep: it is kept only if nothing was forgotten
    in between (a change committed meanwhile may have made the read stale)."""
    return _generation


def recall(kind: str, user_id: Any) -> Any:
    """What was remembered of ``user_id`` (``kind``: "user" or "agent"), or None."""
    if not _listeners:
        return None
    found = _entries.get((kind, str(user_id)))
    if found is None:
        return None
    expires, value = found
    if expires < time.monotonic():
        _entries.pop((kind, str(user_id)), None)
        return None
    return value


def remember(kind: str, user_id: Any, value: Any, read_at_generation: int) -> None:
    seconds = lifetime()
    if seconds <= 0 or value is None:
        return
    with _lock:
        if not _listeners or _generation != read_at_generation:
            return
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[(kind, str(user_id))] = (time.monotonic() + seconds, value)


def forget_users(user_ids: Iterable[Any]) -> None:
    global _generation
    with _lock:
        _generation += 1
        for user_id in user_ids:
            for kind in KINDS:
                _entries.pop((kind, str(user_id)), None)


def forget_all() -> None:
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def listening(started: bool) -> None:
    """A hub of this process started (``started``) or stopped listening to ``oscar_chat.access``."""
    global _generation, _listeners
    with _lock:
        _generation += 1
        _listeners = _listeners + 1 if started else max(_listeners - 1, 0)
        if not _listeners:
            _entries.clear()


def reset() -> None:
    """Forget everything and every listener (tests: each starts with no hub and a clean cache)."""
    global _generation, _listeners
    with _lock:
        _generation += 1
        _listeners = 0
        _entries.clear()
