"""The selectors: what each user sees, history pages, unread totals, and the indexes behind them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from oscar_chat import selectors
from oscar_chat.models import ChatMessage, ChatRoom

from .factories import many_messages, many_rooms, open_room, say


@pytest.mark.parametrize("room_id", [None, "", "x", -1, 0, 2**63, 2**70, "1; DROP TABLE"])
def test_get_visible_room_answers_none_for_ids_that_are_not_rooms(agent, customer, room_id):
    open_room(customer)
    assert selectors.get_visible_room(agent, room_id) is None


def test_get_visible_room_hides_other_customers_rooms(customer, other_customer, agent, staff_no_perm):
    room = open_room(customer)
    assert selectors.get_visible_room(customer, room.pk) == room
    assert selectors.get_visible_room(agent, str(room.pk)) == room
    assert selectors.get_visible_room(other_customer, room.pk) is None
    assert selectors.get_visible_room(staff_no_perm, room.pk) is None


def test_room_history_pages_by_cursor(customer, agent):
    room = open_room(customer)
    messages = many_messages(room, [customer, agent], 7)
    page, more = selectors.room_history(room, viewer_is_customer=False, limit=3)
    assert ([m.pk for m in page], more) == ([m.pk for m in messages[4:]], True)
    page, more = selectors.room_history(room, viewer_is_customer=False, before=messages[4].pk, limit=3)
    assert ([m.pk for m in page], more) == ([m.pk for m in messages[1:4]], True)
    page, more = selectors.room_history(room, viewer_is_customer=False, before=messages[1].pk, limit=3)
    assert ([m.pk for m in page], more) == ([messages[0].pk], False)
    page, more = selectors.room_history(room, viewer_is_customer=False, after=messages[2].pk, limit=3)
    assert ([m.pk for m in page], more) == ([m.pk for m in messages[3:6]], True)
    page, more = selectors.room_history(room, viewer_is_customer=False, after=messages[3].pk, limit=3)
    assert ([m.pk for m in page], more) == ([m.pk for m in messages[4:]], False)


def test_room_history_never_mixes_rooms(customer, other_customer):
    mine, theirs = open_room(customer), open_room(other_customer)
    say(mine, customer, "mine")
    say(theirs, other_customer, "theirs")
    page, _ = selectors.room_history(mine, viewer_is_customer=True)
    assert [m.message for m in page] == ["mine"]


def test_unread_summary_counts_the_requesters_side(customer, agent):
    room = open_room(customer, message="one")
    say(room, customer, "two")
    say(room, agent, "three")
    assert selectors.unread_summary(customer) == {"total": 1, "rooms": 1}
    assert selectors.unread_summary(agent) == {"total": 2, "rooms": 1}


# Indexes: on PostgreSQL, the list and the history are served by indexes, never a table scan.
# (Which index the planner picks depends on its statistics; that it needs no scan does not.)


def plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def populated(customer, other_customer, agent):
    # A store's proportions: one customer's rooms and one room's messages are a small part of
    # their tables, so reading a whole table or index would cost the planner more.
    many_rooms(customer, 100, admin=agent)
    many_rooms(other_customer, 1900)
    rooms = list(ChatRoom.objects.order_by("pk")[:20])
    for room in rooms:
        many_messages(room, [room.user, agent], 200)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return rooms[0]


@pytest.mark.postgres
def test_the_room_list_and_history_never_scan_a_table(needs_postgres, populated, customer, agent):
    rooms = ChatRoom.objects.order_by("-last_activity", "-id")
    messages = ChatMessage.objects.filter(room=populated).order_by("-id")
    cases = {
        "agents' list": rooms[:51],
        "a customer's list": rooms.filter(user=customer)[:51],
        "by status": rooms.filter(status__in=["CLOSED", "RESOLVED"])[:51],
        "by priority": rooms.filter(priority__in=["URGENT"])[:51],
        "by assignee": rooms.filter(admin=agent)[:51],
        "unread by agents": rooms.filter(agent_unread_count__gt=0)[:51],
        "history": messages[:51],
        "older history": messages.filter(id__lt=10**9)[:51],
        "newer history": ChatMessage.objects.filter(room=populated, id__gt=1).order_by("id")[:51],
        # The rate limit's count of a customer's recent messages.
        "rate limit": ChatMessage.objects.filter(sender=customer, created_at__gt=timezone.now() - timedelta(minutes=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:30],
    }
    for case, queryset in cases.items():
        explained = plan(queryset)
        assert "Seq Scan" not in explained and "Index" in explained, (case, explained)
