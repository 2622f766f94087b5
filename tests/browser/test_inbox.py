"""The agents' inbox in Chromium: list, conversation and customer panel on one page, live, with
the URL following the open conversation, keyboard shortcuts, one column on a phone, and the
agents' tools (notes, order and voucher cards, attachments, a colleague typing). What the
customer receives is read from their real event stream and API alongside."""

import datetime
import io
import re
import time
import uuid

import httpx
import pytest
from django.utils import timezone
from oscar.core.loading import get_model
from oscar.test.factories import create_order, create_voucher
from PIL import Image
from playwright.sync_api import expect

from tests.browser.test_admin import (  # noqa: F401 - fixtures of the admin module, shared
    api_for,
    browser_context_args,
    demo,
    errors,
    new_room,
    say,
    shot,
    sign_in,
    streams,
)

pytestmark = pytest.mark.browser
INBOX = "/admin/oscar_chat/chatroom/inbox/"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
Voucher = get_model("voucher", "Voucher")
Product = get_model("catalogue", "Product")


def open_inbox(demo, page, query=""):
    page.goto(f"{demo.server.url}{INBOX}{query}")
    expect(page.locator("#oc-connection")).to_have_attribute("data-state", "live")


def entry(page, room):
    return page.locator(f'.oc-inbox-item[data-oc-room="{room["id"]}"]')


def open_in_inbox(page, room):
    entry(page, room).click()
    expect(page.locator(f'.oc-workspace[data-oc-room="{room["id"]}"]')).to_be_visible()


def test_the_inbox_lists_opens_and_keeps_the_conversation_in_the_url_live(demo, page, screenshot, streams, errors):  # noqa: F811
    page.set_viewport_size(DESKTOP)
    customer, customer2 = demo.users["customer"], demo.users["customer2"]
    first = new_room(demo, customer, "Sarong colours", "Is the blue sarong back in stock?")
    second = new_room(demo, customer2, "Invoice for my company", "Can I get an invoice with our tax number?")
    with api_for(demo, demo.users["agent"]) as api:
        assert (
            api.patch(f"/api/chat/rooms/{second['id']}/manage", json={"admin_id": demo.users["agent"].pk}).status_code
            == 200
        )
        assert (
            api.patch(f"/api/chat/rooms/{first['id']}/manage", json={"labels": ["restock", "vip"]}).status_code == 200
        )
    sign_in(demo, page, "agent")
    open_inbox(demo, page)

    expect(entry(page, first)).to_contain_text("Eka Pratama")
    expect(entry(page, first).locator(".oc-label")).to_have_text(["restock", "vip"])
    # Labels colour the list: each label in its own colour.
    chips = entry(page, first).locator(".oc-label")
    colours = chips.evaluate_all("chips => chips.map(chip => getComputedStyle(chip).backgroundColor)")
    deadline = time.monotonic() + 5
    while "" in colours and time.monotonic() < deadline:
        # The live list re-rendered under the evaluation: a detached chip has no computed style.
        page.wait_for_timeout(100)
        colours = chips.evaluate_all("chips => chips.map(chip => getComputedStyle(chip).backgroundColor)")
    assert len(set(colours)) == 2 and "rgba(0, 0, 0, 0)" not in colours, colours
    open_in_inbox(page, first)
    expect(page).to_have_url(re.compile(rf"\?room={first['id']}$"))
    expect(entry(page, first)).to_have_attribute("aria-current", "true")
    expect(page.locator(".oc-message-item", has_text="blue sarong")).to_have_count(1)
    expect(page.locator("#oc-panel-customer")).to_contain_text("Eka Pratama")
    expect(page.locator("#oc-status")).to_have_value("OPEN")
    expect(page.locator("#oc-assignee option")).to_contain_text(["Unassigned", "Budi Santoso", "Citra Lestari"])
    # Side by side: the list, the conversation, the customer panel.
    boxes = [page.locator(sel).bounding_box() for sel in (".oc-inbox-list", ".oc-conversation", ".oc-customer-panel")]
    assert boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"] and boxes[1]["x"] + boxes[1]["width"] <= boxes[2]["x"]
    assert all(box["y"] < boxes[0]["y"] + 100 for box in boxes), boxes
    shot(screenshot, "inbox")

    # Views: Mine holds the room assigned to this agent only; Unassigned the other.
    page.get_by_role("button", name="Mine", exact=True).click()
    expect(entry(page, second)).to_have_count(1)
    expect(entry(page, first)).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"\?view=mine&room={first['id']}$"))
    page.get_by_role("button", name="Unassigned", exact=True).click()
    expect(entry(page, first)).to_have_count(1)
    expect(entry(page, second)).to_have_count(0)
    # Filters and search: the label, then words of a message.
    page.get_by_role("button", name="All", exact=True).click()
    page.select_option("#oc-filter-label", "restock")
    expect(page.locator(".oc-inbox-item")).to_have_count(1)
    page.select_option("#oc-filter-label", "")
    page.fill("#oc-inbox-search", "tax number")
    expect(page.locator(".oc-inbox-item")).to_have_count(1)
    expect(entry(page, second)).to_have_count(1)
    # The search box finds a label too.
    page.fill("#oc-inbox-search", "restock")
    expect(page.locator(".oc-inbox-item")).to_have_count(1)
    expect(entry(page, first)).to_have_count(1)
    page.fill("#oc-inbox-search", "")
    expect(entry(page, second)).to_have_count(1)

    # Live: a customer's new message moves their room up, unread, without a reload.
    unchanged = entry(page, first).element_handle()
    say(demo, customer2, second["id"], "Our tax number is 01.234.567.8-901.000")
    expect(entry(page, second).locator(".oc-inbox-preview")).to_have_text("Our tax number is 01.234.567.8-901.000")
    expect(entry(page, second).locator(".oc-unread-count")).to_have_text("2")  # the question, then this
    expect(page.locator(".oc-inbox-item").first).to_have_attribute("data-oc-room", str(second["id"]))
    # The entries that show the same are kept, not rebuilt: a click on one is never lost to a
    # refresh that replaced it between the press and the release.
    assert unchanged.evaluate("node => node.isConnected")
    # ...and one in the open conversation shows at once.
    say(demo, customer, first["id"], "Size M please")
    expect(page.locator(".oc-message-item", has_text="Size M please")).to_have_count(1)
    # Unread: the rooms with customer messages no agent has read; the open one is read.
    page.locator("#oc-inbox-filters").get_by_label("Unread").check()
    expect(entry(page, second)).to_have_count(1)
    expect(entry(page, first)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"unread=yes"))
    page.locator("#oc-inbox-filters").get_by_label("Unread").uncheck()

    # Another conversation: the URL follows; Back returns to the first; a reload lands on it.
    open_in_inbox(page, second)
    expect(page).to_have_url(re.compile(rf"\?room={second['id']}$"))
    expect(page.locator("#oc-panel-customer")).to_contain_text("Fajar Nugroho")
    page.go_back()
    expect(page.locator(f'.oc-workspace[data-oc-room="{first["id"]}"]')).to_be_visible()
    page.reload()
    expect(page.locator(f'.oc-workspace[data-oc-room="{first["id"]}"]')).to_be_visible()
    expect(page.locator(".oc-message-item", has_text="Size M please")).to_have_count(1)

    # Admin's dark theme: the same page on its dark variables.
    page.emulate_media(color_scheme="dark")
    background = page.locator(".oc-inbox-list").evaluate("node => getComputedStyle(node).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    shot(screenshot, "inbox-dark")
    assert errors == []


@pytest.mark.browser_context_args(locale="id-ID")
def test_the_inbox_speaks_the_admins_language(demo, page, errors):  # noqa: F811
    page.set_viewport_size(DESKTOP)
    room = new_room(demo, demo.users["customer2"], "Ukuran kemeja", "Apakah ada ukuran XL?")
    sign_in(demo, page, "agent")
    open_inbox(demo, page, f"?room={room['id']}")
    expect(page.locator(".oc-inbox-bar h1")).to_have_text("Kotak masuk")
    expect(page.get_by_role("button", name="Milik saya")).to_be_visible()
    expect(page.locator("#oc-inbox-count")).to_contain_text("percakapan")
    expect(page.locator("#oc-attach")).to_have_text("Lampirkan berkas")
    page.keyboard.press("?")
    expect(page.locator("#oc-help h2")).to_have_text("Pintasan keyboard")
    assert errors == []


def test_keyboard_moves_focuses_toggles_notes_resolves_and_shows_help(demo, page, screenshot, streams, errors):  # noqa: F811
    page.set_viewport_size(DESKTOP)
    customer = demo.users["customer"]
    older = new_room(demo, customer, "Coffee grind", "Do you grind the beans?")
    newer = new_room(demo, customer, "Gift wrap", "Do you wrap gifts?")
    stream = streams(customer)
    sign_in(demo, page, "agent")
    open_inbox(demo, page, "?status=OPEN")
    expect(entry(page, newer)).to_have_count(1)

    page.keyboard.press("?")
    help_dialog = page.locator("#oc-help")
    expect(help_dialog).to_be_visible()
    expect(help_dialog.locator("tbody th")).to_have_text(
        ["j or Alt+↓", "k or Alt+↑", "r", "n", "e", "/", "Esc", "?"], use_inner_text=True
    )
    expect(help_dialog.locator("tbody td")).to_have_text(
        [
            "Next conversation",
            "Previous conversation",
            "Write a reply (focus the composer)",
            "Internal note mode on or off",
            "Mark the conversation resolved",
            "Search the conversations",
            "Leave the composer or search; close this help",
            "Show this help",
        ]
    )
    shot(screenshot, "inbox-help")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    # / goes to the search box; Esc leaves it, and shortcuts work again.
    page.keyboard.press("/")
    expect(page.locator("#oc-inbox-search")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#oc-inbox-search")).not_to_be_focused()

    # j opens the first (newest) room, then the next; k and Alt+Up go back.
    page.keyboard.press("j")
    expect(page.locator(f'.oc-workspace[data-oc-room="{newer["id"]}"]')).to_be_visible()
    page.keyboard.press("j")
    expect(page.locator(f'.oc-workspace[data-oc-room="{older["id"]}"]')).to_be_visible()
    page.keyboard.press("k")
    expect(page.locator(f'.oc-workspace[data-oc-room="{newer["id"]}"]')).to_be_visible()
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator(f'.oc-workspace[data-oc-room="{older["id"]}"]')).to_be_visible()
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator(f'.oc-workspace[data-oc-room="{newer["id"]}"]')).to_be_visible()

    # r focuses the composer; letters typed there are text, not shortcuts.
    page.keyboard.press("r")
    expect(page.locator("#oc-input")).to_be_focused()
    page.keyboard.type("just a moment")
    expect(page.locator("#oc-input")).to_have_value("just a moment")
    expect(page.locator(f'.oc-workspace[data-oc-room="{newer["id"]}"]')).to_be_visible()
    page.fill("#oc-input", "")
    page.keyboard.press("Escape")

    # n: note mode on; the note stays with the agents.
    page.keyboard.press("n")
    expect(page.locator("#oc-note-mode")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#oc-composer")).to_have_class(re.compile("oc-note-mode"))
    page.keyboard.type("Checked stock: 3 rolls left")
    page.keyboard.press("Enter")
    expect(page.locator(".oc-msg.oc-internal-note", has_text="3 rolls left")).to_have_count(1)
    shot(screenshot, "note-mode")
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(page.locator("#oc-note-mode")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#oc-input")).to_be_focused()  # ready to write
    page.keyboard.press("Escape")

    # e resolves: the badge, the list and the customer's stream say so.
    page.keyboard.press("e")
    expect(page.locator('.oc-room-header [data-oc-badge="status"]')).to_have_text("Resolved")
    changed = stream.wait_for("room", lambda d: d["id"] == newer["id"] and d["status"] == "RESOLVED")
    assert changed["last_message"] == "Do you wrap gifts?"  # the note changed nothing of theirs
    expect(entry(page, newer)).to_have_count(0)  # the list shows open rooms only
    assert all("3 rolls" not in (data.get("message") or "") for _, data in stream.seen)
    assert errors == []


def test_on_a_phone_the_inbox_is_one_column_with_a_way_back(demo, page, screenshot, errors):  # noqa: F811
    page.set_viewport_size(PHONE)
    customer = demo.users["customer2"]  # each customer may open only so many rooms an hour
    room = new_room(demo, customer, "Delivery to Bali", "Do you ship to Denpasar?")
    sign_in(demo, page, "agent")
    open_inbox(demo, page)
    expect(entry(page, room)).to_be_visible()
    expect(page.locator("#oc-inbox-room")).to_be_hidden()
    shot(screenshot, "inbox-narrow")

    entry(page, room).click()
    expect(page.locator("#oc-inbox-room .oc-history")).to_be_visible()
    expect(page.locator(".oc-inbox-list")).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"\?room={room['id']}$"))
    shot(screenshot, "inbox-narrow-conversation")
    page.locator("#oc-back").click()
    expect(page.locator(".oc-inbox-list")).to_be_visible()
    expect(page.locator("#oc-inbox-room")).to_be_hidden()
    # A link to the conversation opens it directly.
    page.goto(f"{demo.server.url}{INBOX}?room={room['id']}")
    expect(page.locator("#oc-inbox-room .oc-history")).to_be_visible()
    assert errors == []


def test_an_order_of_the_customer_is_shared_and_another_customers_is_refused(demo, page, screenshot, streams, errors):  # noqa: F811
    page.set_viewport_size(DESKTOP)
    customer, customer2 = demo.users["customer"], demo.users["customer2"]
    own, foreign = f"E{uuid.uuid4().hex[:7].upper()}", f"F{uuid.uuid4().hex[:7].upper()}"
    with demo.blocker.unblock():
        create_order(number=own, user=customer)
        create_order(number=foreign, user=customer2)
    room = new_room(demo, customer, "Where is my order?", "I ordered last week.")
    stream = streams(customer)
    sign_in(demo, page, "agent")
    open_inbox(demo, page, f"?room={room['id']}")

    orders = page.locator("#oc-panel-orders")
    expect(orders).to_contain_text(own)
    expect(orders).not_to_contain_text(foreign)  # only the room customer's own orders
    orders.get_by_role("button", name=f"Share order {own} in the conversation").click()
    card = page.locator(".oc-msg.oc-mine .oc-order-card")
    expect(card.locator(".oc-card-title")).to_have_text(f"Order {own}")
    expect(page.locator(".oc-msg.oc-mine", has=page.locator(".oc-order-card"))).to_contain_text("Sent")
    shared = stream.wait_for("message", lambda d: d["room"] == room["id"] and d["message_type"] == "ORDER")
    assert shared["order"]["number"] == own
    shot(screenshot, "order-share")

    # The page asks the API to share another customer's order: refused, and said so.
    button = orders.locator(".oc-share-order").first
    button.evaluate("(b, number) => { b.dataset.orderNumber = number; }", foreign)
    button.click()
    failed = page.locator(".oc-msg.oc-failed")
    expect(failed).to_contain_text("Not sent")
    expect(failed.locator(".oc-msg-error")).to_have_text(re.compile(r"\S"))
    shot(screenshot, "order-share-refused")
    with api_for(demo, customer) as api:
        seen = api.get(f"/api/chat/rooms/{room['id']}").json()["results"]
    assert [m["order"]["number"] for m in seen if m["message_type"] == "ORDER"] == [own]
    assert errors == []


def test_an_active_voucher_is_found_and_shared(demo, page, screenshot, streams, errors):  # noqa: F811
    page.set_viewport_size(DESKTOP)
    customer = demo.users["customer"]
    tag = uuid.uuid4().hex[:5].upper()
    now = timezone.now()
    with demo.blocker.unblock():
        create_voucher(code=f"KOPI{tag}", name=f"Coffee week {tag}")
        Voucher.objects.create(
            code=f"OLD{tag}",
            name=f"Coffee last year {tag}",
            start_datetime=now - datetime.timedelta(days=400),
            end_datetime=now - datetime.timedelta(days=30),
        )
    room = new_room(demo, customer, "Any discount?", "Is there a coffee discount?")
    stream = streams(customer)
    sign_in(demo, page, "agent")
    open_inbox(demo, page, f"?room={room['id']}")

    page.fill("#oc-voucher-search", tag)
    results = page.locator("#oc-voucher-results li")
    expect(results).to_have_count(1)  # the expired one is not offered
    expect(results).to_contain_text(f"KOPI{tag}")
    results.get_by_role("button", name=f"Share voucher KOPI{tag}").click()
    card = page.locator(".oc-msg.oc-mine .oc-voucher-card")
    expect(card.locator(".oc-voucher-code")).to_have_text(f"KOPI{tag}")
    expect(page.locator(".oc-msg.oc-mine", has=page.locator(".oc-voucher-card"))).to_contain_text("Sent")
    shared = stream.wait_for("message", lambda d: d["room"] == room["id"] and d["message_type"] == "VOUCHER")
    assert shared["voucher"]["code"] == f"KOPI{tag}" and shared["voucher"]["is_active"]
    shot(screenshot, "voucher-share")
    assert errors == []


def test_an_agent_sees_a_colleague_typing_in_the_same_conversation(demo, page, browser, screenshot, errors):  # noqa: F811
    page.set_viewport_size(DESKTOP)
    customer = demo.users["customer2"]  # each customer may open only so many rooms an hour
    room = new_room(demo, customer, "Batik care", "Can I machine-wash batik?")
    sign_in(demo, page, "agent")
    open_inbox(demo, page, f"?room={room['id']}")

    colleague = browser.new_context(viewport=DESKTOP)
    try:
        other = colleague.new_page()
        sign_in(demo, other, "agent2")
        other.goto(f"{demo.server.url}{INBOX}?room={room['id']}")
        expect(other.locator("#oc-connection")).to_have_attribute("data-state", "live")
        other.locator("#oc-input").press_sequentially("Cold water, by hand")
        expect(page.locator("#oc-typing")).to_have_text("Citra Lestari is typing…")
        shot(screenshot, "colleague-typing")
        # The colleague does not see themself typing.
        expect(other.locator("#oc-typing")).to_have_text("")
        # A colleague's note reaches this agent live, marked as a note.
        other.fill("#oc-input", "")
        other.locator("#oc-note-mode").click()
        other.fill("#oc-input", "Told them cold water; check the care card stock")
        other.press("#oc-input", "Enter")
        note = page.locator(".oc-msg.oc-internal-note", has_text="care card stock")
        expect(note).to_have_count(1)
        expect(note).to_contain_text("Internal note")
        expect(note).to_contain_text("Citra Lestari")
        shot(screenshot, "colleague-note-live")
    finally:
        colleague.close()
    assert errors == []


def png_bytes():
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(image, format="PNG")
    return image.getvalue()


def test_an_agent_attaches_by_picking_pasting_and_dropping_and_refusals_are_in_words(
    demo, page, screenshot, streams, errors
):  # noqa: F811
    page.set_viewport_size(DESKTOP)
    customer = demo.users["customer"]
    room = new_room(demo, customer, "Damaged box", "The box arrived crushed.")
    stream = streams(customer)
    sign_in(demo, page, "agent")
    open_inbox(demo, page, f"?room={room['id']}")

    page.set_input_files("#oc-file", files=[{"name": "label.png", "mimeType": "image/png", "buffer": png_bytes()}])
    image = page.locator(".oc-msg.oc-mine img.oc-msg-img")
    expect(image).to_have_count(1)
    sent = stream.wait_for("message", lambda d: d["room"] == room["id"] and d["message_type"] == "IMAGE")
    assert sent["attachment"]["name"] == "label.png"
    # Served by the API's authorising URL: the agent's page shows it, the room's customer gets
    # it, another customer and a visitor do not.
    url = sent["attachment"]["url"]
    assert re.fullmatch(r"/api/chat/attachments/\d+", url), url
    expect(image).to_have_attribute("src", url)
    page.wait_for_function("img => img.complete && img.naturalWidth === 40", arg=image.element_handle())
    with api_for(demo, customer) as api:
        fetched = api.get(url)
        assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/png"
    with api_for(demo, demo.users["customer2"]) as api:
        assert api.get(url).status_code == 404
    with httpx.Client(base_url=demo.server.url, timeout=10) as visitor:
        assert visitor.get(url).status_code == 401

    # Paste and drop go through the same module.
    page.locator("#oc-input").evaluate(
        """(input) => {
            const data = new DataTransfer();
            data.items.add(new File(["return form"], "return-form.txt", {type: "text/plain"}));
            input.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }"""
    )
    expect(page.locator(".oc-msg.oc-mine .oc-file-name", has_text="return-form.txt")).to_have_count(1)
    page.locator(".oc-conversation").evaluate(
        """(zone) => {
            const data = new DataTransfer();
            data.items.add(new File(["MZ"], "setup.exe", {type: "application/x-msdownload"}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
        }"""
    )
    expect(page.locator("#oc-file-error")).to_contain_text("“setup.exe” cannot be sent")
    stream.wait_for("message", lambda d: d["room"] == room["id"] and d["message_type"] == "FILE")
    expect(page.locator(".oc-msg.oc-mine.oc-sent", has=page.locator(".oc-file-name"))).to_have_count(1)
    shot(screenshot, "agent-attachment")
    assert errors == []


def test_staff_who_may_only_view_read_in_the_inbox_without_tools(demo, page, errors):  # noqa: F811
    page.set_viewport_size(DESKTOP)
    room = new_room(demo, demo.users["customer2"], "Opening hours", "When do you open on Sunday?")
    sign_in(demo, page, "viewer")
    page.goto(f"{demo.server.url}{INBOX}?room={room['id']}")
    expect(page.locator(".oc-message-item", has_text="Sunday")).to_have_count(1)
    expect(page.locator("#oc-composer")).to_have_count(0)
    expect(page.locator(".oc-share-order")).to_have_count(0)
    expect(page.locator("#oc-readonly-note")).to_be_visible()
    assert errors == []


def test_the_panel_shows_the_customers_store_page_and_basket_live(demo, page, screenshot, errors):  # noqa: F811
    page.set_viewport_size(DESKTOP)
    customer = demo.users["customer2"]
    room = new_room(demo, customer, "Which grind?", "Which grind for a V60?")
    with demo.blocker.unblock():
        coffee = Product.objects.get(title="Kopi Arabika Gayo 250g")
    sign_in(demo, page, "agent")
    open_inbox(demo, page, f"?room={room['id']}")
    panel_page = page.locator("#oc-customer-page")
    expect(panel_page).to_have_text("No page reported yet.")

    # The widget's report of the page (POST activity) reaches the panel through the agents' stream.
    with api_for(demo, customer) as api:
        reported = api.post("/api/chat/activity", json={"url": coffee.get_absolute_url(), "title": coffee.title})
        assert reported.status_code == 204, reported.text
    expect(panel_page.get_by_role("link")).to_have_text("Kopi Arabika Gayo 250g")
    expect(panel_page.get_by_role("link")).to_have_attribute("href", coffee.get_absolute_url())

    # Oscar's basket_addition: the basket follows, live.
    with api_for(demo, customer) as api:
        added = api.post(f"/api/chat/products/{coffee.pk}/basket", json={"quantity": 2})
        assert added.status_code == 200, added.text
    basket = page.locator("#oc-panel-basket")
    expect(basket.locator("tbody tr", has_text="Kopi Arabika Gayo 250g")).to_contain_text("× 2")
    screenshot("inbox-customer-live", full_page=True, animations="disabled")

    # A reload starts from the last reported page (presence.customer_page).
    page.reload()
    expect(page.locator("#oc-customer-page").get_by_role("link")).to_have_text("Kopi Arabika Gayo 250g")
    expect(page.locator("#oc-panel-basket")).to_contain_text("Kopi Arabika Gayo 250g")
    assert errors == []
