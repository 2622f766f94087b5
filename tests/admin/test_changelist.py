"""The rooms list in Django admin: columns, order, filters, search, actions, permissions, queries."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oscar_chat import services
from oscar_chat.events import MESSAGES_GROUP
from oscar_chat.models import ChatMessage, ChatRoom

from .conftest import CHANGELIST

pytestmark = pytest.mark.django_db


def listed(response):
    return [room.subject for room in response.context["cl"].result_list]


def row_of(html, room):
    """The <tr> of ``room`` in the rendered list."""
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)
    matching = [row for row in rows if f'data-oc-room="{room.pk}"' in row]
    assert len(matching) == 1, f"expected one row for room {room.pk}"
    return matching[0]


def test_columns_show_customer_subject_badges_agent_preview_activity_and_unread(signed_in, agent, customer, make_room):
    waiting = make_room(customer, "Where is my parcel?", "Hello", "It has been a week <b>now</b>")
    answered = make_room(customer, "Size of the batik shirt", "Is M slim?", agent=agent, replies=["It is regular."])
    services.mark_read(answered, agent)
    ChatRoom.objects.filter(pk=answered.pk).update(status="RESOLVED", priority="URGENT")

    response = signed_in(agent).get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    row = row_of(html, waiting)
    assert "Eka Pratama" in row and "customer@example.com" in row
    assert "Where is my parcel?" in row
    assert 'class="oc-badge oc-status-open">Open<' in row
    assert 'class="oc-badge oc-priority-normal">Normal<' in row
    assert "Unassigned" in row
    # The preview is the last message, as text: markup in it is escaped.
    assert "It has been a week &lt;b&gt;now&lt;/b&gt;" in row
    assert "just now" in row
    assert '<span class="oc-unread-count">2</span>' in row
    assert "oc-has-unread" in row

    other = row_of(html, answered)
    assert 'oc-status-resolved">Resolved<' in other
    assert 'oc-priority-urgent">Urgent<' in other
    assert "Budi Santoso" in other
    assert "It is regular." in other
    assert "oc-has-unread" not in other
    assert "oc-unread-count" not in other


def test_newest_activity_first(signed_in, agent, customer, make_room):
    old = make_room(customer, "Old question", "hi")
    new = make_room(customer, "New question", "hi")
    ChatRoom.objects.filter(pk=old.pk).update(last_activity=timezone.now() - timedelta(days=2))
    ChatRoom.objects.filter(pk=new.pk).update(last_activity=timezone.now() - timedelta(hours=1))
    middle = make_room(customer, "Middle question", "hi")
    ChatRoom.objects.filter(pk=middle.pk).update(last_activity=timezone.now() - timedelta(days=1))

    response = signed_in(agent).get(CHANGELIST)

    assert listed(response) == ["New question", "Middle question", "Old question"]
    assert "1\xa0hour ago" in row_of(response.content.decode(), new)


def test_unread_summary_and_page_title_data(signed_in, agent, customer, other_customer, make_room):
    make_room(customer, "One", "a", "b")
    make_room(other_customer, "Two", "c")
    make_room(other_customer, "Three")

    response = signed_in(agent).get(CHANGELIST)

    html = response.content.decode()
    assert 'data-unread-total="3"' in html and 'data-unread-rooms="2"' in html
    assert "3 unread message(s) in 2 conversations" in html
    assert response.context["chat_config"]["unreadTotal"] == 3


class TestFilters:
    @pytest.fixture
    def rooms(self, agent, agent2, customer, make_room):
        return {
            "mine": make_room(customer, "Assigned to me", "x", agent=agent, replies=["ok"]),
            "theirs": make_room(customer, "Assigned to Citra", "y", agent=agent2, replies=["ok"], status="CLOSED"),
            "nobody": make_room(customer, "Nobody yet", "z", priority="URGENT"),
        }

    def get(self, client, query):
        return listed(client.get(CHANGELIST + query))

    def test_status_and_priority(self, signed_in, agent, rooms):
        client = signed_in(agent)
        assert self.get(client, "?status__exact=CLOSED") == ["Assigned to Citra"]
        assert sorted(self.get(client, "?status__exact=OPEN")) == ["Assigned to me", "Nobody yet"]
        assert self.get(client, "?priority__exact=URGENT") == ["Nobody yet"]

    def test_assignee_me_unassigned_and_each_agent(self, signed_in, agent, agent2, rooms):
        client = signed_in(agent)
        assert self.get(client, "?assignee=me") == ["Assigned to me"]
        assert self.get(client, "?assignee=none") == ["Nobody yet"]
        assert self.get(client, f"?assignee={agent2.pk}") == ["Assigned to Citra"]
        # The filter offers me, unassigned and the other agents by name.
        html = client.get(CHANGELIST).content.decode()
        assert "?assignee=me" in html and "?assignee=none" in html
        assert f"?assignee={agent2.pk}" in html and "Citra" in html

    def test_unread(self, signed_in, agent, customer, rooms, make_room):
        read = make_room(customer, "Already read", "seen")
        client = signed_in(agent)
        client.get(f"{CHANGELIST}{read.pk}/change/")  # opening it marks it read
        unread = self.get(client, "?unread=yes")
        assert "Already read" not in unread and "Nobody yet" in unread
        assert self.get(client, "?unread=no") == ["Already read"]

    def test_a_bad_filter_value_is_refused_like_admin_does(self, signed_in, agent, rooms):
        response = signed_in(agent).get(CHANGELIST + "?assignee=someone")
        assert response.status_code == 302
        assert response["Location"].endswith("?e=1")


class TestSearch:
    @pytest.fixture
    def rooms(self, customer, other_customer, make_room):
        other_customer.first_name, other_customer.last_name = "Fajar", "Nugroho"
        other_customer.save()
        return {
            "coffee": make_room(customer, "Coffee beans", "Is the Gayo roasted?", "Roasted when exactly?", "roasted!"),
            "cooker": make_room(other_customer, "Rice cooker lid", "The lid arrived dented"),
        }

    def search(self, client, q):
        return listed(client.get(CHANGELIST, {"q": q}))

    def test_subject_customer_name_email_username(self, signed_in, agent, rooms):
        client = signed_in(agent)
        assert self.search(client, "coffee") == ["Coffee beans"]
        assert self.search(client, "Nugroho") == ["Rice cooker lid"]
        assert self.search(client, "Fajar Nugroho") == ["Rice cooker lid"]
        assert self.search(client, "customer@example") == ["Coffee beans"]
        assert self.search(client, "other") == ["Rice cooker lid"]

    def test_message_text_without_duplicate_rows(self, signed_in, agent, rooms):
        client = signed_in(agent)
        # Three messages of one room match: the room is listed once.
        assert self.search(client, "roasted") == ["Coffee beans"]
        assert self.search(client, "dented") == ["Rice cooker lid"]
        # Words may match in different places of one room.
        assert self.search(client, "Eka dented") == []
        assert self.search(client, "Fajar dented") == ["Rice cooker lid"]
        assert self.search(client, "nothing-like-this") == []


class TestActions:
    def act(self, client, action, rooms):
        return client.post(CHANGELIST, {"action": action, "_selected_action": [room.pk for room in rooms]}, follow=True)

    def test_assign_to_me_publishes_the_room_to_the_customer(
        self, signed_in, agent, customer, make_room, chat_events, django_capture_on_commit_callbacks
    ):
        room = make_room(customer, "Help", "hi")
        published = chat_events(MESSAGES_GROUP)
        with django_capture_on_commit_callbacks(execute=True):
            response = self.act(signed_in(agent), "assign_to_me", [room])

        room.refresh_from_db()
        assert room.admin == agent
        assert "1 conversation assigned to you." in response.content.decode()
        events = [e for e in published.events() if e["event"] == "room" and e["customer"] == customer.pk]
        assert events and events[-1]["views"]["customer"]["admin"]["name"] == "Budi Santoso"

    @pytest.mark.parametrize(
        "action,field,value",
        [
            ("resolve", "status", "RESOLVED"),
            ("close", "status", "CLOSED"),
            ("set_priority_urgent", "priority", "URGENT"),
            ("set_priority_low", "priority", "LOW"),
        ],
    )
    def test_status_and_priority_actions(
        self,
        signed_in,
        agent,
        customer,
        make_room,
        chat_events,
        django_capture_on_commit_callbacks,
        action,
        field,
        value,
    ):
        rooms = [make_room(customer, "One", "a"), make_room(customer, "Two", "b")]
        published = chat_events(MESSAGES_GROUP)
        with django_capture_on_commit_callbacks(execute=True):
            self.act(signed_in(agent), action, rooms)

        assert [getattr(r, field) for r in ChatRoom.objects.order_by("pk")] == [value, value]
        changed = {e["room"]: e["views"]["agent"][field] for e in published.events() if e["event"] == "room"}
        assert changed == {rooms[0].pk: value, rooms[1].pk: value}

    def test_reopen_and_a_logged_change(self, signed_in, agent, customer, make_room):
        from django.contrib.admin.models import LogEntry

        room = make_room(customer, "Closed one", "a", status="CLOSED")
        self.act(signed_in(agent), "reopen", [room])
        room.refresh_from_db()
        assert room.status == "OPEN"
        entry = LogEntry.objects.get(object_id=str(room.pk), user=agent)
        assert entry.get_change_message() == "Changed status."

    def test_view_only_staff_get_no_actions_and_cannot_run_them(self, signed_in, viewer, customer, make_room):
        room = make_room(customer, "Help", "hi")
        client = signed_in(viewer)
        response = client.get(CHANGELIST)
        assert response.status_code == 200
        assert 'name="action"' not in response.content.decode()
        self.act(client, "resolve", [room])
        room.refresh_from_db()
        assert room.status == "OPEN"


class TestPermissions:
    def test_agent_and_superuser_see_the_list_with_actions(self, signed_in, agent, superuser, customer, make_room):
        make_room(customer, "Help", "hi")
        for user in (agent, superuser):
            response = signed_in(user).get(CHANGELIST)
            assert response.status_code == 200
            html = response.content.decode()
            assert 'value="assign_to_me"' in html and 'value="set_priority_urgent"' in html
            assert 'id="oc-notify-toggle"' in html

    def test_view_only_staff_read_without_live_tools(self, signed_in, viewer, customer, make_room):
        make_room(customer, "Visible", "hi")
        response = signed_in(viewer).get(CHANGELIST)
        assert response.status_code == 200
        assert listed(response) == ["Visible"]
        assert 'id="oc-notify-toggle"' not in response.content.decode()
        assert response.context["chat_config"]["live"] is False

    def test_other_staff_are_refused(self, signed_in, staff_no_perm):
        assert signed_in(staff_no_perm).get(CHANGELIST).status_code == 403

    def test_customers_and_visitors_are_sent_to_sign_in(self, signed_in, customer, client):
        for response in (signed_in(customer).get(CHANGELIST), client.get(CHANGELIST)):
            assert response.status_code == 302
            assert "/admin/login/" in response["Location"]

    def test_rooms_are_not_added_from_admin(self, signed_in, superuser):
        assert signed_in(superuser).get(CHANGELIST + "add/").status_code == 403


def make_rooms(count, customers, agents):
    now = timezone.now()
    rooms = ChatRoom.objects.bulk_create(
        ChatRoom(
            user=customers[i % len(customers)],
            admin=agents[i % len(agents)] if i % 3 else None,
            subject=f"Question {i}",
            last_message=f"Message {i}",
            last_activity=now - timedelta(minutes=i),
            agent_unread_count=i % 4,
            is_read=not i % 4,
            priority=ChatRoom.Priority.values[i % 4],
            status=ChatRoom.Status.values[i % 3],
        )
        for i in range(count)
    )
    ChatMessage.objects.bulk_create(
        ChatMessage(room=room, sender=room.user, message=f"Message {room.subject}") for room in rooms
    )


def test_query_count_does_not_grow_with_the_rows_shown(signed_in, agent, agent2):
    User = get_user_model()
    customers = [User.objects.create_user(f"c{i}", f"c{i}@example.com", first_name=f"C{i}") for i in range(7)]
    client = signed_in(agent)
    client.get(CHANGELIST)  # session, content types and permissions warm

    def queries_for_all_rows(url):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(response.context["cl"].result_list), len(captured)

    make_rooms(50, customers, [agent, agent2])
    rows_50, queries_50 = queries_for_all_rows(CHANGELIST + "?all=")
    make_rooms(150, customers, [agent, agent2])
    rows_200, queries_200 = queries_for_all_rows(CHANGELIST + "?all=")

    assert (rows_50, rows_200) == (50, 200)
    assert queries_200 == queries_50
