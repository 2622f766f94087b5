"""One Redis connection pool per server for Django's ``RedisCache``, shared by the whole process.

Django gives each thread and each asynchronous context its own cache object (``caches`` is an
``asgiref`` ``Local``), and each ``RedisCache`` object its own connection pool. Under ASGI every
request, and every worker-thread hop of the event stream and the fast send, is a new context: each
opened a new Redis connection (connect, ``SELECT``), about half of a send's CPU with the cache on
Redis (docs/deployment.md). Name this class as the cache's ``pool_class`` to share one pool::

    CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
        "OPTIONS": {"pool_class": "oscar_chat.redis_pool.SharedConnectionPool"},
    }}

redis-py's pools are thread-safe, and a forked process (``os.getpid`` changes) gets new
connections from the same pool.
"""

from __future__ import annotations

import threading
from typing import Any

from redis import ConnectionPool

_pools: dict[tuple, ConnectionPool] = {}
_lock = threading.Lock()


class SharedConnectionPool(ConnectionPool):
    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> ConnectionPool:  # type: ignore[override]
        key = (cls, url, tuple(sorted((name, repr(value)) for name, value in kwargs.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = super().from_url(url, **kwargs)
            return pool
