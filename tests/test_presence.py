"""GET presence: agents online while one of their streams lives, across server processes."""

import httpx
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

from oscar_chat import presence, selectors
from tests.live import start_daphne

pytestmark = pytest.mark.django_db


def test_nobody_online_says_away_with_the_expected_reply_time(api, customer, settings):
    settings.OSCAR_CHAT_EXPECTED_REPLY_TIME = "within 2 hours"
    response = api(customer).get("/api/chat/presence")
    assert response.status_code == 200
    assert response.json() == {
        "online": False,
        "agents_online": 0,
        "expected_reply": "within 2 hours",
        # No opening hours set: always open (docs/operations.md).
        "is_open": True,
        "next_opening": None,
        "time_zone": "Asia/Jakarta",
    }


def test_a_lazy_expected_reply_time_comes_in_each_customers_language(api, customer, settings):
    from django.utils.translation import gettext_lazy

    # A msgid the app's Indonesian catalog translates, standing in for the store's own wording.
    settings.OSCAR_CHAT_EXPECTED_REPLY_TIME = gettext_lazy("Open")
    client = api(customer)
    assert client.get("/api/chat/presence", HTTP_ACCEPT_LANGUAGE="en").json()["expected_reply"] == "Open"
    assert client.get("/api/chat/presence", HTTP_ACCEPT_LANGUAGE="id").json()["expected_reply"] == "Terbuka"


def test_an_agent_marked_present_counts_until_the_entry_lapses(agent, settings):
    settings.OSCAR_CHAT_PRESENCE_TTL = 60
    presence.mark_agent_present(agent.pk, now=1_000.0)
    presence.mark_agent_present(agent.pk + 1, now=1_030.0)
    assert sum(1 for until in presence_entries().values() if until > 1_059) == 2
    # The first agent's entry has lapsed 60 s after its last refresh; the second still counts.
    assert sorted(uid for uid, until in presence_entries().items() if until > 1_061) == [agent.pk + 1]


def test_agents_with_live_streams_are_marked_together_at_most_once_per_refresh(agent, settings):
    """What a process's stream hub does every keep-alive tick for its agents' streams."""
    from asgiref.sync import async_to_sync
    from django.core.cache import cache

    settings.OSCAR_CHAT_PRESENCE_REFRESH = 15
    presence._last_written.clear()
    async_to_sync(presence.agent_streams_alive)([agent.pk, agent.pk + 1])
    assert {agent.pk, agent.pk + 1} <= presence.online_agent_ids()
    cache.delete(presence.CACHE_KEY)
    async_to_sync(presence.agent_streams_alive)([agent.pk])  # within PRESENCE_REFRESH: no cache write
    assert presence.online_agent_ids() == set()
    settings.OSCAR_CHAT_PRESENCE_REFRESH = 0
    async_to_sync(presence.agent_streams_alive)([agent.pk])
    assert presence.online_agent_ids() == {agent.pk}


def presence_entries():
    from django.core.cache import cache

    return cache.get(presence.CACHE_KEY) or {}


def test_presence_needs_a_signed_in_user(api):
    assert api().get("/api/chat/presence").status_code == 401


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_an_agent_stream_in_one_process_is_seen_by_another(needs_redis, agent, customer):
    """The stream runs in a daphne process; this test process (sharing the Redis cache) sees it."""
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        pytest.fail("REDIS_URL is set but the cache is not Redis")
    assert selectors.presence()["online"] is False
    server = start_daphne(env={"OSCAR_CHAT_SSE_KEEPALIVE_SECONDS": "1"})
    try:
        headers = {"Authorization": f"Bearer {AccessToken.for_user(agent)}", "Accept": "text/event-stream"}
        with httpx.Client(base_url=server.url, timeout=httpx.Timeout(10, read=5)) as http:
            with http.stream("GET", "/api/chat/sse", headers=headers) as stream:
                assert stream.status_code == 200
                # Read until the stream's first keep-alive: its write loop has turned (and marked presence).
                for line in stream.iter_lines():
                    if line.startswith(":"):
                        break
                online = selectors.presence()
            customer_view = http.get(
                "/api/chat/presence", headers={"Authorization": f"Bearer {AccessToken.for_user(customer)}"}
            ).json()
    finally:
        server.stop()
    assert online["online"] is True and online["agents_online"] == 1
    assert customer_view["online"] is True
