"""Redis goes away and comes back under a live stream: sending works, streams recover, nothing is lost.

This module runs its own ``redis-server`` on a free port (never the machine's) and kills it.
"""

import shutil
import socket
import subprocess
import time

import pytest

from ..conftest import require_service
from ..live import start_daphne
from .conftest import FAST, Api, wait_for_no_streams
from .sse import Stream

pytestmark = [pytest.mark.live, pytest.mark.redis, pytest.mark.timeout(120)]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None


@pytest.fixture(scope="module")
def own_redis():
    require_service(shutil.which("redis-server"), "redis-server (Debian package redis-server)")
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redis_daphne(own_redis, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        server = start_daphne(env={**FAST, "REDIS_URL": own_redis.url}, name="daphne-own-redis")
    yield server
    server.stop()


def test_redis_restarted_mid_stream_loses_nothing(own_redis, redis_daphne, people):
    from oscar_chat import services
    from oscar_chat.models import ChatMessage

    customer, agent = people.customer(), people.agent()
    room = services.open_room(customer=customer, opened_by=customer, subject="During the outage")
    as_customer, as_agent = Api(redis_daphne, customer), Api(redis_daphne, agent)
    try:
        with Stream(redis_daphne.url, token=as_customer.token) as stream:
            before = as_agent.send(room, "before the outage")
            assert stream.next("message").json["id"] == before["id"]  # live through Redis
            resume_point = stream.parser.last_event_id

            own_redis.stop()
            during = [as_agent.send(room, f"while Redis is down {n}")["id"] for n in range(3)]  # still 201
            assert ChatMessage.objects.filter(pk__in=during).count() == 3  # and stored
            # The stream is not left behind: its server finds the messages in the database.
            assert [stream.next("message", timeout=10).json["id"] for _ in during] == during

            own_redis.start()
            # Live again once the layer has reconnected: room events come only live, so wait for one.
            deadline, priority = time.monotonic() + 20, "HIGH"
            while True:
                as_agent.patch(f"rooms/{room.pk}/manage", json={"priority": priority})
                try:
                    assert stream.next("room", timeout=0.5).json["priority"] == priority
                    break
                except AssertionError:
                    if time.monotonic() > deadline:
                        raise
                    priority = "LOW" if priority == "HIGH" else "HIGH"
            after = as_agent.send(room, "after the restart")
            assert stream.next("message").json["id"] == after["id"]
            assert [e for e in stream.drain(0.5) if e.event == "message"] == []  # nothing twice

        # A client cut off during the outage resumes from its last id: exactly what it missed.
        with Stream(redis_daphne.url, token=as_customer.token, last_event_id=resume_point) as resumed:
            replayed = [resumed.next("message").json["id"] for _ in range(len(during) + 1)]
            assert replayed == [*during, after["id"]]
            assert [e for e in resumed.drain(0.3) if e.event == "message"] == []
        assert "could not publish" in redis_daphne.logs()
    finally:
        as_customer.close()
        as_agent.close()
        if own_redis.proc is None:
            own_redis.start()
    wait_for_no_streams(redis_daphne)
