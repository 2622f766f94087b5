"""The unread count on admin's index, and quick replies managed in admin."""

import re

import pytest

from oscar_chat import services
from oscar_chat.models import CannedResponse

pytestmark = pytest.mark.django_db


def chat_entry(html):
    match = re.search(r'<tr class="model-chatroom">.*?</tr>', html, re.S)
    return match.group(0) if match else None


def test_admin_index_shows_unread_conversations_beside_the_chat_entry(
    signed_in, agent, customer, other_customer, make_room
):
    make_room(customer, "One", "a", "b")
    make_room(other_customer, "Two", "c")
    read = make_room(other_customer, "Three", "d")
    services.mark_read(read, agent)

    entry = chat_entry(signed_in(agent).get("/admin/").content.decode())

    assert entry is not None
    assert re.search(r'<span class="oc-app-unread"[^>]*>2</span>', entry)
    assert 'title="2 unread conversations"' in entry
    # The app's own index page shows it too.
    assert 'class="oc-app-unread"' in chat_entry(signed_in(agent).get("/admin/oscar_chat/").content.decode())


def test_no_badge_without_unread_and_other_apps_untouched(signed_in, superuser, customer, make_room):
    room = make_room(customer, "One", "a")
    services.mark_read(room, superuser)
    html = signed_in(superuser).get("/admin/").content.decode()
    assert "Chat rooms</a>" in chat_entry(html)
    assert "oc-app-unread" not in html
    assert html.count('class="oc-app-unread"') == 0


def test_view_only_staff_see_the_count_other_staff_no_chat_at_all(
    signed_in, viewer, staff_no_perm, customer, make_room
):
    make_room(customer, "One", "a")
    assert 'class="oc-app-unread"' in chat_entry(signed_in(viewer).get("/admin/").content.decode())
    assert chat_entry(signed_in(staff_no_perm).get("/admin/").content.decode()) is None


def test_agents_manage_quick_replies_in_admin(signed_in, agent):
    from django.contrib.auth.models import Permission

    agent.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="oscar_chat", codename__endswith="cannedresponse")
    )
    client = signed_in(agent)

    created = client.post(
        "/admin/oscar_chat/cannedresponse/add/",
        {"title": "Greeting", "shortcut": "hello", "text": "Hello {first_name}!"},
    )
    assert created.status_code == 302
    assert CannedResponse.objects.get(shortcut="hello").text == "Hello {first_name}!"

    duplicate = client.post(
        "/admin/oscar_chat/cannedresponse/add/", {"title": "Again", "shortcut": "hello", "text": "x"}
    )
    assert duplicate.status_code == 200 and CannedResponse.objects.count() == 1

    listing = client.get("/admin/oscar_chat/cannedresponse/", {"q": "greet"}).content.decode()
    assert "/hello" in listing and "Hello {first_name}!" in listing
    form = client.get("/admin/oscar_chat/cannedresponse/add/").content.decode()
    assert "{first_name}, {name}, {agent_name}, {subject}" in form
