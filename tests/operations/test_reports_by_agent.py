"""The reports per agent against hand-counted data: messages sent, first response and resolution
(p50, p90, wall-clock and business time), on a fixed schedule with two agents.

Read through ``GET stats`` (PostgreSQL computes the figures on PostgreSQL, Python elsewhere) and
compared with the Python computation, so the suite on each database checks both paths.
"""

import datetime as dt
import re

import pytest

from oscar_chat.models import ChatMessage, ChatRoom
from oscar_chat.operations.models import OpeningHours
from oscar_chat.operations.reports import Period, room_figures

from .conftest import JAKARTA

pytestmark = pytest.mark.django_db

HOUR = 3600
PERIOD = "from=2026-03-02&to=2026-03-03"  # Monday and Tuesday


def jkt(day, hour, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=JAKARTA)


@pytest.fixture
def history(customer, agent, agent2):
    """Weekdays 09:00-17:00 (Jakarta). ``agent`` has three rooms, ``agent2`` two, one is unassigned."""
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens_at=dt.time(9), closes_at=dt.time(17))

    def room(created, admin, responded=None, resolved=None, score=None):
        return ChatRoom.objects.create(
            user=customer,
            subject="s",
            admin=admin,
            created_at=created,
            last_activity=created,
            first_response_at=responded,
            resolved_at=resolved,
            rating_score=score,
        )

    def message(room, sender, at, **extra):
        ChatMessage.objects.create(room=room, sender=sender, message="m", created_at=at, **extra)

    # agent: first response 600 s (business 600), resolved after 2 h (business 2 h).
    r1 = room(jkt(2, 10), agent, responded=jkt(2, 10, 10), resolved=jkt(2, 12), score=5)
    # agent: 1200 s (1200); resolved Tuesday 10:00: 18 h, in business time 16-17 and 9-10: 2 h.
    r2 = room(jkt(2, 16), agent, responded=jkt(2, 16, 20), resolved=jkt(3, 10), score=3)
    # agent: Monday 20:00, answered Tuesday 09:30: 13.5 h, 30 min of business time; not resolved.
    r3 = room(jkt(2, 20), agent, responded=jkt(3, 9, 30))
    # agent2: Tuesday 08:00, answered 08:30 (closed: 0 s of business time), resolved 17:30: 9.5 h, 8 h open.
    r4 = room(jkt(3, 8), agent2, responded=jkt(3, 8, 30), resolved=jkt(3, 17, 30), score=4)
    # agent2: Tuesday 15:00, answered Wednesday 09:15, after the period: 18.25 h, 2.25 h open.
    r5 = room(jkt(3, 15), agent2, responded=jkt(4, 9, 15))
    # Unassigned: in the totals, in nobody's row.
    room(jkt(3, 11), None, responded=jkt(3, 11, 5))
    # Before the period: agent's, not counted.
    before = room(jkt(1, 20), agent, responded=jkt(2, 9), resolved=jkt(2, 9), score=1)

    for r in (r1, r2, r3, r4, r5):
        message(r, customer, r.created_at)
    # agent writes 5 messages in the period: 3 first responses, a note, and one in agent2's room.
    message(r1, agent, jkt(2, 10, 10))
    message(r2, agent, jkt(2, 16, 20))
    message(r2, agent, jkt(2, 16, 30), message_type=ChatMessage.MessageType.NOTE)
    message(r3, agent, jkt(3, 9, 30))
    message(r4, agent, jkt(3, 12))
    # Not counted: the away reply sent in agent's name, and messages outside the period.
    message(r3, agent, jkt(2, 20, 1), is_automatic=True)
    message(before, agent, jkt(1, 21))
    message(r3, agent, jkt(4, 9))
    # agent2: one in the period (its Wednesday answer is after it).
    message(r4, agent2, jkt(3, 8, 30))
    message(r5, agent2, jkt(4, 9, 15))


def by_agent(api, viewer):
    data = api(viewer).get(f"/api/chat/stats?{PERIOD}").json()
    return {row["agent"]["id"]: row for row in data["by_agent"]}


def test_each_agent_gets_messages_and_times_in_wall_clock_and_business_time(history, agent, agent2, api):
    rows = by_agent(api, agent)
    assert set(rows) == {agent.pk, agent2.pk}

    budi = rows[agent.pk]
    assert budi["conversations"] == 3
    assert budi["messages"] == 5
    # 600, 1200, 48600: p90 = 1200 + 0.8 * 47400
    assert budi["first_response_seconds"] == {"p50": 1200, "p90": 39120}
    # 600, 1200, 1800
    assert budi["first_response_business_seconds"] == {"p50": 1200, "p90": 1680}
    # 2 h and 18 h: p90 = 7200 + 0.9 * 57600
    assert budi["resolution_seconds"] == {"p50": 10 * HOUR, "p90": 59040}
    assert budi["resolution_business_seconds"] == {"p50": 2 * HOUR, "p90": 2 * HOUR}
    assert budi["csat_average"] == 4.0
    assert budi["csat_responses"] == 2

    citra = rows[agent2.pk]
    assert citra["conversations"] == 2
    assert citra["messages"] == 1
    # 1800 and 65700: p90 = 1800 + 0.9 * 63900
    assert citra["first_response_seconds"] == {"p50": 33750, "p90": 59310}
    # 0 and 8100
    assert citra["first_response_business_seconds"] == {"p50": 4050, "p90": 7290}
    assert citra["resolution_seconds"] == {"p50": 34200, "p90": 34200}
    assert citra["resolution_business_seconds"] == {"p50": 8 * HOUR, "p90": 8 * HOUR}
    assert citra["csat_average"] == 4.0


def test_the_api_shape_keeps_its_keys_and_adds_the_new_ones(history, agent, api):
    row = by_agent(api, agent)[agent.pk]
    assert set(row) == {
        # API.md 1.1
        "agent",
        "conversations",
        "first_response_seconds",
        "csat_average",
        # additions
        "csat_responses",
        "messages",
        "first_response_business_seconds",
        "resolution_seconds",
        "resolution_business_seconds",
    }
    assert row["agent"] == {"id": agent.pk, "name": "Budi Santoso", "is_agent": True}


def test_postgresql_and_python_give_the_same_figures_per_agent(history, agent, agent2):
    period = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 3))
    in_python = room_figures(period, in_python=True)
    assert in_python["agents"][agent2.pk]["first_response_business"] == {"p50": 4050, "p90": 7290}
    assert room_figures(period) == in_python  # on SQLite both are Python: the PostgreSQL run checks


def test_always_open_business_time_is_wall_clock_time_per_agent(history, agent, api):
    OpeningHours.objects.all().delete()
    budi = by_agent(api, agent)[agent.pk]
    assert budi["first_response_business_seconds"] == budi["first_response_seconds"] == {"p50": 1200, "p90": 39120}
    assert budi["resolution_business_seconds"] == budi["resolution_seconds"]
    period = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 3))
    assert room_figures(period) == room_figures(period, in_python=True)


def test_admin_reports_page_shows_the_agents_columns(history, agent, client):
    client.force_login(agent)
    page = client.get(f"/admin/oscar_chat/chatreport/?{PERIOD}").content.decode()
    table = page[page.index('id="oc-agents"') : page.index("</table>", page.index('id="oc-agents"'))]
    assert "Messages sent" in table and "Resolution" in table and "p90 in business hours" in table
    citra_row = table[table.index("<td>Citra") :].split("</tr>")[0]
    cells = re.findall(r'<td(?: data-seconds="([^"]*)")?>([^<]*)</td>', citra_row)
    # Agent, conversations, messages, first response (p50, p90, business p50, p90), resolution (same), CSAT
    assert [text for _seconds, text in cells] == [
        "Citra", "2", "1",
        "9 h 22 min", "16 h 28 min", "1 h 7 min", "2 h 1 min",
        "9 h 30 min", "9 h 30 min", "8 h 0 min", "8 h 0 min",
        "4.0",
    ]  # fmt: skip
    # The seconds behind them (GET stats's figures) stay in the page.
    assert [seconds for seconds, _text in cells[3:11]] == [
        "33750", "59310", "4050", "7290", "34200", "34200", "28800", "28800"
    ]  # fmt: skip
