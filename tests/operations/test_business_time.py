"""Business time in the reports against hand-counted data: time zones, DST, holidays, weekends, changed hours.

Each figure is read through ``GET stats`` (computed by PostgreSQL on PostgreSQL, in Python on
other databases) and compared with the Python computation, so both legs check both ways.
"""

import datetime as dt
import zoneinfo

import pytest

from oscar_chat.models import ChatRoom
from oscar_chat.operations.models import Holiday, OpeningHours
from oscar_chat.operations.reports import Period, room_figures
from oscar_chat.services import manage_room

from .conftest import JAKARTA, open_conversation, reply

pytestmark = pytest.mark.django_db

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
HOUR = 3600


def jkt(month, day, hour, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=JAKARTA)


def room(customer, created, *, responded=None, resolved=None):
    return ChatRoom.objects.create(
        user=customer,
        subject="s",
        created_at=created,
        last_activity=created,
        first_response_at=responded,
        resolved_at=resolved,
    )


def hours(weekdays, *periods):
    for weekday in weekdays:
        for opens, closes in periods:
            OpeningHours.objects.create(weekday=weekday, opens_at=opens, closes_at=closes)


WEEKDAYS = range(5)
NINE_TO_FIVE = (dt.time(9), dt.time(17))


def stats(api, agent, first, last):
    """The business figures of ``GET stats``, checked equal to the Python computation."""
    data = api(agent).get(f"/api/chat/stats?from={first}&to={last}").json()
    in_python = room_figures(Period(dt.date.fromisoformat(first), dt.date.fromisoformat(last)), in_python=True)
    assert data["first_response_business_seconds"] == in_python["first_response_business"]
    assert data["resolution_business_seconds"] == in_python["resolution_business"]
    return data


def test_a_day_with_a_dst_change_counts_the_hours_that_passed(settings, customer, agent, api):
    settings.OSCAR_CHAT_TIME_ZONE = "Europe/Amsterdam"
    hours([6], (dt.time(0), dt.time(6)))  # Sundays 00:00-06:00
    # Sunday 29 March 2026: 02:00 becomes 03:00, the shop is open 5 hours.
    room(
        customer,
        dt.datetime(2026, 3, 28, 22, tzinfo=AMSTERDAM),
        responded=dt.datetime(2026, 3, 29, 7, tzinfo=AMSTERDAM),
    )
    data = stats(api, agent, "2026-03-28", "2026-03-29")
    assert data["first_response_seconds"]["p50"] == 8 * HOUR
    assert data["first_response_business_seconds"]["p50"] == 5 * HOUR
    # Sunday 25 October 2026: 03:00 becomes 02:00 again, open 7 hours.
    room(
        customer,
        dt.datetime(2026, 10, 24, 22, tzinfo=AMSTERDAM),
        responded=dt.datetime(2026, 10, 25, 7, tzinfo=AMSTERDAM),
    )
    data = stats(api, agent, "2026-10-24", "2026-10-25")
    assert data["first_response_seconds"]["p50"] == 10 * HOUR
    assert data["first_response_business_seconds"]["p50"] == 7 * HOUR


def test_opening_hours_are_in_the_store_time_zone(settings, customer, agent, api):
    settings.OSCAR_CHAT_TIME_ZONE = "Europe/Amsterdam"
    hours(WEEKDAYS, NINE_TO_FIVE)
    # 20:00-22:00 Jakarta on Monday 2 March is 14:00-16:00 in Amsterdam: open there, closed in Jakarta.
    room(customer, jkt(3, 2, 20), responded=jkt(3, 2, 22))
    assert stats(api, agent, "2026-03-02", "2026-03-02")["first_response_business_seconds"]["p50"] == 2 * HOUR


def test_holidays_and_breaks_are_not_business_time(customer, agent, api):
    hours(WEEKDAYS, (dt.time(9), dt.time(12)), (dt.time(13), dt.time(17)))
    Holiday.objects.create(date=dt.date(2026, 3, 3), name="Tuesday off")
    # Monday 16:00 -> Wednesday 10:00: 1 h Monday, nothing on the holiday, 1 h Wednesday.
    room(customer, jkt(3, 2, 16), responded=jkt(3, 2, 16, 30), resolved=jkt(3, 4, 10))
    # Monday 11:00 -> 14:00 over the lunch break: 2 h.
    room(customer, jkt(3, 2, 11), responded=jkt(3, 2, 14), resolved=jkt(3, 2, 14))
    # Monday 17:30 -> Wednesday 09:15: closed all along but 15 minutes.
    room(customer, jkt(3, 2, 17, 30), responded=jkt(3, 4, 9, 15))
    data = stats(api, agent, "2026-03-02", "2026-03-02")
    # First responses 1800, 7200, 900: p50 1800, p90 1800 + 0.8 * 5400.
    assert data["first_response_business_seconds"] == {"p50": 1800, "p90": 6120}
    # Resolutions 7200 and 7200.
    assert data["resolution_business_seconds"] == {"p50": 7200, "p90": 7200}
    assert data["resolution_seconds"]["p50"] == round((42 * HOUR + 3 * HOUR) / 2)


def test_a_conversation_over_a_weekend_counts_friday_and_monday(customer, agent, api):
    hours(WEEKDAYS, NINE_TO_FIVE)
    # Friday 6 March 16:30, answered Monday 09:30, resolved Tuesday 12:00: after the period's last day.
    room(customer, jkt(3, 6, 16, 30), responded=jkt(3, 9, 9, 30), resolved=jkt(3, 10, 12))
    data = stats(api, agent, "2026-03-06", "2026-03-06")
    assert data["first_response_seconds"]["p50"] == 65 * HOUR
    assert data["first_response_business_seconds"]["p50"] == HOUR
    assert data["resolution_business_seconds"]["p50"] == 1800 + 8 * HOUR + 3 * HOUR


def test_hours_changed_after_the_fact_apply_to_the_reports_at_once(customer, agent, api):
    hours(WEEKDAYS, NINE_TO_FIVE)
    room(customer, jkt(3, 2, 16), responded=jkt(3, 3, 10), resolved=jkt(3, 3, 10))

    def business():
        return stats(api, agent, "2026-03-02", "2026-03-02")["resolution_business_seconds"]["p50"]

    assert business() == 2 * HOUR
    OpeningHours.objects.filter(weekday=0).update(closes_at=dt.time(16, 30))
    assert business() == 1800 + HOUR
    Holiday.objects.create(date=dt.date(2026, 3, 3))
    assert business() == 1800
    OpeningHours.objects.all().delete()  # always open: business time is wall-clock time
    assert business() == 18 * HOUR


def test_no_open_hour_in_the_range_is_zero_business_time(customer, agent, api):
    hours([6], NINE_TO_FIVE)  # Sundays only
    room(customer, jkt(3, 2, 10), responded=jkt(3, 2, 11), resolved=jkt(3, 3, 10))
    room(customer, jkt(3, 2, 12))  # not answered: counts in neither
    data = stats(api, agent, "2026-03-02", "2026-03-02")
    assert data["first_response_business_seconds"] == {"p50": 0, "p90": 0}
    assert data["resolution_business_seconds"] == {"p50": 0, "p90": 0}
    assert data["conversations"] == 2


def test_timestamps_kept_by_the_services_give_the_business_time(customer, agent, api, clock):
    hours(WEEKDAYS, NINE_TO_FIVE)
    clock.to(jkt(3, 6, 16, 30))  # Friday
    conversation = open_conversation(customer)
    clock.to(jkt(3, 9, 9, 30))  # Monday
    reply(conversation, agent)
    clock.to(jkt(3, 9, 12))
    manage_room(conversation, status=ChatRoom.Status.RESOLVED, by=agent)
    data = stats(api, agent, "2026-03-06", "2026-03-06")
    assert data["first_response_business_seconds"]["p50"] == HOUR
    assert data["resolution_business_seconds"]["p50"] == 1800 + 3 * HOUR
