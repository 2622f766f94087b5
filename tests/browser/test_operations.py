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
    panel.locator("#oc-rating").scroll_into_view_if_needed()
    expect(panel.locator("#oc-rating")).to_be_in_viewport()
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


def seed_march_history(demo):
    """Four conversations on 2-3 March 2026 (the store's time zone, Asia/Jakarta) with known times,
    and one the day before: the hand-counted data of tests/operations/test_reports.py."""
    import datetime as dt

    from oscar_chat.models import ChatMessage, ChatRoom

    jakarta = dt.timezone(dt.timedelta(hours=7))
    customer, agent = demo.users["customer"], demo.users["agent"]

    def at(day, hour, minute=0):
        return dt.datetime(2026, 3, day, hour, minute, tzinfo=jakarta)

    def room(created, responded=None, resolved=None, score=None, messages=()):
        r = ChatRoom.objects.create(
            user=customer,
            subject="March",
            admin=agent if responded else None,
            status="RESOLVED" if resolved else "OPEN",
            created_at=created,
            last_activity=created,
            first_response_at=responded,
            resolved_at=resolved,
            rating_score=score,
        )
        for sender, sent in messages:
            ChatMessage.objects.create(room=r, sender=sender, message="m", created_at=sent)

    with demo.blocker.unblock():
        room(at(2, 10), at(2, 10, 1), at(2, 11), 5, [(customer, at(2, 10)), (agent, at(2, 10, 1))])
        room(
            at(2, 16), at(2, 16, 3), at(3, 10), 3, [(customer, at(2, 16)), (agent, at(2, 16, 3)), (customer, at(3, 9))]
        )
        room(at(3, 23, 30), at(4, 9), messages=[(customer, at(3, 23, 30))])
        room(at(3, 12), messages=[(customer, at(3, 12))])
        room(at(1, 23, 59), at(2, 9), score=1, messages=[(customer, at(1, 23, 59))])


def test_chat_reports_for_a_chosen_period_show_the_hand_counted_figures(demo, page, errors, screenshot):  # noqa: F811
    seed_march_history(demo)
    sign_in(demo, page, "agent")
    page.goto(f"{demo.server.url}/admin/oscar_chat/chatreport/")
    page.get_by_label("From", exact=True).fill("2026-03-02")
    page.get_by_label("To", exact=True).fill("2026-03-03")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"from=2026-03-02&to=2026-03-03"))
    expect(page.locator("#oc-figure-conversations strong")).to_have_text("4")
    expect(page.locator("#oc-figure-messages strong")).to_have_text("7")
    expect(page.locator("#oc-figure-csat")).to_contain_text("4.0")
    expect(page.locator("#oc-figure-csat")).to_contain_text("2 ratings")
    # Always open (the demo has no opening hours): business time is wall-clock time.
    first, resolution = page.locator("#oc-times tbody tr").nth(0), page.locator("#oc-times tbody tr").nth(1)
    expect(first.locator("td")).to_have_text(["3 min", "7 h 36 min", "3 min", "7 h 36 min"])
    expect(resolution.locator("td")).to_have_text(["9 h 30 min", "16 h 18 min", "9 h 30 min", "16 h 18 min"])
    bars = page.locator("#oc-chart-messages rect")
    expect(bars).to_have_count(2)
    expect(page.locator("#oc-chart-messages title")).to_have_text(["2026-03-02: 4", "2026-03-03: 3"])
    budi = page.locator("#oc-agents tbody tr", has_text="Budi Santoso")
    expect(budi.locator("td").nth(1)).to_have_text("3")  # his conversations, hand-counted
    # The taller bar is the busier day.
    heights = [float(bars.nth(i).get_attribute("height")) for i in range(2)]
    assert heights[0] > heights[1] > 0
    screenshot("chat-reports-chosen-period")
    assert errors == []
