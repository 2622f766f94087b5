"""Concurrent writers on PostgreSQL, with real threads each on its own connection."""

import threading

import pytest
from django.db import connection

from oscar_chat.models import ChatMessage, ChatRoom

from .conftest import jwt_client
from .factories import open_room

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(calls):
    """Run every call in its own thread, released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def worker(index, call):
        try:
            barrier.wait(timeout=20)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    assert not errors, errors
    return results


def poster(user, room, text, **extra):
    client = jwt_client(user)

    def post():
        response = client.post(f"/api/chat/rooms/{room.pk}", {"message": text, **extra}, format="json")
        return response.status_code, response.json()

    return post


def test_two_agents_replying_at_once_leave_one_assignee_the_first_to_commit(needs_postgres, customer, agent, agent2):
    for attempt in range(4):
        room = open_room(customer, f"Race {attempt}", message="Anyone there?")
        results = run_at_once([poster(agent, room, "I'll take it"), poster(agent2, room, "Me!")])
        assert [status for status, _ in results] == [201, 201]
        room = ChatRoom.objects.get(pk=room.pk)
        first_reply = room.messages.exclude(sender=customer).order_by("seq").first()
        assert room.admin == first_reply.sender
        assert (room.customer_unread_count, room.agent_unread_count) == (2, 1)


def test_twenty_concurrent_posts_leave_exact_counts_and_no_lost_update(needs_postgres, customer, agent, agent2):
    room = open_room(customer, "Busy room")
    calls = (
        [poster(customer, room, f"customer {n}") for n in range(10)]
        + [poster(agent, room, f"agent {n}") for n in range(5)]
        + [poster(agent2, room, f"agent2 {n}") for n in range(5)]
    )
    results = run_at_once(calls)
    assert [status for status, _ in results] == [201] * 20
    messages = list(ChatMessage.objects.filter(room=room).order_by("seq"))
    assert len(messages) == 20
    assert len({m.seq for m in messages}) == 20 and None not in {m.seq for m in messages}
    assert sorted(m.message for m in messages) == sorted(body["message"] for _, body in results)
    room = ChatRoom.objects.get(pk=room.pk)
    assert (room.agent_unread_count, room.customer_unread_count, room.is_read) == (10, 10, False)
    # The room's summary is the last message committed, not whichever request finished last.
    assert room.last_message == messages[-1].message
    assert room.last_activity == messages[-1].created_at
    assert room.admin == next(m.sender for m in messages if m.sender != customer)
    unread = jwt_client(agent).get("/api/chat/unread").json()
    assert unread == {"total": 10, "rooms": 1}


def test_the_same_client_id_posted_at_once_makes_one_message(needs_postgres, customer):
    room = open_room(customer, "Flaky network")
    results = run_at_once([poster(customer, room, "Only once", client_id="retry-1") for _ in range(8)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 7 + [201]
    assert len({body["id"] for _, body in results}) == 1
    assert ChatMessage.objects.filter(room=room).count() == 1
    assert ChatRoom.objects.get(pk=room.pk).agent_unread_count == 1


def test_reads_racing_posts_keep_the_unread_count_equal_to_the_unread_messages(needs_postgres, customer, agent):
    room = open_room(customer, "Chatty")
    reader = jwt_client(agent)

    def read():
        return reader.post(f"/api/chat/rooms/{room.pk}/read").status_code, None

    calls = [poster(customer, room, f"line {n}") for n in range(12)] + [read for _ in range(6)]
    run_at_once(calls)
    room = ChatRoom.objects.get(pk=room.pk)
    unread = ChatMessage.objects.filter(room=room, sender=customer, is_read=False).count()
    assert room.agent_unread_count == unread
    assert room.is_read == (unread == 0)


class ConnectionPeak:
    """Samples pg_stat_activity from its own connection: the most backends the test database had."""

    def __init__(self):
        import psycopg

        params = connection.settings_dict
        self.conn = psycopg.connect(
            dbname=params["NAME"],
            user=params.get("USER") or "postgres",
            password=params.get("PASSWORD") or None,
            host=params.get("HOST") or "127.0.0.1",
            port=params.get("PORT") or 5432,
            autocommit=True,
        )
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample)

    def _sample(self):
        while not self.stop.is_set():
            (count,) = self.conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            ).fetchone()
            self.peak = max(self.peak, count)
            self.stop.wait(0.005)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)
        self.conn.close()


def test_a_burst_of_100_sends_stores_exactly_the_limit_within_the_pool(needs_postgres, customer, settings):
    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = 30
    pool = connection.settings_dict.get("OPTIONS", {}).get("pool")
    assert pool, "PostgreSQL runs without a connection pool (OPTIONS['pool'])"
    room = open_room(customer, "Burst")
    with ConnectionPeak() as connections:
        results = run_at_once([poster(customer, room, f"burst {n}") for n in range(100)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 30 + [429] * 70
    assert all(body["detail"] for status, body in results if status == 429)
    assert ChatMessage.objects.filter(room=room).count() == 30
    assert ChatRoom.objects.get(pk=room.pk).agent_unread_count == 30
    assert 0 < connections.peak <= pool["max_size"]


def test_simultaneous_room_openings_stop_at_the_limit(needs_postgres, customer, settings):
    settings.OSCAR_CHAT_RATE_LIMIT_ROOMS = 10
    client = jwt_client(customer)

    def opener(n):
        def post():
            response = client.post("/api/chat/rooms", {"subject": f"Room {n}", "message": "Hi"}, format="json")
            return response.status_code, response.json()

        return post

    results = run_at_once([opener(n) for n in range(25)])
    assert sorted(status for status, _ in results) == [201] * 10 + [429] * 15
    assert ChatRoom.objects.filter(user=customer).count() == 10
    assert ChatMessage.objects.filter(sender=customer).count() == 10
