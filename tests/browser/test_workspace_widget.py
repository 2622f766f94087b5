"""What the customer's widget shows of the agents' tools: order and voucher cards, never a note."""

import re
import uuid

import pytest
from django.utils import translation
from oscar.core.loading import get_model
from oscar.test.factories import create_order, create_voucher
from playwright.sync_api import expect

from tests.browser.test_widget import (  # noqa: F401 - fixtures of the widget module, shared
    agent_says,
    customer_api,
    errors,
    make_customer,
    open_room_for,
    open_widget,
    shop,
    shot,
    sign_in,
    transactional_db,
    widget_log,
    widget_server,
)

pytestmark = pytest.mark.browser
Basket = get_model("basket", "Basket")


def test_the_widget_shows_order_and_voucher_cards_applies_the_voucher_and_never_a_note(shop, page, screenshot, errors):  # noqa: F811
    user = make_customer(shop)
    number = f"W{uuid.uuid4().hex[:8].upper()}"
    order = create_order(number=number, user=user)
    code = f"GAYO{uuid.uuid4().hex[:6].upper()}"
    create_voucher(code=code, name=f"Gayo discount {code}")
    with customer_api(shop, user) as api:
        assert api.post(f"/api/chat/products/{shop.products['coffee'].pk}/basket").status_code == 200
    room = open_room_for(shop, user, "A discount?", "Is there a discount on coffee?")
    agent_says(shop, room["id"], "Reseller; approved by Sari", message_type="NOTE")
    agent_says(shop, room["id"], message_type="ORDER", order_number=number)
    agent_says(shop, room["id"], message_type="VOUCHER", voucher_code=code)

    sign_in(page, shop, user)
    open_widget(page, shop)
    page.locator(".oc-room").first.click()
    log = widget_log(page)
    expect(log.locator(".oc-msg")).to_have_count(3)
    expect(log).not_to_contain_text("Sari")
    # The order card: number (a link to the customer's order page), date and status, lines, total.
    order_card = log.locator(".oc-order-card")
    expect(order_card.locator(".oc-card-title")).to_have_text(f"Order {number}")
    expect(order_card.locator(".oc-card-meta")).to_have_text(re.compile(rf"^\S.* · {re.escape(order.status)}$"))
    expect(order_card.locator(".oc-order-lines li")).to_have_text(
        [f"{line.quantity} × {line.title}" for line in order.lines.all()]
    )
    expect(order_card.locator(".oc-card-price")).to_contain_text(f"{order.total_incl_tax:,.0f}")
    order_link = order_card.get_by_role("link", name=f"Order {number}")
    expect(order_link).to_have_attribute("href", f"/accounts/orders/{number}/")
    voucher = log.locator(".oc-voucher-card")
    expect(voucher.locator(".oc-voucher-code")).to_have_text(code)
    voucher.get_by_role("button", name="Apply to my basket").click()
    expect(voucher.get_by_role("status")).to_have_text("Applied to your basket.")
    shot(screenshot, "widget-order-and-voucher-cards")
    assert [v.code for v in Basket.open.get(owner=user).vouchers.all()] == [code]

    # Again: Oscar refuses, in its words, and the card says so.
    voucher.get_by_role("button", name="Apply to my basket").click()
    with translation.override("en"):
        oscar_words = translation.gettext("You have already added the '%(code)s' voucher to your basket") % {
            "code": code
        }
    expect(voucher.get_by_role("status")).to_have_text(oscar_words)
    shot(screenshot, "widget-voucher-refused-in-oscars-words")

    # The order card's link opens the customer's own order page in the store.
    with page.context.expect_page() as opened:
        order_link.click()
    order_page = opened.value
    order_page.wait_for_load_state()
    assert order_page.url == f"{shop.server.url}/accounts/orders/{number}/"
    expect(order_page.locator("body")).to_contain_text(number)
    order_page.close()
    # After a reload the widget restores the conversation: still no note.
    page.reload()
    expect(widget_log(page).locator(".oc-msg")).to_have_count(3)
    expect(widget_log(page)).not_to_contain_text("Sari")
    assert errors == []


def test_a_note_written_in_the_inbox_never_reaches_the_open_widget(shop, page, browser, screenshot, errors):  # noqa: F811
    user = make_customer(shop)
    room = open_room_for(shop, user, "Sizes", "Does the batik shirt come in XXL?")
    sign_in(page, shop, user)
    open_widget(page, shop)
    page.locator(".oc-room").first.click()
    log = widget_log(page)
    expect(log.locator(".oc-msg")).to_have_count(1)

    # An agent, in the inbox of another browser, writes a note and then a reply.
    agent_context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        inbox = agent_context.new_page()
        sign_in(inbox, shop, shop.agent)
        inbox.goto(f"{shop.server.url}/admin/oscar_chat/chatroom/inbox/?room={room['id']}")
        expect(inbox.locator("#oc-connection")).to_have_attribute("data-state", "live")
        inbox.locator("#oc-note-mode").click()
        inbox.fill("#oc-input", "Supplier says XXL arrives Monday; do not promise a date")
        inbox.press("#oc-input", "Enter")
        expect(inbox.locator(".oc-msg.oc-internal-note.oc-sent")).to_have_count(1)
        inbox.locator("#oc-note-mode").click()
        inbox.fill("#oc-input", "XXL is coming soon; I will tell you when it is in.")
        inbox.press("#oc-input", "Enter")
        expect(inbox.locator(".oc-msg.oc-mine", has_text="coming soon")).to_contain_text("Sent")
    finally:
        agent_context.close()

    expect(log.locator(".oc-msg", has_text="XXL is coming soon")).to_have_count(1)
    expect(log.locator(".oc-msg")).to_have_count(2)
    expect(log).not_to_contain_text("Supplier")
    shot(screenshot, "widget-no-note-live")
    page.reload()
    expect(widget_log(page).locator(".oc-msg")).to_have_count(2)
    expect(widget_log(page)).not_to_contain_text("Supplier")

    # The list of conversations: a later note changes neither the preview nor the unread count;
    # the status changed after it shows that the list has caught up.
    page.locator(".oc-back").click()
    item = page.locator(f'.oc-room[data-room-id="{room["id"]}"]')
    expect(item.locator(".oc-room-last")).to_contain_text("XXL is coming soon")
    agent_says(shop, room["id"], "Sounds upset: offer 10% if asked", message_type="NOTE")
    resolved = shop.agent_api.patch(f"/api/chat/rooms/{room['id']}/manage", json={"status": "RESOLVED"})
    assert resolved.status_code == 200, resolved.text
    expect(item.locator(".oc-pill")).to_have_text("Resolved")
    expect(item.locator(".oc-room-last")).to_contain_text("XXL is coming soon")
    expect(item).not_to_contain_text("upset")
    expect(item.locator(".oc-count")).to_have_count(0)
    expect(item).not_to_have_class(re.compile(r"\boc-unread\b"))
    shot(screenshot, "widget-no-note-in-the-list")
    assert errors == []
