"""Two daphne processes on PostgreSQL and Redis: post on one, receive and resume on the other."""

import threading
import time

import pytest
from django.db import connection

from oscar_chat import services
from oscar_chat.models import ChatMessage

from ..conftest import redis_reachable, redis_url, require_service
from ..live import start_daphne
from .conftest import FAST, Api, wait_for_no_streams
from .sse import Follower, Stream

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def two_servers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
        require_service(redis_reachable(), "Redis (REDIS_URL)")
        # A minute of memory (oscar_chat.access_memo): only the access notices can make them forget sooner.
        env = {**FAST, "REDIS_URL": redis_url(), "OSCAR_CHAT_ACCESS_MEMO_SECONDS": "60"}
        servers = [start_daphne(env=env, name="daphne-a"), start_daphne(env=env, name="daphne-b")]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def apis():
    made = []

    def make(server, user):
        made.append(Api(server, user))
        return made[-1]

    yield make
    for api in made:
        api.close()


def test_events_cross_processes_and_resume_lands_anywhere(needs_postgres, needs_redis, two_servers, apis, people):
    a, b = two_servers
    customer, agent = people.customer(), people.agent()
    room = services.open_room(customer=customer, opened_by=customer, subject="Two processes")
    customer_on_a, agent_on_a = apis(a, customer), apis(a, agent)
    with Stream(b.url, token=customer_on_a.token) as customer_on_b, Stream(b.url, token=agent_on_a.token) as agent_on_b:
        sent = customer_on_a.send(room, "posted on A")
        assert customer_on_b.next("message").json["id"] == sent["id"]
        assert agent_on_b.next("message").json["id"] == sent["id"]

        customer_on_a.post(f"rooms/{room.pk}/typing", json={"is_typing": True})
        assert agent_on_b.next("typing").json["user"]["id"] == customer.pk

        agent_on_a.send(room, "reply on A")
        customer_on_a.post(f"rooms/{room.pk}/read")
        assert agent_on_b.next("read").json["reader"]["id"] == customer.pk
        resume_point = customer_on_b.next("message").id  # the reply

    missed = [agent_on_a.send(room, f"missed {n}")["id"] for n in range(3)]
    # A ticket issued by A opens a stream on B (tickets live in Redis), resuming there.
    ticket = customer_on_a.post("sse/ticket").json()["ticket"]
    with Stream(b.url, params={"ticket": ticket, "last_event_id": resume_point}) as resumed_on_b:
        assert [resumed_on_b.next("message").json["id"] for _ in missed] == missed
    with Stream(a.url, token=customer_on_a.token, last_event_id=resume_point) as resumed_on_a:
        assert [resumed_on_a.next("message").json["id"] for _ in missed] == missed
    for server in two_servers:
        wait_for_no_streams(server)


def test_no_loss_no_duplicates_across_processes(needs_postgres, needs_redis, two_servers, apis, people):
    a, b = two_servers
    customer, other_customer = people.customer(), people.customer("other")
    agent, agent2, watcher = people.agent(), people.agent("agent2"), people.agent("watcher")
    room = services.open_room(customer=customer, opened_by=customer, subject="Busy")
    other_room = services.open_room(customer=other_customer, opened_by=other_customer, subject="Busier")
    senders = [
        (apis(a, customer), room),
        (apis(b, other_customer), other_room),
        (apis(b, agent), room),
        (apis(a, agent2), other_room),
    ]
    agent_reader = Follower([a.url, b.url], apis(a, watcher).token, seed=7)
    customer_reader = Follower([b.url, a.url], senders[0][0].token, seed=8)
    readers = [agent_reader, customer_reader]
    ids, errors = [], []

    def post_all(api, target, label):
        try:
            for n in range(25):
                ids.append(api.send(target, f"{label} {n}")["id"])
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    for reader in readers:
        reader.start()
    try:
        deadline = time.monotonic() + 10
        while not all(r.connections for r in readers):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        threads = [threading.Thread(target=post_all, args=(api, r, f"s{i}")) for i, (api, r) in enumerate(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        committed = list(ChatMessage.objects.filter(pk__in=ids).order_by("seq").values_list("seq", "pk", "room_id"))
        expected = {
            "agent": [(seq, pk) for seq, pk, _ in committed],
            "customer": [(seq, pk) for seq, pk, r in committed if r == room.pk],
        }
        deadline = time.monotonic() + 30

        def behind():
            return len(agent_reader.messages) < len(expected["agent"]) or len(customer_reader.messages) < len(
                expected["customer"]
            )

        while behind():
            assert time.monotonic() < deadline, "the readers did not get every message"
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        for reader in readers:
            reader.stop()
    for name, reader in (("agent", agent_reader), ("customer", customer_reader)):
        assert [(seq, m["id"]) for seq, m in reader.messages] == expected[name], name
        assert reader.connections >= 5
    for server in two_servers:
        wait_for_no_streams(server)


def _refused_within(api, room, seconds):
    """Send until the server refuses; the refusal's status (the sends that got through are deleted)."""
    deadline = time.monotonic() + seconds
    while True:
        response = api.post(f"rooms/{room.pk}", json={"message": "after the change"})
        if response.status_code != 201:
            return response.status_code
        ChatMessage.objects.filter(pk=response.json()["id"]).delete()
        assert time.monotonic() < deadline, "the other process still answers from what it remembered"
        time.sleep(0.02)


def test_a_change_of_access_made_elsewhere_holds_on_every_process_at_once(
    needs_postgres, needs_redis, two_servers, apis, people
):
    """B keeps its users' access in memory while its hub listens; a change made in another
    process (here, the test's) reaches it with the notice that ends streams, not after a minute."""
    from django.contrib.auth.models import Permission

    a, b = two_servers
    customer, agent = people.customer(), people.agent()
    room = services.open_room(customer=customer, opened_by=customer, subject="Changed elsewhere")
    agent_on_b, customer_on_b = apis(b, agent), apis(b, customer)
    with Stream(b.url, token=customer_on_b.token) as watching:  # B's hub listens
        agent_on_b.send(room, "remembered from now on")
        agent_on_b.send(room, "from memory")
        customer_on_b.send(room, "thanks")
        agent.user_permissions.remove(Permission.objects.get(codename="change_chatroom"))
        assert _refused_within(agent_on_b, room, 2) == 404  # not an agent: not their room
        customer.is_active = False
        customer.save()
        assert _refused_within(customer_on_b, room, 2) == 401
        assert [watching.next("message").json["message"] for _ in range(3)] == [
            "remembered from now on",
            "from memory",
            "thanks",
        ]
    for server in two_servers:
        wait_for_no_streams(server)
