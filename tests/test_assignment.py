"""Round-robin assignment of the rooms customers open, to online agents under their cap.

Agents are made "online" through the real presence entry their event streams write
(``presence.mark_agent_present``), in the test's cache.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from oscar_chat import presence, services, signals
from oscar_chat.models import ChatRoom

from .conftest import jwt_client, make_user
from .factories import open_room
from .test_concurrency import run_at_once
from .test_realtime_services import DEAD_REDIS

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent3(db):
    return make_user("agent3", staff=True, perms=["change_chatroom"], first="Dewi")


def online(*agents):
    for agent in agents:
        presence.mark_agent_present(agent.pk)


def opened(customer, n=1):
    return [open_room(customer, f"Question {i}", message="Hello?") for i in range(n)]


def test_rooms_customers_open_go_round_robin_to_the_online_agents(customer, other_customer, agent, agent2, agent3):
    online(agent, agent2, agent3)
    rooms = opened(customer, 3) + opened(other_customer, 3)
    assignees = [room.admin for room in rooms]
    # Each agent once, then again in the same order: the one waiting longest is next.
    assert set(assignees[:3]) == {agent, agent2, agent3}
    assert assignees[3:] == assignees[:3]
    assert all(ChatRoom.objects.get(pk=room.pk).admin == room.admin for room in rooms)


def test_offline_agents_get_nothing_and_with_nobody_online_the_room_waits_unassigned(customer, agent, agent2):
    assert open_room(customer, message="Anyone?").admin is None
    online(agent2)
    assert [room.admin for room in opened(customer, 2)] == [agent2, agent2]


def test_an_agent_at_the_cap_is_passed_over_until_a_room_of_theirs_is_resolved(settings, customer, agent, agent2):
    from oscar_chat import services

    settings.OSCAR_CHAT_AUTO_ASSIGN_MAX_OPEN = 2
    online(agent, agent2)
    first = opened(customer, 4)
    assert sorted(str(room.admin) for room in first) == sorted([str(agent)] * 2 + [str(agent2)] * 2)
    # Both full: the fifth waits in Unassigned.
    assert open_room(customer, message="And this?").admin is None
    # A resolved (or closed) room no longer counts against its agent.
    mine = next(room for room in first if room.admin == agent2)
    services.manage_room(mine, status=ChatRoom.Status.RESOLVED)
    assert open_room(customer, message="Now?").admin == agent2


def test_the_setting_turns_it_off(settings, customer, agent):
    settings.OSCAR_CHAT_AUTO_ASSIGN = False
    online(agent)
    assert open_room(customer, message="Hello").admin is None


def test_only_rooms_a_customer_opens_and_only_to_agents(customer, agent, agent2, staff_no_perm):
    online(agent, staff_no_perm)
    # An agent opening a room for a customer keeps it, whoever is next.
    assert open_room(customer, by=agent2, message="We noticed your order").admin == agent2
    # A staff member without the chat permission is never an assignee, present or not.
    assert {room.admin for room in opened(customer, 3)} == {agent}
    # Nor is an agent given the room they open as a customer.
    assert open_room(agent, message="My own question").admin is None


def test_an_agent_who_lost_the_permission_gets_no_more_rooms(customer, agent, agent2):
    online(agent, agent2)
    agent2.user_permissions.clear()
    assert {room.admin for room in opened(customer, 3)} == {agent}


def test_assignment_goes_out_with_the_new_room_after_commit(customer, agent, django_capture_on_commit_callbacks, api):
    online(agent)
    heard = []

    def listener(sender, room, changed, **kwargs):
        heard.append((room.pk, room.admin_id, changed))

    signals.room_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api(customer).post("/api/chat/rooms", {"message": "Is the batik in stock?"}, format="json")
    finally:
        signals.room_changed.disconnect(listener)
    assert response.status_code == 201
    assert response.json()["admin"] == {"id": agent.pk, "name": "Budi Santoso", "is_agent": True}
    assert heard == [(response.json()["id"], agent.pk, ("created", "admin"))]
    # The agent finds it under "assigned to me".
    mine = jwt_client(agent).get("/api/chat/rooms", {"assigned": "me"}).json()["results"]
    assert [room["id"] for room in mine] == [response.json()["id"]]


# PostgreSQL: real concurrent transactions, each on its own connection.


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_rooms_opened_at_once_go_to_two_agents(needs_postgres, customer, other_customer, agent, agent2):
    for attempt in range(5):
        online(agent, agent2)
        rooms = run_at_once(
            [
                lambda n=attempt: open_room(customer, f"Race {n}", message="Hi"),
                lambda n=attempt: open_room(other_customer, f"Race {n}", message="Hi"),
            ]
        )
        assert {room.admin for room in rooms} == {agent, agent2}
        ChatRoom.objects.filter(pk__in=[room.pk for room in rooms]).update(status=ChatRoom.Status.RESOLVED)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_opening_still_in_its_transaction_makes_the_next_one_take_the_other_agent(
    needs_postgres, customer, other_customer, agent, agent2
):
    """The first opening holds its agent's turn until it commits: the second, meanwhile, skips it."""
    online(agent, agent2)
    # Both agents have had a turn (first turns insert their rows, which a concurrent opening waits for).
    warm_up = opened(customer, 2)
    assert [room.admin for room in warm_up] == [agent, agent2]
    first_assigned, second_done = threading.Event(), threading.Event()
    found = {}

    def slow_opening():
        # Without a first message: a message's stream position is one row for the whole shop,
        # locked until its transaction commits, which would make any other send wait here too.
        try:
            with transaction.atomic():
                found["first"] = open_room(customer, "Slow").admin
                first_assigned.set()
                second_done.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_opening)
    thread.start()
    try:
        assert first_assigned.wait(20)
        found["second"] = open_room(other_customer, "Fast", message="Hi").admin
        # It did not wait for the first opening to commit.
        assert thread.is_alive()
    finally:
        second_done.set()
        thread.join(20)
    # In turn, the first opening took agent; the second did not wait for it and took agent2.
    assert (found["first"], found["second"]) == (agent, agent2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_opening_waiting_for_an_agents_turn_holds_up_no_one_elses_message(
    needs_postgres, customer, other_customer, agent
):
    """With the only agent's turn being given (a transaction not yet committed), the next opening
    waits for it; meanwhile the agent still answers in another room: the waiting opening has
    not taken the shop's stream position yet."""
    online(agent)
    earlier = open_room(customer, "Earlier", message="Hi")  # gives agent a turn row
    held, release = threading.Event(), threading.Event()
    done = {}

    def holding_the_turn():
        try:
            with transaction.atomic():
                open_room(customer, "Slow")  # no message: it holds the turn, not the stream position
                held.set()
                release.wait(20)
        finally:
            connection.close()

    def waiting_opening():
        try:
            done["waiting"] = open_room(other_customer, "Waiting", message="Hello?")
        finally:
            connection.close()

    def agent_reply():
        try:
            done["reply"] = services.post_message(earlier, agent, message="On it.")
        finally:
            connection.close()

    holder, waiter = threading.Thread(target=holding_the_turn), threading.Thread(target=waiting_opening)
    holder.start()
    try:
        assert held.wait(20)
        waiter.start()
        assert _waits_on_a_lock(timeout=10), "the second opening did not wait for the agent's turn"
        replier = threading.Thread(target=agent_reply)
        replier.start()
        replier.join(10)
        assert "reply" in done, "the agent's reply waited for an opening that waits for a turn"
        assert "waiting" not in done
    finally:
        release.set()
        holder.join(20)
        waiter.join(20)
    assert done["waiting"].pk


def _waits_on_a_lock(timeout):
    """Whether another session of this database waits on a row lock, within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


def test_with_the_cache_gone_the_room_opens_unassigned(settings, customer, agent):
    online(agent)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS}}
    assert open_room(customer, message="Anyone?").admin is None
