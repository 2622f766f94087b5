"""The rating an agent sees and the "Chat reports" page, in Chromium against the sandbox served by daphne."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_admin import (  # noqa: F401 - fixtures of the dashboard's browser tests
    api_for,
    browser_context_args,
    demo,
    errors,
    new_room,
    say,
    sign_in,
)

pytestmark = pytest.mark.browser


def resolve_and_rate(demo, score, comment):
    customer, agent = demo.users["customer"], demo.users["agent"]
    room = new_room(demo, customer, "Rating", "Is the batik hand-drawn?")
    say(demo, agent, room["id"], "Yes, batik tulis.")
    with api_for(demo, agent) as api:
        assert api.patch(f"/api/chat/rooms/{room['id']}/manage", json={"status": "RESOLVED"}).status_code == 200
    with api_for(demo, customer) as api:
        response = api.post(f"/api/chat/rooms/{room['id']}/rating", json={"score": score, "comment": comment})
    assert response.status_code == 200, response.text
    return response.json()


def test_agent_sees_the_rating_in_the_list_and_the_conversation(demo, page, errors, screenshot):  # noqa: F811
    room = resolve_and_rate(demo, 4, "Helpful and quick")
    sign_in(demo, page, "agent")
    page.goto(f"{demo.server.url}/admin/oscar_chat/chatroom/")
    row = page.locator("#result_list tr", has_text=room["subject"])
    expect(row.locator(".oc-rating")).to_have_text("★★★★☆")
    page.goto(f"{demo.server.url}/admin/oscar_chat/chatroom/{room['id']}/change/")
    panel = page.locator("#oc-panel-service")
    expect(panel.locator("#oc-rating .oc-rating")).to_have_text("★★★★☆")
    expect(panel).to_contain_text("Helpful and quick")
    screenshot("conversation-rating")
    assert errors == []


def test_chat_reports_page_shows_figures_charts_and_exports_csv(demo, page, errors, screenshot):  # noqa: F811
    resolve_and_rate(demo, 5, "")
    sign_in(demo, page, "agent")
    page.goto(f"{demo.server.url}/admin/")
    page.get_by_role("link", name="Chat reports").click()
    expect(page.locator("h1")).to_have_text("Chat reports")
    expect(page.locator("#oc-figure-conversations strong")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(page.locator("#oc-figure-csat strong")).not_to_have_text("–")
    assert page.locator("#oc-chart-conversations rect").count() == 30
    assert page.locator("#oc-chart-messages rect").count() == 30
    expect(page.locator("#oc-agents")).to_contain_text("Budi Santoso")
    expect(page.locator("#oc-agents thead")).to_contain_text("Messages sent")
    # Agent, conversations, messages sent, first response and resolution (4 each), satisfaction.
    budi = page.locator("#oc-agents tbody tr", has_text="Budi Santoso")
    expect(budi.locator("td")).to_have_count(12)
    expect(budi.locator("td").nth(2)).to_have_text(re.compile(r"^[1-9]\d*$"))
    page.locator("#oc-agents").scroll_into_view_if_needed()
    screenshot("chat-reports-agents")

    page.get_by_role("link", name="Last 7 days").click()
    expect(page.locator("#oc-chart-messages rect")).to_have_count(7)
    screenshot("chat-reports")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0] == "date,conversations,messages" and len(lines) == 8
    assert errors == []
