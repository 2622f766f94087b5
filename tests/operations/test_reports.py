"""Reports against hand-counted data: GET stats, its CSV, and the admin's "Chat reports" page."""

import datetime as dt

import pytest

from oscar_chat.models import ChatMessage, ChatRoom
from oscar_chat.operations.models import OpeningHours

from .conftest import JAKARTA

pytestmark = pytest.mark.django_db


def jkt(day, hour, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=JAKARTA)


@pytest.fixture
def history(customer, other_customer, agent, agent2):
    """Four rooms in 2–3 March 2026 (Jakarta), one outside the period, with known timings."""

    def room(created, *, admin=None, responded=None, resolved=None, score=None, messages=()):
        r = ChatRoom.objects.create(
            user=customer,
            subject="s",
            admin=admin,
            created_at=created,
            last_activity=created,
            first_response_at=responded,
            resolved_at=resolved,
            rating_score=score,
        )
        for sender, at in messages:
            ChatMessage.objects.create(room=r, sender=sender, message="m", created_at=at)
        return r

    # Monday 2 March
    room(
        jkt(2, 10),
        admin=agent,
        responded=jkt(2, 10, 1),
        resolved=jkt(2, 11),
        score=5,
        messages=[(customer, jkt(2, 10)), (agent, jkt(2, 10, 1))],
    )
    room(
        jkt(2, 16),
        admin=agent,
        responded=jkt(2, 16, 3),
        resolved=jkt(3, 10),
        score=3,
        messages=[(customer, jkt(2, 16)), (agent, jkt(2, 16, 3)), (customer, jkt(3, 9))],
    )
    # Tuesday 3 March
    room(jkt(3, 23, 30), admin=agent2, responded=jkt(4, 9), messages=[(customer, jkt(3, 23, 30))])
    room(jkt(3, 12), messages=[(customer, jkt(3, 12))])
    # Outside the period: 1 March 23:59 Jakarta (16:59 UTC), and a message on 4 March
    room(jkt(1, 23, 59), admin=agent, responded=jkt(2, 9), score=1, messages=[(customer, jkt(1, 23, 59))])
    ChatMessage.objects.create(room=ChatRoom.objects.first(), sender=agent, message="late", created_at=jkt(4, 9))


def test_stats_match_the_hand_counted_figures(history, agent, api):
    data = api(agent).get("/api/chat/stats?from=2026-03-02&to=2026-03-03").json()
    assert data["conversations"] == 4
    assert data["messages"] == 7
    # First responses: 60 s, 180 s, 9.5 h = 34200 s. p50 = 180; p90 = 180 + 0.8 * (34200 - 180)
    assert data["first_response_seconds"] == {"p50": 180, "p90": 27396}
    # Resolutions: 1 h and 18 h
    assert data["resolution_seconds"] == {"p50": (3600 + 64800) // 2, "p90": round(3600 + 0.9 * 61200)}
    assert data["csat"] == {"average": 4.0, "responses": 2}
    assert data["by_day"] == [
        {"date": "2026-03-02", "conversations": 2, "messages": 4},
        {"date": "2026-03-03", "conversations": 2, "messages": 3},
    ]
    by_agent = {row["agent"]["id"]: row for row in data["by_agent"]}
    assert by_agent[agent.pk]["conversations"] == 2
    assert by_agent[agent.pk]["first_response_seconds"] == {"p50": 120, "p90": 168}
    assert by_agent[agent.pk]["csat_average"] == 4.0
    assert by_agent[agent.pk]["agent"]["name"] == "Budi Santoso"
    assert len(by_agent) == 2


def test_business_time_counts_opening_hours_only(history, agent, api):
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens_at=dt.time(9), closes_at=dt.time(17))
    data = api(agent).get("/api/chat/stats?from=2026-03-02&to=2026-03-03").json()
    # 60 s, 180 s, and the night-time room answered at opening: 0 s.
    assert data["first_response_business_seconds"]["p50"] == 60
    # Resolutions: 1 h; 16:00 Monday -> 10:00 Tuesday = 1 h + 1 h = 7200 s
    assert data["resolution_business_seconds"]["p50"] == (3600 + 7200) // 2
    assert data["first_response_seconds"]["p50"] == 180  # wall clock unchanged


def test_stats_csv_gives_the_days(history, agent, api):
    response = api(agent).get("/api/chat/stats/?from=2026-03-02&to=2026-03-03&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines() == [
        "date,conversations,messages",
        "2026-03-02,2,4",
        "2026-03-03,2,3",
    ]


@pytest.mark.parametrize(
    "query", ["from=2026-03-05&to=2026-03-01", "from=yesterday", "format=xml", "from=2024-01-01&to=2026-01-01"]
)
def test_bad_stats_query_is_a_json_400(agent, api, query):
    response = api(agent).get(f"/api/chat/stats?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_stats_are_for_agents_only(customer, api):
    assert api(customer).get("/api/chat/stats").status_code == 403
    assert api().get("/api/chat/stats").status_code == 401


def test_empty_period_has_no_percentiles(agent, api):
    data = api(agent).get("/api/chat/stats?from=2020-01-01&to=2020-01-02").json()
    assert data["conversations"] == 0
    assert data["first_response_seconds"] == {"p50": None, "p90": None}
    assert data["csat"] == {"average": None, "responses": 0}
    assert len(data["by_day"]) == 2


def test_admin_reports_page_shows_the_figures_charts_and_csv(history, agent, client):
    client.force_login(agent)
    response = client.get("/admin/oscar_chat/chatreport/?from=2026-03-02&to=2026-03-03")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Chat reports" in page
    assert 'id="oc-chart-conversations"' in page and "<rect" in page
    assert "2026-03-02: 4</title>" in page  # messages chart bar
    assert "Budi Santoso" in page
    # Times as people read them (the seconds stay in data-seconds, GET stats and the CSV).
    import re

    times = re.search(r'<table id="oc-times">.*?</table>', page, re.S).group(0)
    cells = re.findall(r'<td data-seconds="([^"]*)">([^<]*)</td>', times)
    assert cells == [
        ("180", "3 min"),
        ("27396", "7 h 36 min"),
        ("180", "3 min"),
        ("27396", "7 h 36 min"),
        ("34200", "9 h 30 min"),
        ("58680", "16 h 18 min"),
        ("34200", "9 h 30 min"),
        ("58680", "16 h 18 min"),
    ]
    csv_response = client.get("/admin/oscar_chat/chatreport/?from=2026-03-02&to=2026-03-03&format=csv")
    assert csv_response.content.decode().splitlines()[1] == "2026-03-02,2,4"


def test_admin_reports_page_is_for_agents(customer, staff_no_perm, client):
    client.force_login(staff_no_perm)
    assert client.get("/admin/oscar_chat/chatreport/").status_code == 403


def test_postgresql_and_python_compute_the_same_figures(history):
    from django.db import connection

    from oscar_chat.operations.reports import Period, room_figures

    period = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    in_python = room_figures(period, in_python=True)
    assert in_python["conversations"] == 5
    if connection.vendor == "postgresql":
        assert room_figures(period) == in_python


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "–"),
        (0, "0 s"),
        (59.6, "1 min"),
        (200, "3 min 20 s"),
        (600, "10 min"),
        (3599, "59 min"),
        (3600, "1 h 0 min"),
        (86399, "23 h 59 min"),
        (90000, "1 d 1 h"),
    ],
)
def test_report_times_read_as_durations(seconds, shown):
    from oscar_chat.templatetags.oscar_chat_admin import duration

    assert duration(seconds) == shown


def test_report_times_in_indonesian(history, agent, client):
    client.force_login(agent)
    page = client.get("/admin/oscar_chat/chatreport/?from=2026-03-02&to=2026-03-03", HTTP_ACCEPT_LANGUAGE="id").content
    assert "7 jam 36 mnt" in page.decode()
