"""Opening hours, holidays, away replies and the availability the widget shows."""

import datetime as dt

import pytest

from oscar_chat.operations.hours import BusinessClock, load_schedule
from oscar_chat.operations.models import AutoReply, Holiday, OpeningHours
from oscar_chat.services import post_message

from .conftest import JAKARTA, open_conversation, reload, reply

# Monday 2 March 2026, in the store's time zone (Asia/Jakarta, UTC+7).
MONDAY = dt.date(2026, 3, 2)


def at(day_offset, hour, minute=0):
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day_offset), dt.time(hour, minute), tzinfo=JAKARTA)


@pytest.fixture
def weekday_hours(db):
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens_at=dt.time(9), closes_at=dt.time(17))


def test_no_hours_means_always_open(db):
    schedule = load_schedule()
    assert schedule.is_open(at(5, 3))


def test_open_in_hours_closed_outside_on_weekends_and_holidays(weekday_hours):
    Holiday.objects.create(date=MONDAY + dt.timedelta(days=2), name="Nyepi")
    schedule = load_schedule()
    assert schedule.is_open(at(0, 9))
    assert not schedule.is_open(at(0, 17))
    assert not schedule.is_open(at(0, 8, 59))
    assert not schedule.is_open(at(5, 12))  # Saturday
    assert not schedule.is_open(at(2, 12))  # the holiday
    assert schedule.next_opening(at(1, 18)) == at(3, 9)  # Tuesday evening: Thursday, after the holiday
    assert schedule.next_opening(at(4, 20)) == at(7, 9)  # Friday evening: Monday
    assert schedule.last_closing(at(1, 20)) == at(1, 17)


def test_business_time_counts_only_open_hours(weekday_hours):
    schedule = load_schedule()
    clock = BusinessClock(schedule, at(0, 0), at(14, 0))
    assert clock.seconds(at(0, 16), at(1, 10)) == 2 * 3600  # 16-17 Monday, 9-10 Tuesday
    assert clock.seconds(at(4, 16, 30), at(7, 9, 30)) == 3600  # over the weekend
    assert clock.seconds(at(5, 10), at(6, 10)) == 0


@pytest.mark.django_db(transaction=True)
def test_first_message_outside_hours_gets_one_away_reply(weekday_hours, customer, agent, clock, run_worker):
    clock.to(at(0, 20))
    room = open_conversation(customer, text="Hello?")
    run_worker()
    replies = list(reload(room).messages.filter(is_automatic=True))
    assert len(replies) == 1
    assert "away" in replies[0].message and "Tuesday 3 March 09:00" in replies[0].message
    # Not a response of an agent: the room still waits for one.
    assert reload(room).first_response_at is None
    assert reload(room).admin is None

    clock.to(at(0, 21))
    post_message(room, customer, message="Still there?")
    run_worker()
    assert reload(room).messages.filter(is_automatic=True).count() == 1  # once per closed period

    clock.to(at(1, 10))  # open: the agent answers
    reply(room, agent)
    clock.to(at(1, 19))
    post_message(room, customer, message="Thanks, and one more thing")
    run_worker()
    assert reload(room).messages.filter(is_automatic=True).count() == 2  # a new closed period


@pytest.mark.django_db(transaction=True)
def test_the_away_reply_names_the_opening_in_the_stores_language_whatever_language_is_active(
    weekday_hours, customer, agent, clock, run_worker
):
    from django.utils import translation

    clock.to(at(0, 20))
    room = open_conversation(customer, text="Halo?")
    with translation.override("id"):  # e.g. a worker thread that served an Indonesian request
        run_worker()
    text = reload(room).messages.get(is_automatic=True).message
    assert "Tuesday 3 March 09:00" in text and "Selasa" not in text


@pytest.mark.django_db(transaction=True)
def test_no_away_reply_in_hours_and_the_store_wording_in_its_language(
    weekday_hours, customer, agent, clock, run_worker, settings
):
    from oscar_chat.presence import mark_agent_present

    clock.to(at(0, 10))
    mark_agent_present(agent.pk)  # in hours, an agent online: nothing automatic
    room = open_conversation(customer)
    run_worker()
    assert not reload(room).messages.filter(is_automatic=True).exists()

    settings.LANGUAGE_CODE = "id"
    AutoReply.objects.create(kind="AWAY", language="id", text="Kami buka lagi {next_opening}.")
    clock.to(at(5, 10))
    room = open_conversation(customer)
    run_worker()
    text = reload(room).messages.get(is_automatic=True).message
    assert text.startswith("Kami buka lagi Senin 9 Maret 09:00")


def test_presence_tells_the_widget_when_the_shop_answers(weekday_hours, customer, api, clock):
    clock.to(at(5, 12))
    data = api(customer).get("/api/chat/presence").json()
    assert data["is_open"] is False
    assert data["next_opening"] == at(7, 9).astimezone(dt.UTC).isoformat()
    assert data["time_zone"] == "Asia/Jakarta"
    clock.to(at(0, 12))
    data = api(customer).get("/api/chat/presence/").json()
    assert data["is_open"] is True and data["next_opening"] is None
    assert api().get("/api/chat/presence").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_the_hours_are_read_once_for_many_messages_and_a_change_in_the_admin_applies_at_once(
    customer, superuser, api, client, clock
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clock.to(at(5, 12))  # Saturday noon; no hours yet: always open
    assert api(customer).get("/api/chat/presence").json()["is_open"] is True
    with CaptureQueriesContext(connection) as queries:
        room = open_conversation(customer, text="Hello?")
        post_message(room, customer, message="Anyone?")
        assert api(customer).get("/api/chat/presence").json()["is_open"] is True
    hours_tables = (OpeningHours._meta.db_table, Holiday._meta.db_table)
    assert not [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in hours_tables)]

    client.force_login(superuser)
    for weekday in range(5):
        response = client.post(
            "/admin/oscar_chat/openinghours/add/", {"weekday": weekday, "opens_at": "09:00", "closes_at": "17:00"}
        )
        assert response.status_code == 302
    data = api(customer).get("/api/chat/presence").json()
    assert data["is_open"] is False and data["next_opening"] == at(7, 9).astimezone(dt.UTC).isoformat()
    response = client.post("/admin/oscar_chat/holiday/add/", {"date": "2026-03-09", "name": "Nyepi"})
    assert response.status_code == 302
    assert api(customer).get("/api/chat/presence").json()["next_opening"] == at(8, 9).astimezone(dt.UTC).isoformat()
    holiday = Holiday.objects.get()
    response = client.post(f"/admin/oscar_chat/holiday/{holiday.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert api(customer).get("/api/chat/presence").json()["next_opening"] == at(7, 9).astimezone(dt.UTC).isoformat()


@pytest.mark.django_db(transaction=True)
def test_in_hours_with_no_agent_online_the_first_message_gets_an_away_reply(
    weekday_hours, customer, agent, clock, run_worker, settings, mailoutbox
):
    settings.OSCAR_CHAT_EXPECTED_REPLY_TIME = "within 2 hours"
    clock.to(at(1, 11))  # Tuesday 11:00, open, nobody online
    room = open_conversation(customer, text="Is the blue one back in stock?")
    post_message(room, customer, message="And in size M?")
    run_worker()
    [away] = reload(room).messages.filter(is_automatic=True)
    assert away.message == "Thanks for your message! Nobody is online right now; we usually reply within 2 hours."
    assert away.sender == agent
    assert reload(room).first_response_at is None  # still waiting for an agent
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [agent.email]  # the agents hear of it too

    # The store's own away text, if it does not name the next opening; in its language.
    settings.LANGUAGE_CODE = "id"
    AutoReply.objects.create(kind="AWAY", language="id", text="Halo {name}, kami segera membalas.")
    room = open_conversation(customer)
    run_worker()
    assert reload(room).messages.get(is_automatic=True).message == "Halo Eka Pratama, kami segera membalas."

    # An agent who answers before the worker runs makes it unnecessary; so does turning it off.
    room = open_conversation(customer)
    reply(room, agent)
    settings.OSCAR_CHAT_AWAY_REPLY_WITHOUT_AGENTS = False
    other = open_conversation(customer)
    run_worker()
    assert not reload(room).messages.filter(is_automatic=True).exists()
    assert not reload(other).messages.filter(is_automatic=True).exists()


@pytest.mark.django_db(transaction=True)
def test_an_away_reply_does_not_make_the_customer_wait_nor_resolve_the_conversation(
    weekday_hours, customer, other_customer, agent, clock, run_worker, settings
):
    settings.OSCAR_CHAT_AUTO_RESOLVE_AFTER = 3600
    clock.to(at(4, 18))  # Friday evening: closed until Monday 09:00
    waiting = open_conversation(customer, text="Can I still order for Monday delivery?")
    run_worker()
    assert reload(waiting).messages.filter(is_automatic=True).count() == 1  # the away reply

    # Another conversation's reply queues the auto-resolve sweep, which runs over every room.
    clock.to(at(4, 19))
    other = open_conversation(other_customer, text="Where is my parcel?")
    reply(other, agent, "It left the warehouse today.")
    clock.to(at(5, 12))  # Saturday noon: both far past the hour's wait
    run_worker()
    assert reload(other).status == "RESOLVED"
    # The customer still waits on the shop: the away reply is not an answer to wait on them for.
    waiting = reload(waiting)
    assert waiting.status == "OPEN"
    assert waiting.messages.filter(is_automatic=True).count() == 1


def test_hours_holidays_and_replies_are_managed_in_the_admin(superuser, customer, api, client, clock):
    client.force_login(superuser)
    add = "/admin/oscar_chat/openinghours/add/"
    # Closing before opening is refused with a message, and nothing is stored.
    response = client.post(add, {"weekday": 5, "opens_at": "17:00", "closes_at": "09:00"})
    assert response.status_code == 200
    assert "Closing time must be after opening time." in response.content.decode()
    assert not OpeningHours.objects.exists()
    # Saturday 10:00-14:00 and Sunday 10:00-12:00; Sunday 8 March a holiday.
    for weekday, closes in ((5, "14:00"), (6, "12:00")):
        response = client.post(add, {"weekday": weekday, "opens_at": "10:00", "closes_at": closes})
        assert response.status_code == 302, response.content.decode()
    response = client.post("/admin/oscar_chat/holiday/add/", {"date": "2026-03-08", "name": "Hari libur"})
    assert response.status_code == 302
    assert "Saturday 10:00–14:00" in client.get("/admin/oscar_chat/openinghours/").content.decode()

    # The widget is told at once: Saturday 15:00 is closed, next opening the Saturday after.
    clock.to(at(5, 15))
    data = api(customer).get("/api/chat/presence").json()
    assert data["is_open"] is False
    assert data["next_opening"] == at(12, 10).astimezone(dt.UTC).isoformat()

    # Automatic replies: one per kind and language, the language one of LANGUAGES.
    response = client.post("/admin/oscar_chat/autoreply/add/", {"kind": "AWAY", "language": "xx", "text": "?"})
    assert response.status_code == 200 and not AutoReply.objects.exists()
    response = client.post(
        "/admin/oscar_chat/autoreply/add/", {"kind": "AWAY", "language": "id", "text": "Buka lagi {next_opening}."}
    )
    assert response.status_code == 302
    assert AutoReply.objects.get().text == "Buka lagi {next_opening}."
