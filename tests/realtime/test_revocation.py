"""Streams end when access ends (API.md 1.1, "Limits and revocation"), across processes.

Two daphne processes on PostgreSQL and Redis: the stream is open on B, the change is made
elsewhere (on A, or by this process through the ORM, as the admin would), messages are sent
on A. The periodic re-check is set to an hour: what ends the streams here is the signal.
"""

import time
from datetime import timedelta

import httpx
import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from oscar_chat import services

from ..conftest import redis_reachable, redis_url, require_service
from ..live import start_daphne
from .conftest import FAST, Api, wait_for_no_streams
from .sse import Stream

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(120)]

# Within "a few seconds" (API.md); the signal path takes milliseconds.
ENDS_WITHIN = 5.0
CSRF = "c" * 32


@pytest.fixture(scope="module")
def two_servers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
        require_service(redis_reachable(), "Redis (REDIS_URL)")
        env = {**FAST, "REDIS_URL": redis_url(), "OSCAR_CHAT_SSE_ACCESS_CHECK_SECONDS": "3600"}
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
    for server in {api.server for api in made}:
        wait_for_no_streams(server)


def assert_ends_carrying_nothing(stream, after_change):
    """The stream ends within a few seconds and carries nothing sent after the change."""
    assert stream.closed.wait(ENDS_WITHIN), "the stream is still open"
    sent = after_change()
    messages = [event.json["id"] for event in stream.drain(0.5) if event.event == "message"]
    assert sent["id"] not in messages


def session_of(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_a_deactivated_customer_and_agent_lose_their_streams(needs_postgres, needs_redis, two_servers, apis, people):
    a, b = two_servers
    customer, agent, other_agent = people.customer(), people.agent(), people.agent("other")
    room = services.open_room(customer=customer, opened_by=customer, subject="Deactivated")
    sender = apis(a, other_agent)
    with (
        Stream(b.url, token=apis(a, customer).token) as customer_stream,
        Stream(b.url, token=apis(a, agent).token) as agent_stream,
    ):
        first = sender.send(room, "before")
        assert customer_stream.next("message").json["id"] == first["id"]
        assert agent_stream.next("message").json["id"] == first["id"]

        customer.is_active = False
        customer.save()
        assert_ends_carrying_nothing(customer_stream, lambda: sender.send(room, "after the customer left"))
        reply = sender.send(room, "the agent still hears")
        heard = [agent_stream.next("message").json["id"] for _ in range(2)]
        assert heard[-1] == reply["id"]

        agent.is_active = False
        agent.save(update_fields=["is_active"])
        assert_ends_carrying_nothing(agent_stream, lambda: sender.send(room, "after the agent left"))
    # Opening again is refused.
    refused = Stream(b.url, token=apis(a, agent).token)
    assert refused.status == 401
    refused.close()


def _lose_permission_directly(agent, group):
    agent.user_permissions.clear()


def _lose_permission_of_the_group(agent, group):
    group.permissions.remove(Permission.objects.get(content_type__app_label="oscar_chat", codename="change_chatroom"))


def _leave_the_group(agent, group):
    group.user_set.remove(agent)


def _lose_staff_status(agent, group):
    agent.is_staff = False
    agent.save()


def _group_deleted(agent, group):
    group.delete()


@pytest.mark.parametrize(
    "change",
    [_lose_permission_directly, _lose_permission_of_the_group, _leave_the_group, _lose_staff_status, _group_deleted],
    ids=lambda change: change.__name__.strip("_"),
)
def test_an_agent_stream_ends_when_the_agent_permission_goes(
    needs_postgres, needs_redis, two_servers, apis, people, change
):
    a, b = two_servers
    customer, sender = people.customer(), people.agent("sender")
    room = services.open_room(customer=customer, opened_by=customer, subject="Permission")
    permission = Permission.objects.get(content_type__app_label="oscar_chat", codename="change_chatroom")
    # Holding the permission both ways: only the change under test takes it away.
    group = Group.objects.create(name=f"chat agents {room.pk}")
    group.permissions.add(permission)
    agent = people.customer("agent")
    agent.is_staff = True
    agent.save()
    if change is _lose_permission_directly:
        agent.user_permissions.add(permission)
    else:
        agent.groups.add(group)
    try:
        agent_on_a = apis(a, agent)
        with Stream(b.url, token=agent_on_a.token) as agent_stream:
            first = apis(a, sender).send(room, "before")
            assert agent_stream.next("message").json["id"] == first["id"]
            change(agent, group)
            assert_ends_carrying_nothing(agent_stream, lambda: apis(a, sender).send(room, "after"))
        # The same user, now a customer, gets a customer's stream: none of this room.
        with Stream(b.url, token=agent_on_a.token) as as_customer:
            later = apis(a, sender).send(room, "not for them")
            assert later["id"] not in [e.json["id"] for e in as_customer.drain(0.7) if e.event == "message"]
    finally:
        Group.objects.filter(pk=group.pk).delete()


def test_logging_out_ends_the_streams_of_that_session_only(needs_postgres, needs_redis, two_servers, apis, people):
    a, b = two_servers
    customer, agent = people.customer(), people.agent()
    room = services.open_room(customer=customer, opened_by=customer, subject="Logout")
    sender = apis(a, agent)
    ending, staying = session_of(customer), session_of(customer)
    # A ticket asked for with the session is bound to it as well.
    with httpx.Client(base_url=a.url, cookies={"sessionid": ending}) as browser:
        ticket = browser.post("/api/chat/sse/ticket", headers={"X-CSRFToken": CSRF}, cookies={"csrftoken": CSRF})
        assert ticket.status_code == 200, ticket.text
        with (
            Stream(b.url, cookies={"sessionid": ending}) as by_cookie,
            Stream(b.url, params={"ticket": ticket.json()["ticket"]}) as by_ticket,
            Stream(b.url, cookies={"sessionid": staying}) as other_session,
            Stream(b.url, token=apis(a, customer).token) as by_token,
        ):
            first = sender.send(room, "before")
            for stream in (by_cookie, by_ticket, other_session, by_token):
                assert stream.next("message").json["id"] == first["id"]

            assert browser.get("/accounts/logout/").status_code == 302  # Oscar's logout, on A
            assert by_cookie.closed.wait(ENDS_WITHIN) and by_ticket.closed.wait(ENDS_WITHIN)
            after = sender.send(room, "after")
            for stream in (by_cookie, by_ticket):
                assert after["id"] not in [e.json["id"] for e in stream.drain(0.5) if e.event == "message"]
            assert other_session.next("message").json["id"] == after["id"]
            assert by_token.next("message").json["id"] == after["id"]


def test_a_stream_ends_when_its_token_expires(needs_postgres, needs_redis, two_servers, apis, people):
    a, b = two_servers
    customer, agent = people.customer(), people.agent()
    room = services.open_room(customer=customer, opened_by=customer, subject="Expiry")
    sender = apis(a, agent)
    short = AccessToken.for_user(customer)
    short.set_exp(lifetime=timedelta(seconds=3))
    # A ticket asked for with that token ends with it too.
    ticket = httpx.post(f"{a.url}/api/chat/sse/ticket", headers={"Authorization": f"Bearer {short}"}).json()["ticket"]
    with Stream(b.url, token=str(short)) as by_token, Stream(b.url, params={"ticket": ticket}) as by_ticket:
        first = sender.send(room, "before")
        assert by_token.next("message").json["id"] == first["id"]
        assert by_ticket.next("message").json["id"] == first["id"]
        expires_at = short["exp"]
        assert by_token.closed.wait(ENDS_WITHIN + 3) and by_ticket.closed.wait(ENDS_WITHIN)
        assert time.time() >= expires_at - 1
        after = sender.send(room, "after")
        for stream in (by_token, by_ticket):
            assert after["id"] not in [e.json["id"] for e in stream.drain(0.5) if e.event == "message"]


def test_the_periodic_check_ends_streams_whose_access_changed_without_a_signal(live):
    customer, agent = live.customer(), live.agent()
    room = live.room(customer)
    with Stream(live.url, token=live.api(customer).token) as stream:
        first = live.api(agent).send(room, "before")
        assert stream.next("message").json["id"] == first["id"]
        # A queryset update sends no signal: only the backstop (every second here) sees it.
        type(customer)._default_manager.filter(pk=customer.pk).update(is_active=False)
        assert_ends_carrying_nothing(stream, lambda: live.api(agent).send(room, "after"))
