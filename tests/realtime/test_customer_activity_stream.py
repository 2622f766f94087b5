"""The ``customer`` event on the real event stream: agents' streams get a chat customer's page;
customers' streams never do."""

import pytest

from .sse import Stream

pytestmark = [pytest.mark.live, pytest.mark.timeout(60)]


def test_a_customers_page_reaches_the_agents_streams_and_never_a_customers(live):
    customer, other, agent = live.customer(), live.customer("other", first="Sari"), live.agent()
    room, other_room = live.room(customer), live.room(other)
    as_customer, as_other, as_agent = live.api(customer), live.api(other), live.api(agent)
    with (
        Stream(live.url, token=as_agent.token) as agents,
        Stream(live.url, token=as_agent.token, params={"room": room.pk}) as agents_on_room,
        Stream(live.url, token=as_agent.token, params={"room": other_room.pk}) as agents_elsewhere,
        Stream(live.url, token=as_customer.token) as mine,
        Stream(live.url, token=as_customer.token, params={"room": room.pk}) as mine_on_room,
        Stream(live.url, token=as_other.token) as others,
    ):
        response = as_customer.post("activity", json={"url": "/catalogue/?q=batik", "title": "Search: batik"})
        assert response.status_code == 204, response.text

        for stream in (agents, agents_on_room):
            data = stream.next("customer").json
            assert set(data) == {"customer", "page"}
            assert data["customer"] == customer.pk
            assert {k: data["page"][k] for k in ("url", "title")} == {
                "url": "/catalogue/?q=batik",
                "title": "Search: batik",
            }
        for stream in (agents_elsewhere, mine, mine_on_room, others):
            assert [e.event for e in stream.drain(0.5) if e.event == "customer"] == []

        # A reload is not news; another page is.
        as_customer.post("activity", json={"url": "/catalogue/?q=batik", "title": "Search: batik"})
        as_customer.post("activity", json={"url": "/basket/", "title": "Basket"})
        assert agents.next("customer").json["page"]["url"] == "/basket/"
        assert [e for e in agents.drain(0.5) if e.event == "customer"] == []
