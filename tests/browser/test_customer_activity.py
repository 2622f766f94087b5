"""A customer browsing the store: the launcher reports each page, and the agents' streams hear it.

Read from a real agent event stream against the same server (the admin's panel is another
test's); a shopper without a conversation sends nothing.
"""

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from tests.browser.test_widget import (  # noqa: F401 - fixtures of the widget module, shared
    errors,
    make_customer,
    open_room_for,
    shop,
    shot,
    sign_in,
    transactional_db,
    widget_server,
)
from tests.realtime.sse import Stream

pytestmark = pytest.mark.browser


def activity_requests(page):
    sent = []
    page.on("request", lambda request: sent.append(request) if request.url.endswith("/api/chat/activity") else None)
    return sent


def test_pages_a_chat_customer_browses_reach_the_agents_stream(shop, page, screenshot, errors):  # noqa: F811
    user = make_customer(shop)
    open_room_for(shop, user, "Coffee beans", "Are the Gayo beans fresh?")
    coffee = shop.products["coffee"]
    sign_in(page, shop, user)
    sent = activity_requests(page)
    with Stream(shop.server.url, token=str(AccessToken.for_user(shop.agent))) as agents:
        page.goto(shop.server.url + "/catalogue/")
        catalogue = agents.next("customer", timeout=15).json
        assert catalogue["customer"] == user.pk
        assert catalogue["page"]["url"] == "/catalogue/"
        assert catalogue["page"]["title"] == page.title()

        page.goto(shop.server.url + coffee.get_absolute_url() + "?ref=chat")
        product = agents.next("customer", timeout=15).json["page"]
        assert product["url"] == coffee.get_absolute_url() + "?ref=chat"
        assert "Kopi Arabika Gayo" in product["title"]
        shot(screenshot, "customer-activity-product-page")

        page.reload()  # the same page again: not news for the agents
        page.wait_for_load_state("networkidle")
        assert [e for e in agents.drain(1.0) if e.event == "customer"] == []
    assert len(sent) == 3
    assert errors == []


def test_a_shopper_without_a_conversation_sends_no_page_reports(shop, page, errors):  # noqa: F811
    user = make_customer(shop)
    sign_in(page, shop, user)
    sent = activity_requests(page)
    page.goto(shop.server.url + "/catalogue/")
    page.goto(shop.server.url + shop.products["coffee"].get_absolute_url())
    page.wait_for_load_state("networkidle")
    assert sent == []
    assert errors == []
