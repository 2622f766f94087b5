"""The cache on Redis keeps a process to its connections, whatever the threads and contexts asking."""

import threading

import pytest
import redis
from django.conf import settings
from django.core.cache.backends.redis import RedisCache

from tests.conftest import redis_reachable, require_service

SHARED = "oscar_chat.redis_pool.SharedConnectionPool"
pytestmark = pytest.mark.redis


class CountedConnection(redis.Connection):
    """A real connection to Redis that counts its connects (other test workers share the server)."""

    made = 0
    lock = threading.Lock()

    def connect(self):
        opening = self._sock is None
        super().connect()
        if opening:
            with CountedConnection.lock:
                CountedConnection.made += 1


@pytest.fixture
def location():
    require_service(redis_reachable(), "Redis (REDIS_URL)")
    return settings.CACHES["default"]["LOCATION"]


def connections_made(location, options):
    """Connections opened while 8 threads each used a cache object of their own, as each thread and
    asynchronous context gets from Django's ``caches``."""

    def work(n):
        cache = RedisCache(location, {"OPTIONS": {**options, "connection_class": CountedConnection}})
        cache.set(f"pool-test-{n}", n)
        assert cache.get(f"pool-test-{n}") == n

    before = CountedConnection.made
    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return CountedConnection.made - before


def test_the_sandbox_cache_on_redis_shares_one_pool():
    if "LOCATION" in settings.CACHES["default"] and settings.CACHES["default"]["LOCATION"].startswith("redis"):
        assert settings.CACHES["default"]["OPTIONS"]["pool_class"] == SHARED


def test_every_cache_object_of_the_process_shares_one_connection_pool(location):
    # 40 cache objects in five rounds of eight threads: the process never holds more connections
    # than threads used one at once (at most 8; how many overlap is the scheduler's choice).
    assert sum(connections_made(location, {"pool_class": SHARED}) for _ in range(5)) <= 8


def test_without_it_each_cache_object_opens_its_own_connection(location):
    # Django's own pool class: what the shared pool replaces.
    assert connections_made(location, {}) == 8
    assert connections_made(location, {}) == 8
