"""The agents' dashboard in Chromium, against the sandbox store (demo data) served by daphne.

One server and the demo data for the whole module (loaded once, flushed at the end); the
tests do not use pytest-django's per-test database, they open their own conversations as
customers through the HTTP API, and they read what customers receive from a real SSE
connection to the server.
"""

import io
import itertools
import json
import queue
import re
import threading
import time
from types import SimpleNamespace

import httpx
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect
from rest_framework_simplejwt.tokens import AccessToken

from tests.live import start_daphne

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)
subjects = itertools.count(1)
CHANGELIST = "/admin/oscar_chat/chatroom/"


def demo_store(django_db_blocker, **env):
    """The demo data and a daphne serving it (``env``: more of its environment), until the module ends."""
    with django_db_blocker.unblock():
        call_command("load_demo", stdout=io.StringIO())
        from django.contrib.sites.models import Site

        Site.objects.update_or_create(pk=1, defaults={"domain": "127.0.0.1", "name": "Oscar Chat Sandbox"})
        users = {u.username: u for u in get_user_model().objects.all()}
        server = start_daphne(
            env={
                "OSCAR_CHAT_SSE_RETRY_MS": "300",
                "OSCAR_CHAT_SSE_KEEPALIVE_SECONDS": "2",
                "OSCAR_CHAT_WIDGET_POLL_INTERVAL_MS": "800",
                **env,
            }
        )
    yield SimpleNamespace(server=server, users=users, blocker=django_db_blocker)
    server.stop()
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    yield from demo_store(django_db_blocker)


@pytest.fixture
def browser_context_args(browser_context_args):
    # A common desktop size for shop staff; admin's two sidebars frame the list.
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


@pytest.fixture
def errors(page):
    """Script errors of the page: each test ends by asserting there were none."""
    found = []
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


class EventStream:
    """A customer's real SSE connection (``GET /api/chat/sse`` with a bearer token), read in a thread."""

    def __init__(self, url, user):
        self.events = queue.Queue()
        self.seen = []
        self.opened = threading.Event()
        self.response = None
        self.url = f"{url}/api/chat/sse"
        self.headers = {"Authorization": f"Bearer {AccessToken.for_user(user)}", "Accept": "text/event-stream"}
        threading.Thread(target=self._read, daemon=True).start()
        assert self.opened.wait(10), "the event stream did not open"
        assert self.status == 200

    def _read(self):
        try:
            with httpx.Client(timeout=httpx.Timeout(10, read=None)) as client:
                with client.stream("GET", self.url, headers=self.headers) as response:
                    self.response, self.status = response, response.status_code
                    self.opened.set()
                    fields = {}
                    for line in response.iter_lines():
                        if line == "":
                            if "data" in fields:
                                self.events.put((fields.get("event", "message"), json.loads(fields["data"])))
                            fields = {}
                        elif not line.startswith(":"):
                            name, _, value = line.partition(":")
                            fields[name] = value[1:] if value.startswith(" ") else value
        except Exception:  # noqa: BLE001 - closing the stream from the test ends the read
            self.opened.set()

    def wait_for(self, event, predicate=lambda data: True, timeout=10):
        """The first ``event`` (seen before or arriving) whose data satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        for name, data in self.seen:
            if name == event and predicate(data):
                return data
        while time.monotonic() < deadline:
            try:
                name, data = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append((name, data))
            if name == event and predicate(data):
                return data
        raise AssertionError(f"no {event!r} event matched; received {[n for n, _ in self.seen]}")

    def close(self):
        if self.response is not None:
            self.response.close()


@pytest.fixture
def streams(demo):
    opened = []

    def open_for(user):
        stream = EventStream(demo.server.url, user)
        opened.append(stream)
        return stream

    yield open_for
    for stream in opened:
        stream.close()


def api_for(demo, user):
    return httpx.Client(
        base_url=demo.server.url, headers={"Authorization": f"Bearer {AccessToken.for_user(user)}"}, timeout=10
    )


def new_room(demo, user, subject, message):
    with api_for(demo, user) as api:
        response = api.post("/api/chat/rooms", json={"subject": f"{subject} #{next(subjects)}", "message": message})
    assert response.status_code == 201, response.text
    return response.json()


def say(demo, user, room_id, text):
    with api_for(demo, user) as api:
        response = api.post(f"/api/chat/rooms/{room_id}", json={"message": text})
    assert response.status_code == 201, response.text
    return response.json()


def sign_in(demo, page, username):
    """Put ``username``'s admin session into the browser (the login form is exercised once, below)."""
    with demo.blocker.unblock():
        client = Client()
        client.force_login(demo.users[username])
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": demo.server.url,
            }
        ]
    )


def open_conversation(demo, page, room_id):
    page.goto(f"{demo.server.url}{CHANGELIST}{room_id}/change/")
    expect(page.locator("#oc-connection")).to_have_attribute("data-state", "live")


def row(page, subject):
    return page.locator("#result_list tbody tr", has_text=subject)


def shot(screenshot, name):
    screenshot(name, animations="disabled")


def test_agent_signs_in_sees_the_unread_conversation_opens_it_and_the_customer_receives_the_reply(
    demo, page, screenshot, streams, errors
):
    customer = demo.users["customer"]
    room = new_room(demo, customer, "Batik shirt sizes", "Does the Parang shirt run small?")
    stream = streams(customer)

    page.goto(f"{demo.server.url}/admin/")
    page.fill("#id_username", "agent")
    page.fill("#id_password", "demo12345")
    page.click("input[type=submit]")
    chat_entry = page.locator("tr.model-chatroom")
    expect(chat_entry.locator(".oc-app-unread")).to_have_text(re.compile(r"^[1-9]\d*$"))
    shot(screenshot, "admin-index-unread")

    chat_entry.get_by_role("link", name=re.compile("Chat rooms")).click()
    unread_row = row(page, room["subject"])
    expect(unread_row).to_have_count(1)
    expect(unread_row.locator(".oc-has-unread")).to_have_count(1)
    expect(unread_row.locator(".oc-unread-count")).to_have_text("1")
    highlighted = unread_row.evaluate("tr => getComputedStyle(tr).backgroundColor")
    plain = page.locator("#result_list tbody tr:not(:has(.oc-has-unread))").first.evaluate(
        "tr => getComputedStyle(tr).backgroundColor"
    )
    assert highlighted != plain
    expect(page).to_have_title(re.compile(r"^\(\d+\) Customer conversations"))
    shot(screenshot, "admin-changelist-unread")

    unread_row.get_by_role("link", name=room["subject"]).click()
    expect(page.locator("#oc-messages")).to_contain_text("Does the Parang shirt run small?")
    # Opening it marked it read, and the customer was told.
    stream.wait_for("read", lambda d: d["room"] == room["id"] and d["reader"]["name"] == "Budi Santoso")

    page.fill("#oc-input", "It runs true to size; take your usual one.")
    page.press("#oc-input", "Enter")
    expect(page.locator("#oc-input")).to_have_value("")
    mine = page.locator(".oc-msg.oc-mine", has_text="It runs true to size")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("Sent")
    received = stream.wait_for("message", lambda d: d["room"] == room["id"] and d["sender"]["is_agent"])
    assert received["message"] == "It runs true to size; take your usual one."
    assert received["sender"]["name"] == "Budi Santoso"
    shot(screenshot, "admin-conversation-reply")

    # The page's own stream echoes the reply: it stays one message (idempotent by client_id).
    page.wait_for_timeout(300)
    expect(mine).to_have_count(1)
    assert errors == []


def test_customer_messages_appear_live_in_the_list_and_the_open_conversation(demo, page, screenshot, streams, errors):
    customer2 = demo.users["customer2"]
    sign_in(demo, page, "agent")
    page.goto(f"{demo.server.url}{CHANGELIST}")
    expect(page.locator("#oc-connection")).to_have_attribute("data-state", "live")
    before = page.title()

    # A brand-new conversation shows up at the top, highlighted, and the title counts it.
    room = new_room(demo, customer2, "Rice cooker warranty", "Is the warranty two years?")
    fresh = row(page, room["subject"])
    expect(fresh).to_have_count(1)
    expect(fresh.locator(".oc-has-unread")).to_have_count(1)
    expect(page.locator("#result_list tbody tr").first).to_contain_text(room["subject"])
    expect(page).not_to_have_title(before)

    # A new message in it updates the preview and the unread count in place.
    say(demo, customer2, room["id"], "Also: does it ship to Medan?")
    expect(fresh.locator(".oc-preview")).to_have_text("Also: does it ship to Medan?")
    expect(fresh.locator(".oc-unread-count")).to_have_text("2")
    shot(screenshot, "admin-changelist-live")

    # The open conversation: new messages, the customer typing, and read receipts.
    stream = streams(customer2)
    fresh.get_by_role("link", name=room["subject"]).click()
    expect(page.locator("#oc-connection")).to_have_attribute("data-state", "live")
    with api_for(demo, customer2) as api:
        assert api.post(f"/api/chat/rooms/{room['id']}/typing", json={"is_typing": True}).status_code == 204
        expect(page.locator("#oc-typing")).to_have_text("Fajar Nugroho is typing…")
        plug = say(demo, customer2, room["id"], "Sorry, one more: is there a 220V plug?")
        expect(page.locator(".oc-msg.oc-theirs", has_text="220V plug")).to_have_count(1)
        expect(page.locator("#oc-typing")).to_have_text("")

        page.type("#oc-input", "Yes, ")
        typing = stream.wait_for("typing", lambda d: d["room"] == room["id"])
        assert typing["is_typing"] is True and typing["user"]["name"] == "Budi Santoso"
        page.type("#oc-input", "a standard Indonesian plug.")
        page.press("#oc-input", "Enter")
        reply = page.locator(".oc-msg.oc-mine", has_text="standard Indonesian plug")
        expect(reply).to_contain_text("Sent")
        stream.wait_for("message", lambda d: "standard Indonesian plug" in d["message"])
        assert api.post(f"/api/chat/rooms/{room['id']}/read").status_code == 200
    expect(reply).to_contain_text("Seen")
    # The agent had the page open: the customer's new message was marked read as it arrived.
    stream.wait_for("read", lambda d: d["room"] == room["id"] and d["last_read_id"] == plug["id"])
    shot(screenshot, "admin-conversation-live")
    assert errors == []


def test_a_failed_reply_is_retried_without_ever_doubling(demo, page, streams, errors):
    customer = demo.users["customer"]
    room = new_room(demo, customer, "Flaky network", "Hello?")
    stream = streams(customer)
    sign_in(demo, page, "agent")
    open_conversation(demo, page, room["id"])
    send_url = re.compile(rf"/api/chat/rooms/{room['id']}/?$")
    failures = {"before": 1, "after": 1}

    def flaky(route):
        if route.request.method != "POST":
            return route.continue_()
        if failures["before"]:  # lost on the way: the shop never got it
            failures["before"] -= 1
            return route.abort()
        if failures["after"]:  # the shop stored it, but its answer was lost
            failures["after"] -= 1
            route.fetch()
            return route.abort()
        return route.continue_()

    page.route(send_url, flaky)
    page.fill("#oc-input", "first try")
    page.press("#oc-input", "Enter")
    first = page.locator(".oc-msg.oc-mine", has_text="first try")
    # Lost on the way: it waits in the outbox and goes again by itself (the same engine as the widget's).
    expect(first).to_contain_text("Waiting for the connection")
    expect(first).to_contain_text("Sent")
    stream.wait_for("message", lambda d: d["message"] == "first try")

    # Stored but unanswered: either the page's stream brings it back first, or the retry
    # (same client_id) gets the stored message. Either way it is there once.
    page.fill("#oc-input", "second try")
    page.press("#oc-input", "Enter")
    second = page.locator(".oc-msg.oc-mine", has_text="second try")
    expect(second).to_contain_text(re.compile("Waiting for the connection|Sent"))
    if second.get_by_role("button", name="Send now").count():
        second.get_by_role("button", name="Send now").click()
    expect(second).to_have_count(1)
    expect(second).to_contain_text("Sent")

    with api_for(demo, customer) as api:
        history = [m["message"] for m in api.get(f"/api/chat/rooms/{room['id']}").json()["results"]]
    assert history == ["Hello?", "first try", "second try"]
    assert errors == []


@pytest.mark.browser_context_args(color_scheme="dark")
def test_status_priority_and_assignee_controls_reach_the_customer(demo, page, screenshot, streams, errors):
    customer = demo.users["customer"]
    room = new_room(demo, customer, "Return a damaged lamp", "The bamboo lamp arrived cracked.")
    stream = streams(customer)
    sign_in(demo, page, "agent")
    open_conversation(demo, page, room["id"])

    page.select_option("#oc-status", "RESOLVED")
    assert stream.wait_for("room", lambda d: d["id"] == room["id"] and d["status"] == "RESOLVED")
    page.select_option("#oc-priority", "URGENT")
    assert stream.wait_for("room", lambda d: d["id"] == room["id"] and d["priority"] == "URGENT")
    page.select_option("#oc-assignee", label="Citra Lestari")
    assert stream.wait_for(
        "room", lambda d: d["id"] == room["id"] and (d["admin"] or {}).get("name") == "Citra Lestari"
    )
    expect(page.locator('[data-oc-badge="status"]')).to_have_text("Resolved")
    expect(page.locator('[data-oc-badge="priority"]')).to_have_text("Urgent")

    with api_for(demo, customer) as api:
        seen = api.get(f"/api/chat/rooms/{room['id']}").json()["room"]
    assert (seen["status"], seen["priority"], seen["admin"]["name"]) == ("RESOLVED", "URGENT", "Citra Lestari")

    # A change made elsewhere (another agent, through the API) shows here at once.
    with api_for(demo, demo.users["agent2"]) as api:
        assert api.patch(f"/api/chat/rooms/{room['id']}/manage", json={"priority": "LOW"}).status_code == 200
    expect(page.locator("#oc-priority")).to_have_value("LOW")
    expect(page.locator('[data-oc-badge="priority"]')).to_have_text("Low")
    shot(screenshot, "admin-conversation-controls-dark")
    assert errors == []


def test_a_product_is_shared_with_the_widgets_picker(demo, page, screenshot, streams, errors):
    customer = demo.users["customer"]
    room = new_room(demo, customer, "A gift for my father", "Any coffee you would recommend?")
    stream = streams(customer)
    sign_in(demo, page, "agent")
    open_conversation(demo, page, room["id"])

    page.click("#oc-share-product")
    dialog = page.locator("dialog.oc-picker")
    expect(dialog).to_be_visible()
    dialog.locator("input[type=search]").fill("Gayo")
    choice = dialog.get_by_role("button", name=re.compile("Kopi Arabika Gayo"))
    expect(choice).to_have_count(1)
    shot(screenshot, "admin-product-picker")
    choice.click()

    card = page.locator(".oc-msg.oc-mine .oc-card", has_text="Kopi Arabika Gayo 250g")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Rp")
    shared = stream.wait_for("message", lambda d: d["room"] == room["id"] and d["message_type"] == "PRODUCT")
    assert shared["product"]["title"] == "Kopi Arabika Gayo 250g"
    expect(page.locator(".oc-msg.oc-mine", has=page.locator(".oc-card"))).to_contain_text("Sent")
    shot(screenshot, "admin-product-shared")
    assert errors == []


@pytest.mark.browser_context_args(locale="id-ID")
def test_a_quick_reply_is_inserted_with_the_customers_name(demo, page, screenshot, streams, errors):
    customer = demo.users["customer"]
    room = new_room(demo, customer, "Halo", "Selamat siang!")
    stream = streams(customer)
    sign_in(demo, page, "agent")
    open_conversation(demo, page, room["id"])

    page.type("#oc-input", "/hel")
    menu = page.locator("#oc-quick-replies")
    expect(menu).to_be_visible()
    expect(menu.locator(".oc-quick-reply")).to_have_count(1)
    expect(menu).to_contain_text("/hello")
    shot(screenshot, "admin-quick-replies-id")
    page.press("#oc-input", "Enter")
    expect(menu).to_be_hidden()
    expect(page.locator("#oc-input")).to_have_value("Hello Eka! Thanks for reaching out. How can I help you today?")
    page.press("#oc-input", "Enter")
    sent = stream.wait_for("message", lambda d: d["room"] == room["id"] and d["sender"]["is_agent"])
    assert sent["message"] == "Hello Eka! Thanks for reaching out. How can I help you today?"
    # The page is in Indonesian (the browser's language).
    expect(page.locator("#oc-send")).to_have_value("Kirim")
    assert errors == []


def test_notifications_are_opt_in_and_fire_for_new_customer_messages(demo, page, context, streams, errors):
    customer = demo.users["customer"]
    room = new_room(demo, customer, "Notify me", "first")
    context.grant_permissions(["notifications"], origin=demo.server.url)
    # Watch (not replace) the browser's Notification and WebAudio calls.
    page.add_init_script(
        """
        window.__notes = []; window.__tones = 0;
        const Native = window.Notification;
        window.Notification = function (title, options) { window.__notes.push([title, options && options.body]); return new Native(title, options); };
        window.Notification.permission = Native.permission;
        window.Notification.requestPermission = Native.requestPermission.bind(Native);
        const start = OscillatorNode.prototype.start;
        OscillatorNode.prototype.start = function (...args) { window.__tones += 1; return start.apply(this, args); };
        """
    )
    sign_in(demo, page, "agent")
    page.goto(f"{demo.server.url}{CHANGELIST}")
    toggle = page.locator("#oc-notify-toggle")
    expect(page.locator("#oc-connection")).to_have_attribute("data-state", "live")
    say(demo, customer, room["id"], "before opting in")
    expect(row(page, room["subject"]).locator(".oc-preview")).to_have_text("before opting in")
    assert page.evaluate("window.__notes.length + window.__tones") == 0

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    tones = page.evaluate("window.__tones")
    assert tones >= 2  # the chime played once as a sample
    say(demo, customer, room["id"], "after opting in")
    page.wait_for_function("window.__notes.length > 0")
    assert page.evaluate("window.__notes") == [["Eka Pratama", "after opting in"]]
    assert page.evaluate("window.__tones") > tones

    # The choice is remembered across pages.
    page.reload()
    expect(page.locator("#oc-notify-toggle")).to_have_attribute("aria-pressed", "true")
    assert errors == []


def test_older_messages_load_when_scrolling_up(demo, page, errors):
    from oscar_chat import services

    customer, agent = demo.users["customer"], demo.users["agent"]
    room = new_room(demo, customer, "A long story", "message 0")
    with demo.blocker.unblock():
        from oscar_chat.models import ChatRoom

        chat_room = ChatRoom.objects.get(pk=room["id"])
        for n in range(1, 61):  # more than one page (50); the agent's side is not rate limited
            services.post_message(chat_room, agent, message=f"message {n}")
    sign_in(demo, page, "agent")
    open_conversation(demo, page, room["id"])
    messages = page.locator("#oc-messages > li")
    expect(messages).to_have_count(50)
    expect(messages.last).to_contain_text("message 60")

    page.locator("#oc-history").evaluate("box => box.scrollTo(0, 0)")
    expect(messages).to_have_count(61)
    expect(messages.first).to_contain_text("message 0")
    expect(page.locator("#oc-history-top")).to_have_text("The conversation starts here.")
    # The reader's place is kept: what was at the top before is still in view.
    assert page.locator("#oc-history").evaluate("box => box.scrollTop") > 0
    assert errors == []


def test_view_only_staff_read_conversations_without_composer_or_controls(demo, page, screenshot, errors):
    customer = demo.users["customer"]
    room = new_room(demo, customer, "Just looking", "Can a viewer see this?")
    sign_in(demo, page, "viewer")

    page.goto(f"{demo.server.url}{CHANGELIST}")
    expect(row(page, room["subject"])).to_have_count(1)
    expect(page.locator("select[name=action]")).to_have_count(0)
    page.get_by_role("link", name=room["subject"]).click()
    expect(page.locator("#oc-messages")).to_contain_text("Can a viewer see this?")
    expect(page.locator("#oc-composer")).to_have_count(0)
    expect(page.locator("#oc-input")).to_have_count(0)
    expect(page.locator("#oc-status, #oc-priority, #oc-assignee")).to_have_count(0)
    expect(page.locator("#oc-readonly-note")).to_be_visible()
    shot(screenshot, "admin-view-only")
    assert errors == []
