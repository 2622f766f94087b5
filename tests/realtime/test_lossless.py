"""Resume without loss: four senders post at once while readers keep reconnecting."""

import threading
import time

import pytest

from oscar_chat.models import ChatMessage

from .sse import Follower

# Generous: on SQLite the four writers take turns, and CI runs matrix legs side by side.
pytestmark = [pytest.mark.live, pytest.mark.timeout(300)]

PER_SENDER = 25


def post_all(api, room, label, results, errors):
    try:
        for n in range(PER_SENDER):
            results.append(api.send(room, f"{label} {n}")["id"])
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(repr(exc))


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_reconnecting_readers_get_every_message_once_in_commit_order(live):
    customer, other_customer = live.customer(), live.customer("other")
    agent, agent2, watcher = live.agent(), live.agent("agent2"), live.agent("watcher")
    room, other_room = live.room(customer), live.room(other_customer)
    senders = [
        (live.api(customer), room),
        (live.api(other_customer), other_room),
        (live.api(agent), room),
        (live.api(agent2), other_room),
    ]
    agent_reader = Follower(live.url, live.api(watcher).token, seed=1)
    customer_reader = Follower(live.url, senders[0][0].token, seed=2)
    room_reader = Follower(live.url, senders[3][0].token, params={"room": other_room.pk}, seed=3)
    readers = [agent_reader, customer_reader, room_reader]
    for reader in readers:
        reader.start()
    try:
        wait_until(lambda: all(r.connections for r in readers), 10, "the readers to connect")
        ids, errors = [], []
        threads = [
            threading.Thread(target=post_all, args=(api, target, f"s{i}", ids, errors))
            for i, (api, target) in enumerate(senders)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(200)
        # A sender still busy is slowness, not loss: say so rather than count its message missing.
        assert not any(thread.is_alive() for thread in threads), "a sender was still sending after 200 s"
        assert errors == [], live.server.logs()[-3000:]
        assert len(ids) == 4 * PER_SENDER

        # The truth: the database, in commit (seq) order.
        committed = list(ChatMessage.objects.filter(pk__in=ids).order_by("seq").values_list("seq", "pk", "room_id"))
        expected = {
            "agent": [(seq, pk) for seq, pk, _ in committed],
            "customer": [(seq, pk) for seq, pk, r in committed if r == room.pk],
            "room": [(seq, pk) for seq, pk, r in committed if r == other_room.pk],
        }
        got = dict(zip(["agent", "customer", "room"], readers))
        for name, reader in got.items():
            wait_until(lambda r=reader, n=name: len(r.messages) >= len(expected[n]), 30, f"the {name} reader")
        time.sleep(0.5)  # would anything come twice?
    finally:
        for reader in readers:
            reader.stop()

    for name, reader in got.items():
        received = [(seq, message["id"]) for seq, message in reader.messages]
        assert received == expected[name], name  # the exact set, in commit order, none twice
        assert reader.connections >= 5, f"the {name} reader reconnected only {reader.connections} times"
        assert "reset" not in reader.errors
