"""Internal notes and labels on the agents' conversation page, in Chromium; the customer's
stream and history checked alongside (a note must never reach them)."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_admin import (  # noqa: F401 - fixtures of the admin module, shared
    api_for,
    browser_context_args,
    demo,
    errors,
    new_room,
    open_conversation,
    shot,
    sign_in,
    streams,
)

pytestmark = pytest.mark.browser


def test_an_agent_writes_a_note_in_note_mode_that_never_reaches_the_customer(demo, page, screenshot, streams, errors):  # noqa: F811
    customer = demo.users["customer"]
    room = new_room(demo, customer, "Parcel stuck in Surabaya", "My parcel has not moved for 4 days.")
    stream = streams(customer)
    sign_in(demo, page, "agent")
    open_conversation(demo, page, room["id"])

    toggle = page.locator("#oc-note-mode")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#oc-composer")).to_have_class("oc-composer oc-note-mode")
    page.fill("#oc-input", "Courier ticket 7781 opened; refund if not moved by Friday.")
    page.press("#oc-input", "Enter")
    note = page.locator(".oc-msg.oc-internal-note", has_text="Courier ticket 7781")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Internal note")
    shot(screenshot, "admin-conversation-internal-note")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page.fill("#oc-input", "We are on it with the courier.")
    page.press("#oc-input", "Enter")
    reply = stream.wait_for("message", lambda d: d["room"] == room["id"] and d["sender"]["is_agent"])
    assert reply["message"] == "We are on it with the courier."
    assert all("7781" not in (data.get("message") or "") for _, data in stream.seen)
    with api_for(demo, customer) as api:
        seen = api.get(f"/api/chat/rooms/{room['id']}").json()
    assert [m["message"] for m in seen["results"]] == [
        "My parcel has not moved for 4 days.",
        "We are on it with the courier.",
    ]
    assert seen["room"]["last_message"] == "We are on it with the courier."

    # After a reload the note is still in the agents' history, told apart.
    page.reload()
    expect(page.locator(".oc-msg.oc-internal-note", has_text="Courier ticket 7781")).to_have_count(1)
    assert errors == []


def test_labels_are_set_on_the_conversation_and_shown_and_filtered_in_the_list(demo, page, screenshot, streams, errors):  # noqa: F811
    customer = demo.users["customer"]
    room = new_room(demo, customer, "Wholesale batik order", "Can I order 40 shirts?")
    stream = streams(customer)
    sign_in(demo, page, "agent")
    open_conversation(demo, page, room["id"])

    page.fill("#oc-labels", "Wholesale,  VIP ")
    page.press("#oc-labels", "Tab")
    expect(page.locator("#oc-labels")).to_have_value("wholesale, vip")
    # The customer's view of the room carries no labels.
    changed = stream.wait_for("room", lambda d: d["id"] == room["id"])
    assert changed["labels"] == []

    # Another conversation: the labels in use are suggested, for each label typed.
    other = new_room(demo, demo.users["customer2"], "Bulk coffee", "40 bags of Gayo?")
    open_conversation(demo, page, other["id"])
    labels = page.locator("#oc-labels")
    expect(labels).to_have_attribute("list", "oc-labels-in-use")
    labels.press_sequentially("w")
    expect(suggestion(page, "wholesale")).to_have_count(1)
    expect(suggestion(page, "vip")).to_have_count(1)
    labels.press_sequentially("holesale, v")
    expect(suggestion(page, "wholesale, vip")).to_have_count(1)
    expect(suggestion(page, "wholesale, wholesale")).to_have_count(0)  # a label chosen is not offered again
    labels.fill("wholesale, vip")  # the suggestion taken
    labels.press("Tab")
    expect(labels).to_have_value("wholesale, vip")

    page.goto(f"{demo.server.url}/admin/oscar_chat/chatroom/?label=wholesale")
    listed = page.locator("#result_list tbody tr", has_text=room["subject"])
    expect(listed).to_have_count(1)
    expect(page.locator("#result_list tbody tr", has_text=other["subject"])).to_have_count(1)
    expect(listed.locator(".oc-label")).to_have_text(["wholesale", "vip"])
    # Labels colour the list: each label its own colour, the same in the changelist and the inbox.
    in_changelist = chip_colours(listed)
    assert in_changelist["wholesale"] != in_changelist["vip"]
    shot(screenshot, "admin-changelist-labels")
    page.goto(f"{demo.server.url}/admin/oscar_chat/chatroom/inbox/?label=wholesale")
    in_inbox = page.locator(f'.oc-inbox-item[data-oc-room="{room["id"]}"]')
    expect(in_inbox.locator(".oc-label")).to_have_text(["wholesale", "vip"])
    assert chip_colours(in_inbox) == in_changelist
    shot(screenshot, "inbox-labels")
    assert errors == []


def suggestion(page, value):
    return page.locator(f'#oc-labels-in-use option[value="{value}"]')


def chip_colours(container):
    return dict(
        container.locator(".oc-label").evaluate_all(
            "chips => chips.map(chip => [chip.textContent, getComputedStyle(chip).backgroundColor])"
        )
    )
