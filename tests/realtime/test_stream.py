"""GET sse and POST sse/ticket on a real daphne process, read by a real SSE client."""

import time

import httpx
import pytest
from django.db import transaction
from django.test import Client

from oscar_chat import services
from oscar_chat.models import ChatMessage

from .conftest import token
from .sse import Stream

pytestmark = [pytest.mark.live, pytest.mark.timeout(60)]


def message_ids(events):
    return [e.json["id"] for e in events if e.event == "message"]


def test_stream_headers_start_with_retry_and_keep_alive(live):
    customer = live.customer()
    with Stream(live.url, token=token(customer)) as stream:
        assert stream.status == 200
        headers = stream.response_headers
        assert headers["content-type"].startswith("text/event-stream")
        assert headers["cache-control"] == "no-cache"
        assert headers["x-accel-buffering"] == "no"
        time.sleep(1.0)  # keep-alive every 0.3 s on this server
        assert stream.raw.startswith(b"retry: 250\n")
        assert stream.parser.retry == 250
        assert stream.parser.comments >= 2
        assert b": keep-alive\n\n" in stream.raw


def test_customer_sees_own_rooms_agent_sees_every_room(live):
    customer = live.customer()
    other_customer = live.customer("other", first="", last="")
    agent = live.agent()
    room, other_room = live.room(customer), live.room(other_customer)
    as_customer, as_other, as_agent = live.api(customer), live.api(other_customer), live.api(agent)
    with (
        Stream(live.url, token=as_customer.token) as mine,
        Stream(live.url, token=as_other.token) as theirs,
        Stream(live.url, token=as_agent.token) as agents,
    ):
        first = as_customer.send(room, "Is the batik shirt in stock?")
        second = as_other.send(other_room, "Where is my order?")
        third = as_agent.send(room, "Yes, size M and L.")

        got = [agents.next("message").json for _ in range(3)]
        assert [m["id"] for m in got] == [first["id"], second["id"], third["id"]]
        assert got[2] == third  # the event carries the Message exactly as the API returns it

        assert [mine.next("message").json["id"] for _ in range(2)] == [first["id"], third["id"]]
        assert theirs.next("message").json["id"] == second["id"]
        assert message_ids(mine.drain(0.3) + theirs.drain(0.3)) == []


def test_customer_stream_never_carries_another_customers_events(live):
    customer = live.customer()
    other_customer = live.customer("other", first="", last="")
    agent = live.agent()
    room, other_room = live.room(customer), live.room(other_customer)
    as_other, as_agent = live.api(other_customer), live.api(agent)
    with Stream(live.url, token=token(customer)) as mine:
        as_other.send(other_room, "private question")
        as_agent.send(other_room, "private answer")
        as_agent.patch(f"rooms/{other_room.pk}/manage", json={"status": "RESOLVED"})
        as_other.post(f"rooms/{other_room.pk}/typing", json={"is_typing": True})
        as_agent.send(room, "marker: your room")
        events = [mine.next("message")] + mine.drain(0.5)
    assert events[0].json["message"] == "marker: your room"
    for event in events:
        data = event.json
        assert data.get("room", data.get("id")) == room.pk, (event.event, data)


def test_room_parameter_narrows_the_stream(live):
    customer = live.customer()
    other_customer = live.customer("other", first="", last="")
    agent = live.agent()
    room, other_room = live.room(customer), live.room(other_customer)
    as_agent = live.api(agent)
    with Stream(live.url, token=as_agent.token, params={"room": room.pk}) as narrowed:
        as_agent.send(other_room, "elsewhere")
        mine = as_agent.send(room, "here")
        event = narrowed.next("message")
        assert event.json["id"] == mine["id"]
        assert {e.json.get("room", e.json.get("id")) for e in narrowed.drain(0.5)} <= {room.pk}

    for params, status in [({"room": other_room.pk}, 404), ({"room": 10**9}, 404), ({"room": "abc"}, 400)]:
        with Stream(live.url, token=token(customer), params=params) as refused:
            assert refused.status == status
            assert "detail" in httpx.Response(status, content=refused.body).json()


def test_typing_is_throttled_and_never_sent_to_the_typist(live):
    customer = live.customer()
    agent = live.agent()
    room = live.room(customer)
    as_customer, as_agent = live.api(customer), live.api(agent)
    with Stream(live.url, token=as_customer.token) as typist, Stream(live.url, token=as_agent.token) as other:
        for _ in range(5):  # every keystroke
            assert as_customer.post(f"rooms/{room.pk}/typing", json={"is_typing": True}).status_code == 204
        event = other.next("typing")
        assert event.json == {
            "room": room.pk,
            "user": {"id": customer.pk, "name": "Eka Pratama", "is_agent": False},
            "is_typing": True,
        }
        assert as_customer.post(f"rooms/{room.pk}/typing", json={"is_typing": False}).status_code == 204
        assert other.next("typing").json["is_typing"] is False
        assert [e for e in other.drain(0.4) if e.event == "typing"] == []  # one "typing" for five reports

        time.sleep(1.0)  # the throttle window (1 s) has passed: the next report goes out
        as_customer.post(f"rooms/{room.pk}/typing", json={"is_typing": True})
        assert other.next("typing").json["is_typing"] is True

        # And the other way round: the agent types, the customer sees it.
        as_agent.post(f"rooms/{room.pk}/typing", json={"is_typing": True})
        assert typist.next("typing").json["user"]["id"] == agent.pk
        assert [e.json["user"]["id"] for e in typist.drain(0.4) if e.event == "typing"] == []
    # Never echoed: neither stream saw its own user's typing.
    assert all(e.json["user"]["id"] != agent.pk for e in other.drain(0.1) if e.event == "typing")


def test_read_receipt_and_unread_counts_follow_reads(live):
    customer = live.customer()
    agent = live.agent()
    room = live.room(customer)
    as_customer, as_agent = live.api(customer), live.api(agent)
    with (
        Stream(live.url, token=as_customer.token) as customer_stream,
        Stream(live.url, token=as_agent.token) as agent_stream,
    ):
        as_agent.send(room, "Your order shipped.")
        last = as_agent.send(room, "Tracking: JNE 123")
        rooms = [customer_stream.next("room").json for _ in range(2)]
        assert [r["unread_count"] for r in rooms] == [1, 2]
        assert rooms[-1]["last_message"] == "Tracking: JNE 123"
        assert rooms[-1]["admin"]["id"] == agent.pk  # the first reply assigned the agent

        response = as_customer.post(f"rooms/{room.pk}/read")
        assert response.json() == {"room": room.pk, "unread_count": 0}
        receipt = agent_stream.next("read")
        assert receipt.json == {
            "room": room.pk,
            "reader": {"id": customer.pk, "name": "Eka Pratama", "is_agent": False},
            "last_read_id": last["id"],
        }
        assert customer_stream.next("room").json["unread_count"] == 0

        # A customer's message counts as unread on the agents' side.
        as_customer.send(room, "Thanks!")
        agent_room = [e for e in [agent_stream.next("room")] if e.json["id"] == room.pk][0].json
        while agent_room["unread_count"] == 0:  # the read's own room event may come first
            agent_room = agent_stream.next("room").json
        assert agent_room["unread_count"] == 1 and agent_room["is_read"] is False


def test_room_events_follow_status_priority_and_assignment(live):
    customer = live.customer()
    agent = live.agent()
    agent2 = live.agent("agent2", first="Citra", last="")
    room = live.room(customer)
    as_agent = live.api(agent)
    with Stream(live.url, token=token(customer)) as customer_stream, Stream(live.url, token=token(agent2)) as agents:
        as_agent.patch(f"rooms/{room.pk}/manage", json={"status": "RESOLVED"})
        as_agent.patch(f"rooms/{room.pk}/manage", json={"priority": "URGENT"})
        as_agent.patch(f"rooms/{room.pk}/manage", json={"admin_id": agent2.pk})
        for stream in (customer_stream, agents):
            states = [stream.next("room").json for _ in range(3)]
            assert [(s["status"], s["priority"], (s["admin"] or {}).get("id")) for s in states] == [
                ("RESOLVED", "NORMAL", None),
                ("RESOLVED", "URGENT", None),
                ("RESOLVED", "URGENT", agent2.pk),
            ]
        as_agent.patch(f"rooms/{room.pk}/manage", json={"status": "RESOLVED"})  # no change: no event
        assert [e for e in customer_stream.drain(0.4) if e.event == "room"] == []


def test_ticket_opens_one_stream_once_and_expires(live):
    customer = live.customer()
    other_customer = live.customer("other", first="", last="")
    as_customer = live.api(customer)
    issued = as_customer.post("sse/ticket")
    assert issued.status_code == 200
    body = issued.json()
    assert set(body) == {"ticket", "expires_in"} and body["expires_in"] == 2

    room, other_room = live.room(customer), live.room(other_customer)
    with Stream(live.url, params={"ticket": body["ticket"]}) as stream:
        assert stream.status == 200
        live.api(other_customer).send(other_room, "not for you")
        mine = as_customer.send(room, "for you")
        assert stream.next("message").json["id"] == mine["id"]  # the ticket's user's scope

    with Stream(live.url, params={"ticket": body["ticket"]}) as again:
        assert again.status == 401  # single use

    late = as_customer.post("sse/ticket/").json()["ticket"]  # trailing slash works too
    time.sleep(2.3)
    with Stream(live.url, params={"ticket": late}) as expired:
        assert expired.status == 401
    assert live.api(customer).client.post("sse/ticket", headers={"Authorization": ""}).status_code == 401


def test_refusals_are_json_4xx(live):
    customer = live.customer()
    jwt = token(customer)
    inactive = live.customer("gone")
    inactive.is_active = False
    inactive.save()
    cases = [
        ({}, {}, 401),
        ({}, {"Authorization": "Bearer not-a-token"}, 401),
        ({"token": jwt}, {}, 401),
        ({"access_token": jwt}, {}, 401),
        ({"ticket": jwt}, {}, 401),
        ({"token": jwt}, {"Authorization": f"Bearer {jwt}"}, 401),  # a token in the URL is refused outright
        ({}, {"Authorization": f"Bearer {token(inactive)}"}, 401),
        ({"last_event_id": "x"}, {"Authorization": f"Bearer {jwt}"}, 400),
    ]
    for params, headers, status in cases:
        response = httpx.get(f"{live.url}/api/chat/sse", params=params, headers=headers, timeout=10)
        assert response.status_code == status, (params, headers, response.text)
        assert response.headers["content-type"] == "application/json"
        assert response.json()["detail"]
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")
    response = httpx.post(f"{live.url}/api/chat/sse", headers={"Authorization": f"Bearer {jwt}"}, timeout=10)
    assert response.status_code == 405


def test_session_cookie_opens_the_stream(live):
    customer = live.customer()
    browser = Client()
    browser.force_login(customer)
    room = live.room(customer)
    cookies = {"sessionid": browser.cookies["sessionid"].value}
    with Stream(live.url, cookies=cookies) as stream:
        assert stream.status == 200
        sent = live.api(customer).send(room, "via session")
        assert stream.next("message").json["id"] == sent["id"]
    browser.logout()


def test_resume_with_header_or_query_replays_missed_messages_in_order(live):
    customer = live.customer()
    agent = live.agent()
    room = live.room(customer)
    as_customer, as_agent = live.api(customer), live.api(agent)
    with Stream(live.url, token=as_customer.token) as stream:
        first = as_customer.send(room, "one")
        seen = stream.next("message")
        assert seen.json["id"] == first["id"]
    missed = [as_agent.send(room, f"missed {n}")["id"] for n in range(3)]

    with Stream(live.url, token=as_customer.token, last_event_id=seen.id) as resumed:
        assert [resumed.next("message").json["id"] for _ in range(3)] == missed
        live_one = as_agent.send(room, "live again")
        assert resumed.next("message").json["id"] == live_one["id"]
        assert message_ids(resumed.drain(0.3)) == []  # none twice
        resume_point = resumed.parser.last_event_id

    as_agent.send(room, "while away")
    with Stream(live.url, token=as_customer.token, params={"last_event_id": resume_point}) as by_query:
        assert by_query.next("message").json["message"] == "while away"
        assert message_ids(by_query.drain(0.3)) == []


def test_a_fresh_stream_can_resume_before_its_first_message(live):
    customer = live.customer()
    agent = live.agent()
    room = live.room(customer)
    with Stream(live.url, token=token(customer)) as stream:
        time.sleep(0.1)
        assert stream.parser.last_event_id is not None  # the preamble's id: the current position
        resume_point = stream.parser.last_event_id
    sent = live.api(agent).send(room, "posted between two connections")
    with Stream(live.url, token=token(customer), last_event_id=resume_point) as resumed:
        assert resumed.next("message").json["id"] == sent["id"]


def test_too_many_missed_messages_send_reset(live):
    customer = live.customer()
    agent = live.agent()
    room = live.room(customer)
    with Stream(live.url, token=token(customer)) as stream:
        time.sleep(0.1)
        resume_point = stream.parser.last_event_id
    with transaction.atomic():  # one commit: quicker than 101
        for n in range(101):  # the replay limit of this server is 100
            services.post_message(room, agent, message=f"burst {n}")
    last_seq = ChatMessage.objects.order_by("-seq").values_list("seq", flat=True).first()
    with Stream(live.url, token=token(customer), last_event_id=resume_point) as resumed:
        reset = resumed.next()
        assert (reset.event, reset.json) == ("reset", {"last_event_id": last_seq, "reason": "too_many_missed"})
        assert reset.id == str(last_seq)  # resuming from here later does not reset again
        sent = live.api(agent).send(room, "after the reset")
        assert resumed.next("message").json["id"] == sent["id"]

    # An id the store never gave (ahead of every message) resets too, rather than wait for it.
    with Stream(live.url, token=token(customer), last_event_id=10**12) as odd:
        reset = odd.next()
        assert (reset.event, reset.json["reason"]) == ("reset", "unknown_id")
