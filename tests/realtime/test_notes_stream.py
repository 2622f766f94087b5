"""Internal notes on the real event stream: agents get them live and on resume; customers never."""

import pytest

from .sse import Stream

pytestmark = [pytest.mark.live, pytest.mark.timeout(60)]


def test_a_note_reaches_agents_live_and_never_a_customers_stream(live):
    customer, agent = live.customer(), live.agent()
    room = live.room(customer)
    as_customer, as_agent = live.api(customer), live.api(agent)
    with (
        Stream(live.url, token=as_customer.token) as mine,
        Stream(live.url, token=as_customer.token, params={"room": room.pk}) as mine_narrowed,
        Stream(live.url, token=as_agent.token) as agents,
        Stream(live.url, token=as_agent.token, params={"room": room.pk}) as agents_narrowed,
    ):
        question = as_customer.send(room, "Can I change the address?")
        secret = as_agent.send(room, "Address change needs the warehouse", message_type="NOTE")
        answer = as_agent.send(room, "Yes, send it here.")

        for stream in (agents, agents_narrowed):
            got = [stream.next("message").json for _ in range(3)]
            assert [m["id"] for m in got] == [question["id"], secret["id"], answer["id"]]
            assert got[1]["message_type"] == "NOTE"
        for stream in (mine, mine_narrowed):
            got = [stream.next("message").json["id"] for _ in range(2)]
            assert got == [question["id"], answer["id"]]
            rest = stream.drain(0.5)
            assert all(e.json.get("id") != secret["id"] for e in rest if e.event == "message")
            assert all("warehouse" not in (e.json.get("last_message") or "") for e in rest if e.event == "room")

    # Resuming from before the note: the customer's replay skips it, the agent's carries it.
    with (
        Stream(live.url, token=as_customer.token, last_event_id=0) as customer_resume,
        Stream(live.url, token=as_agent.token, params={"room": room.pk}, last_event_id=0) as agent_resume,
    ):
        assert [customer_resume.next("message").json["id"] for _ in range(2)] == [question["id"], answer["id"]]
        assert [agent_resume.next("message").json["id"] for _ in range(3)] == [
            question["id"],
            secret["id"],
            answer["id"],
        ]
        assert all(e.json.get("id") != secret["id"] for e in customer_resume.drain(0.5) if e.event == "message")
