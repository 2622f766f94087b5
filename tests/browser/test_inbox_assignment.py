"""Round-robin assignment seen from two agents' inboxes in Chromium: the conversations customers
open go in turn to the agents who are online, under OSCAR_CHAT_AUTO_ASSIGN_MAX_OPEN (1 here),
and wait in Unassigned when everyone is at the cap. Its own server, for that setting and for an
empty presence (agents of other modules' servers are not online here)."""

import os
import time

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from oscar_chat import presence
from oscar_chat.models import ChatRoom
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_admin import api_for, demo_store, new_room, sign_in

pytestmark = pytest.mark.browser
INBOX = "/admin/oscar_chat/chatroom/inbox/"
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    yield from demo_store(django_db_blocker, OSCAR_CHAT_AUTO_ASSIGN_MAX_OPEN="1")


def entry(page, room):
    return page.locator(f'.oc-inbox-item[data-oc-room="{room["id"]}"]')


def shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), animations="disabled")


def agents_online(demo):
    with api_for(demo, demo.users["customer"]) as api:
        return api.get("/api/chat/presence").json()["agents_online"]


def test_new_conversations_go_round_robin_to_online_agents_under_the_cap(demo, browser):
    with demo.blocker.unblock():
        # The demo's conversations belong to nobody: each agent starts with no open conversation.
        ChatRoom.objects.update(admin=None)
    cache.delete(presence.CACHE_KEY)  # nobody online but the two agents below
    budi, citra = demo.users["agent"], demo.users["agent2"]
    contexts = [browser.new_context(viewport=DESKTOP) for _ in range(2)]
    errors = []
    try:
        pages = {}
        for context, agent in zip(contexts, ("agent", "agent2"), strict=True):
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            sign_in(demo, page, agent)
            page.goto(f"{demo.server.url}{INBOX}?view=mine")
            expect(page.locator("#oc-connection")).to_have_attribute("data-state", "live")
            pages[demo.users[agent].pk] = page
        deadline = time.monotonic() + 10
        while agents_online(demo) != 2:
            assert time.monotonic() < deadline, "the two agents' inboxes did not make them online"
            time.sleep(0.2)

        # Two conversations: one each, in turn, each in that agent's Mine at once.
        first = new_room(demo, demo.users["customer"], "Batik sizes", "Is the batik shirt true to size?")
        second = new_room(demo, demo.users["customer2"], "Coffee grind", "Can you grind the Gayo beans?")
        owners = {first["admin"]["id"], second["admin"]["id"]}
        assert owners == {budi.pk, citra.pk}, (first["admin"], second["admin"])
        for room in (first, second):
            owner = pages[room["admin"]["id"]]
            other = pages[({budi.pk, citra.pk} - {room["admin"]["id"]}).pop()]
            expect(entry(owner, room)).to_have_count(1)
            expect(entry(other, room)).to_have_count(0)
        shot(pages[first["admin"]["id"]], "assignment-round-robin-mine-first-agent")
        shot(pages[second["admin"]["id"]], "assignment-round-robin-mine-second-agent")

        # Both at the cap of one open conversation: the third waits in Unassigned.
        third = new_room(demo, demo.users["customer"], "Gift wrap", "Do you wrap gifts?")
        assert third["admin"] is None
        budi_page = pages[budi.pk]
        expect(entry(budi_page, third)).to_have_count(0)
        budi_page.get_by_role("button", name="Unassigned", exact=True).click()
        expect(entry(budi_page, third)).to_have_count(1)

        # Budi resolves his conversation (e): he is under the cap again and gets the next one.
        budi_page.get_by_role("button", name="Mine", exact=True).click()
        mine = first if first["admin"]["id"] == budi.pk else second
        entry(budi_page, mine).click()
        expect(budi_page.locator(f'.oc-workspace[data-oc-room="{mine["id"]}"]')).to_be_visible()
        managed = []
        budi_page.on("response", lambda r: managed.append((r.request.method, r.status)) if "/manage" in r.url else None)
        budi_page.locator("#oc-history").press("e")  # focused, then the key
        try:
            expect(budi_page.locator('.oc-room-header [data-oc-badge="status"]')).to_have_text("Resolved")
        except AssertionError as failure:
            # What the agent saw, to tell a refused change from a key that went elsewhere.
            seen = budi_page.evaluate(
                "() => [document.getElementById('oc-control-status')?.textContent,"
                " document.activeElement && (document.activeElement.id || document.activeElement.tagName)]"
            )
            raise AssertionError(f"{failure}\nstatus line, focus: {seen}; PATCH manage: {managed}") from failure
        fourth = new_room(demo, demo.users["customer2"], "Delivery to Bali", "Do you ship to Denpasar?")
        assert fourth["admin"]["id"] == budi.pk
        expect(entry(budi_page, fourth)).to_have_count(1)
        expect(entry(pages[citra.pk], fourth)).to_have_count(0)
        shot(budi_page, "assignment-next-after-resolving")
        assert errors == []
    finally:
        for context in contexts:
            context.close()
