"""The customer's chat widget in Chromium, against the sandbox store served by daphne.

One server and one small catalogue for the module; each test signs in its own customer
(session cookie, no login form unless the test is about signing in) and drives the widget
while an agent acts through the HTTP API.
"""

import itertools
import re
import time
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import httpx
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client, override_settings
from oscar.core.loading import get_class, get_model
from oscar.templatetags.currency_filters import currency
from playwright.sync_api import expect
from rest_framework_simplejwt.tokens import AccessToken

from oscar_chat import services
from oscar_chat.models import ChatMessage, ChatRoom
from sandbox.demo.management.commands.load_demo import make_image
from tests.live import start_daphne

pytestmark = pytest.mark.browser

Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductImage = get_model("catalogue", "ProductImage")
Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")
create_from_breadcrumbs = get_class("catalogue.categories", "create_from_breadcrumbs")

XSS = "<img src=x onerror=alert(1)>"
XSS_TITLE = '<img src=x onerror=alert(2)> Teh "Melati"'
CATALOGUE = [
    # key, title, price, stock, category, image
    ("coffee", "Kopi Arabika Gayo 250g", 85000, 40, "Food > Coffee", True),
    ("luwak", "Kopi Luwak Premium 100g", 450000, 0, "Food > Coffee", False),
    ("tea", XSS_TITLE, 25000, 10, "Food > Tea", False),
]
counter = itertools.count(1)
expect.set_options(timeout=15_000)  # generous: the machine may be busy; passing tests do not wait


def build_shop():
    from django.contrib.sites.models import Site

    Site.objects.update_or_create(pk=1, defaults={"domain": "127.0.0.1", "name": "Oscar Chat Sandbox"})
    partner = Partner.objects.create(name="Toko Test")
    goods = ProductClass.objects.create(name="Goods", track_stock=True, requires_shipping=True)
    products = {}
    for index, (key, title, price, stock, category, image) in enumerate(CATALOGUE):
        product = Product.objects.create(
            title=title, product_class=goods, structure=Product.STANDALONE, upc=f"899000{index}"
        )
        ProductCategory.objects.create(product=product, category=create_from_breadcrumbs(category))
        StockRecord.objects.create(
            product=product,
            partner=partner,
            partner_sku=f"SKU-{key}",
            price_currency="IDR",
            price=Decimal(price),
            num_in_stock=stock,
        )
        if image:
            ProductImage.objects.create(product=product, original=make_image(title, index), display_order=0)
        products[key] = product
    agent = get_user_model().objects.create_user(
        "agent", "agent@example.com", first_name="Budi", last_name="Santoso", is_staff=True
    )
    agent.user_permissions.add(Permission.objects.get(content_type__app_label="oscar_chat", codename="change_chatroom"))
    return {"products": products, "agent": agent}


DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Desktop pages at 1280×800; the phone tests resize to 390×844."""
    return {**browser_context_args, "viewport": DESKTOP}


def phone_shot(page, screenshot, name):
    """The same state on a 390×844 phone (the panel full screen), then back to the desktop."""
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(100)
    shot(screenshot, name)
    page.set_viewport_size(DESKTOP)


@pytest.fixture
def transactional_db(django_db_setup, django_db_blocker):
    """Here the test database is in autocommit: what a test writes is committed at once for the
    server to see, and no flush follows each test (on PostgreSQL that costs seconds a test).
    Each test makes its own customer; the module flushes once at the end. The name makes
    pytest-django create the test database and run these tests with the other live ones, after
    the plain database tests (Playwright leaves an event loop running in this thread)."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="module")
def widget_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """One daphne and one small catalogue for the module, with short polling and stream timings
    and its own media folder."""
    media = str(tmp_path_factory.mktemp("media"))
    media_settings = override_settings(MEDIA_ROOT=media)
    media_settings.enable()
    with django_db_blocker.unblock():
        data = build_shop()
        server = start_daphne(env={"DJANGO_SETTINGS_MODULE": "tests.browser.settings_widget", "MEDIA_ROOT": media})
    yield SimpleNamespace(server=server, **data)
    server.stop()
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
    media_settings.disable()


@pytest.fixture
def shop(widget_server, transactional_db):
    token = AccessToken.for_user(widget_server.agent)
    with httpx.Client(
        base_url=widget_server.server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as agent_api:
        yield SimpleNamespace(agent_api=agent_api, **vars(widget_server))


@pytest.fixture
def errors(page):
    """Script errors of the page; a test ends by asserting there were none. Nothing leaves the machine."""
    found = []
    page.on("pageerror", lambda error: found.append(str(error)))
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
    return found


def make_customer(shop, password=None, first="Eka", last="Pratama"):
    n = next(counter)
    user = get_user_model().objects.create_user(
        f"customer{n}", f"customer{n}@example.com", password, first_name=first, last_name=last
    )
    return user


def sign_in(page, shop, user):
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": shop.server.url}])


def customer_api(shop, user):
    return httpx.Client(
        base_url=shop.server.url, headers={"Authorization": f"Bearer {AccessToken.for_user(user)}"}, timeout=10
    )


def open_room_for(shop, user, subject="Delivery to Bandung", message="When does my order arrive?"):
    with customer_api(shop, user) as api:
        response = api.post("/api/chat/rooms", json={"subject": subject, "message": message})
    assert response.status_code == 201, response.text
    return response.json()


def agent_says(shop, room_id, text=None, **data):
    response = shop.agent_api.post(f"/api/chat/rooms/{room_id}", json={"message": text, **data} if text else data)
    assert response.status_code == 201, response.text
    return response.json()


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def shot(screenshot, name):
    screenshot(name, animations="disabled")


def open_widget(page, shop, path="/"):
    page.goto(shop.server.url + path)
    page.locator(".oc-launcher").click()
    expect(page.locator(".oc-panel")).to_be_visible()


def widget_log(page):
    return page.locator(".oc-log")


def test_signed_out_visitor_is_invited_to_sign_in_and_comes_back_to_the_same_page(shop, page, screenshot, errors):
    user = make_customer(shop, password="pass-12345")
    product_path = f"/catalogue/{shop.products['coffee'].slug}_{shop.products['coffee'].pk}/"
    open_widget(page, shop, product_path)
    link = page.get_by_role("link", name="Sign in to chat")
    expect(link).to_be_visible()
    expect(page.locator(".oc-title")).to_have_text("Chat with us")
    shot(screenshot, "widget-signed-out")

    link.click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.fill("#id_login-username", user.email)
    page.fill("#id_login-password", "pass-12345")
    page.click("button[name=login_submit]")
    expect(page).to_have_url(shop.server.url + product_path)
    # Signed in, the widget opens again by itself: no conversation yet, so the form to start one.
    expect(page.locator(".oc-panel")).to_be_visible()
    expect(page.get_by_label("Subject")).to_be_visible()
    assert errors == []


def test_customer_starts_a_conversation_and_the_agent_replies_live(shop, page, screenshot, errors):
    user = make_customer(shop)
    sign_in(page, shop, user)
    open_widget(page, shop)
    expect(page.locator(".oc-title")).to_have_text("New conversation")
    page.get_by_label("Subject").fill("Gift wrapping")
    page.get_by_label("Message", exact=True).fill("Can you wrap the coffee as a gift?")
    page.get_by_role("button", name="Start conversation").click()

    mine = widget_log(page).locator(".oc-mine")
    expect(mine).to_have_count(1)
    expect(mine.locator(".oc-msg-text")).to_have_text("Can you wrap the coffee as a gift?")
    expect(page.locator(".oc-title")).to_have_text("Gift wrapping")
    room = ChatRoom.objects.get(user=user)

    # The customer types: the agent is told (the widget reports typing to the API).
    composer = page.get_by_role("textbox", name="Message")
    with page.expect_request(lambda r: r.url.endswith(f"/rooms/{room.pk}/typing") and r.method == "POST") as typing:
        composer.type("And a card", delay=20)
    assert typing.value.post_data_json == {"is_typing": True}

    # The agent types and answers: both show without a reload.
    assert shop.agent_api.post(f"/api/chat/rooms/{room.pk}/typing", json={"is_typing": True}).status_code == 204
    expect(page.locator(".oc-typing")).to_have_text("Budi Santoso is typing…")
    shot(screenshot, "widget-agent-typing")
    agent_says(shop, room.pk, "Of course! Gift wrapping is free.")
    theirs = widget_log(page).locator(".oc-theirs")
    expect(theirs).to_have_count(1)
    expect(theirs.locator(".oc-msg-text")).to_have_text("Of course! Gift wrapping is free.")
    expect(theirs.locator(".oc-msg-sender")).to_contain_text("Budi Santoso")
    expect(page.locator(".oc-typing")).to_have_text("")

    # Enter sends, Shift+Enter breaks the line; the message is sent once (optimistic, then confirmed).
    composer.fill("")
    composer.type("Thanks!")
    composer.press("Shift+Enter")
    composer.type("Second line")
    composer.press("Enter")
    expect(mine).to_have_count(2)
    expect(mine.nth(1).locator(".oc-msg-text")).to_have_text("Thanks!\nSecond line")
    expect(mine.nth(1)).to_have_class(re.compile(r"\boc-sent\b"))
    expect(mine.nth(1).locator(".oc-msg-state")).to_have_text("Sent")
    expect(composer).to_have_value("")

    # The agent reads it: "Seen".
    assert shop.agent_api.post(f"/api/chat/rooms/{room.pk}/read").status_code == 200
    expect(mine.nth(1).locator(".oc-msg-state")).to_have_text("Seen")
    shot(screenshot, "widget-conversation")

    texts = list(ChatMessage.objects.filter(room=room).order_by("id").values_list("message", flat=True))
    assert texts == [
        "Can you wrap the coffee as a gift?",
        "Of course! Gift wrapping is free.",
        "Thanks!\nSecond line",
    ]
    # The customer had the reply on screen: it is read.
    wait_until(lambda: ChatRoom.objects.get(pk=room.pk).customer_unread_count == 0)

    # The panel and the conversation stay open across page loads.
    page.goto(shop.server.url + "/catalogue/")
    expect(page.locator(".oc-panel")).to_be_visible()
    expect(page.locator(".oc-title")).to_have_text("Gift wrapping")
    expect(widget_log(page).locator(".oc-msg")).to_have_count(3)
    page.get_by_role("button", name="Close chat").first.click()
    expect(page.locator(".oc-panel")).to_be_hidden()
    page.reload()
    expect(page.locator(".oc-launcher")).to_be_visible()
    expect(page.locator(".oc-panel")).to_be_hidden()
    assert errors == []


def test_list_unread_badge_and_page_title_while_in_the_background(shop, page, screenshot, errors):
    user = make_customer(shop)
    first = open_room_for(shop, user, "Order 1001 status", "Has order 1001 shipped?")
    second = open_room_for(shop, user, "Size of the batik shirt", "Does L fit a 100 cm chest?")
    ChatRoom.objects.filter(pk=first["id"]).update(status="RESOLVED")
    agent_says(shop, second["id"], "Yes, L fits a 100 cm chest.")
    sign_in(page, shop, user)
    page.goto(shop.server.url + "/")
    launcher = page.locator(".oc-launcher")
    expect(launcher.locator(".oc-badge")).to_have_text("1")
    expect(launcher).to_have_attribute("aria-label", "Chat with us, 1 unread message")

    # A message while the tab is in the background: the count in the badge and in the title.
    title = page.title()
    assert not title.startswith("(")
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    expect(page).to_have_title(f"(1) {title}")
    agent_says(shop, second["id"], "It is also available in XL.")
    expect(launcher.locator(".oc-badge")).to_have_text("2")
    expect(page).to_have_title(f"(2) {title}")
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    expect(page).to_have_title(title)

    launcher.click()
    rooms = page.locator(".oc-room")
    expect(rooms).to_have_count(2)
    expect(rooms.nth(0).locator(".oc-room-subject")).to_have_text("Size of the batik shirt")
    expect(rooms.nth(0).locator(".oc-room-last")).to_have_text("It is also available in XL.")
    expect(rooms.nth(0).locator(".oc-count")).to_have_text("2 unread")
    expect(rooms.nth(0).locator(".oc-pill")).to_have_text("Open")
    expect(rooms.nth(1).locator(".oc-pill")).to_have_text("Resolved")
    expect(page.get_by_role("button", name=re.compile("Continue"))).to_contain_text("Size of the batik shirt")
    shot(screenshot, "widget-conversation-list")

    # Opening it reads it: the badge goes.
    rooms.nth(0).click()
    expect(widget_log(page).locator(".oc-theirs")).to_have_count(2)
    expect(launcher.locator(".oc-badge")).to_be_hidden()

    # A resolved conversation says so; writing to it reopens it.
    page.get_by_role("button", name="All conversations").click()
    page.locator(".oc-room").nth(1).click()
    expect(page.locator(".oc-note")).to_have_text("This conversation was resolved. Write a message to reopen it.")
    page.get_by_role("textbox", name="Message").fill("One more question")
    page.get_by_role("textbox", name="Message").press("Enter")
    expect(page.locator(".oc-head .oc-pill")).to_have_text("Open")
    expect(page.locator(".oc-note")).to_be_hidden()
    assert errors == []


def test_older_messages_load_when_scrolling_up(shop, page, errors):
    user = make_customer(shop)
    room = open_room_for(shop, user, "A long conversation", "Message 1")
    chat = ChatRoom.objects.get(pk=room["id"])
    agent = shop.agent
    ChatMessage.objects.bulk_create(
        [ChatMessage(room=chat, sender=agent if n % 2 else user, message=f"Message {n}") for n in range(2, 121)]
    )
    sign_in(page, shop, user)
    open_widget(page, shop)
    page.locator(".oc-room").first.click()
    messages = widget_log(page).locator(".oc-msg")
    expect(messages).to_have_count(50)
    expect(messages.last.locator(".oc-msg-text")).to_have_text("Message 120")
    widget_log(page).evaluate("log => { log.scrollTop = 0; }")
    expect(messages).to_have_count(100)
    expect(messages.last.locator(".oc-msg-text")).to_have_text("Message 120")
    # Keyboard users get a button for the same.
    page.get_by_role("button", name="Load older messages").click()
    expect(messages).to_have_count(120)
    expect(messages.first.locator(".oc-msg-text")).to_have_text("Message 1")
    expect(page.get_by_role("button", name="Load older messages")).to_be_hidden()
    assert errors == []


def test_messages_written_offline_wait_survive_a_reload_and_go_in_order(shop, page, screenshot, errors):
    user = make_customer(shop)
    room = open_room_for(shop, user)
    sign_in(page, shop, user)
    open_widget(page, shop)
    page.locator(".oc-room").first.click()
    expect(widget_log(page).locator(".oc-msg")).to_have_count(1)

    def offline(route):
        route.abort() if route.request.method == "POST" else route.continue_()

    page.route(f"**/api/chat/rooms/{room['id']}", offline)
    composer = page.get_by_role("textbox", name="Message")
    for text in ("Is the Luwak back in stock?", "And the Gayo?"):
        composer.fill(text)
        composer.press("Enter")
    queued = widget_log(page).locator(".oc-mine.oc-queued")
    expect(queued).to_have_count(2)
    expect(queued.first.locator(".oc-msg-state")).to_have_text("Waiting for the connection…")
    expect(queued.first.locator(".oc-msg-error")).to_contain_text("offline")
    expect(page.locator(".oc-outbox")).to_contain_text("2 messages wait for the connection")
    shot(screenshot, "widget-offline-queue")
    phone_shot(page, screenshot, "widget-offline-queue-phone")

    # Kept across a reload (with their client_id), still waiting while the connection is down.
    page.reload()
    expect(queued).to_have_count(2)
    expect(queued.locator(".oc-msg-text")).to_have_text(["Is the Luwak back in stock?", "And the Gayo?"])

    # The connection returns: they go by themselves, in order, each once.
    page.unroute(f"**/api/chat/rooms/{room['id']}", offline)
    expect(widget_log(page).locator(".oc-mine.oc-sent")).to_have_count(3, timeout=40_000)
    expect(page.locator(".oc-outbox")).to_be_hidden()
    texts = list(ChatMessage.objects.filter(room_id=room["id"]).order_by("id").values_list("message", flat=True))
    assert texts == ["When does my order arrive?", "Is the Luwak back in stock?", "And the Gayo?"]
    page.reload()
    expect(widget_log(page).locator(".oc-msg")).to_have_count(3)
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('oscar-chat:outbox'))") == []
    assert errors == []


def test_a_refused_message_says_why_and_can_be_retried_or_discarded(shop, page, errors):
    user = make_customer(shop)
    room = open_room_for(shop, user)
    for n in range(12):  # a thread taller than the panel: the refusal must still be in view
        agent_says(shop, room["id"], f"Reply {n}: we are checking the warehouse for your order, one moment please.")
    sign_in(page, shop, user)
    open_widget(page, shop)
    page.locator(".oc-room").first.click()

    def refuse(route):
        if route.request.method == "POST":
            route.fulfill(status=400, json={"message": ["This message was refused."]})
        else:
            route.continue_()

    page.route(f"**/api/chat/rooms/{room['id']}", refuse)
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("First try")
    composer.press("Enter")
    failed = widget_log(page).locator(".oc-mine.oc-failed")
    expect(failed).to_have_count(1)
    expect(failed.locator(".oc-msg-state")).to_have_text("Not sent")
    expect(failed.locator(".oc-msg-error")).to_have_text("This message was refused.")
    expect(failed.get_by_role("button", name="Retry")).to_be_in_viewport(ratio=1)
    composer.fill("Second")
    composer.press("Enter")
    expect(failed).to_have_count(2)
    failed.nth(1).get_by_role("button", name="Discard").click()
    expect(failed).to_have_count(1)
    page.unroute(f"**/api/chat/rooms/{room['id']}", refuse)
    failed.get_by_role("button", name="Retry").click()
    expect(widget_log(page).locator(".oc-mine.oc-sent")).to_have_count(2)
    expect(failed).to_have_count(0)
    assert ChatMessage.objects.filter(room_id=room["id"], message="First try").count() == 1
    assert not ChatMessage.objects.filter(room_id=room["id"], message="Second").exists()
    assert errors == []


def test_customer_shares_a_product_and_buys_from_a_card(shop, page, screenshot, errors):
    coffee, luwak = shop.products["coffee"], shop.products["luwak"]
    user = make_customer(shop)
    room = open_room_for(shop, user, "Coffee for a gift", "Which coffee do you recommend?")
    agent_says(shop, room["id"], "This one is our favourite.")
    agent_says(shop, room["id"], message_type="PRODUCT", product_id=coffee.pk)
    sign_in(page, shop, user)
    open_widget(page, shop)
    page.locator(".oc-room").first.click()
    expect(widget_log(page).locator(".oc-msg")).to_have_count(3)

    # The product dialog: results as one types, keyboard to choose, focus back where it was.
    share = page.get_by_role("button", name="Share a product")
    share.click()
    dialog = page.get_by_role("dialog", name="Share a product")
    search = dialog.get_by_label("Search products")
    expect(search).to_be_focused()
    expect(dialog.locator(".oc-pick")).to_have_count(3)  # newest products before any typing
    search.press_sequentially("luwak", delay=30)
    results = dialog.locator(".oc-pick")
    expect(results).to_have_count(1)
    expect(results.first.locator(".oc-card-title")).to_have_text(luwak.title)
    # Printed as Oscar's |currency prints it on the store's pages (Babel decides the decimals).
    expect(results.first.locator(".oc-card-price")).to_have_text(currency(Decimal("450000"), "IDR"))
    expect(results.first.locator(".oc-card-stock")).to_have_class(re.compile(r"\boc-out\b"))
    expect(dialog.get_by_role("status")).to_have_text("1 product")
    shot(screenshot, "widget-product-picker")
    search.press("ArrowDown")
    expect(results.first).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(share).to_be_focused()
    shared = widget_log(page).locator(".oc-mine").last
    expect(shared.locator(".oc-card-title")).to_have_text(luwak.title)
    expect(shared).to_have_class(re.compile(r"\boc-sent\b"))
    assert (
        ChatMessage.objects.filter(room_id=room["id"], message_type="PRODUCT", product=luwak, sender=user).count() == 1
    )
    # Out of stock: no basket button to press, and the card says why.
    expect(shared.get_by_role("button", name="Add to basket")).to_be_disabled()
    expect(shared.locator(".oc-card-stock")).not_to_be_empty()

    # Escape closes the dialog too.
    share.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(share).to_be_focused()

    # The agent's card: basket (the header total follows), wishlist, details in a new tab.
    card = widget_log(page).locator(".oc-theirs .oc-card")
    expect(card.locator(".oc-card-title")).to_have_text(coffee.title)
    expect(card.locator(".oc-card-price")).to_have_text(currency(Decimal("85000"), "IDR"))
    expect(card.locator(".oc-card-cat")).to_have_text("Food > Coffee")
    expect(card.locator("img.oc-card-img")).to_be_visible()
    details = card.get_by_role("link", name=re.compile("View details"))
    expect(details).to_have_attribute("target", "_blank")
    expect(details).to_have_attribute("rel", "noopener")
    expect(details).to_have_attribute("href", coffee.get_absolute_url())
    card.get_by_role("button", name="Add to basket").click()
    expect(card.locator(".oc-card-feedback")).to_contain_text("Added to your basket.")
    expect(page.locator(".basket-mini")).to_contain_text(currency(Decimal("85000"), "IDR"))
    card.get_by_role("button", name="Add to wishlist").click()
    expect(card.locator(".oc-card-feedback")).to_contain_text("Added to your wishlist.")
    card.get_by_role("button", name="Add to wishlist").click()
    expect(card.locator(".oc-card-feedback")).to_contain_text("Already in your wishlist.")
    shot(screenshot, "widget-product-card")

    # Stock ran out since the card was drawn: Oscar's reason, in words, and nothing added.
    StockRecord.objects.filter(product=coffee).update(num_in_stock=0)
    try:
        card.get_by_role("button", name="Add to basket").click()
        expect(card.locator(".oc-card-feedback.oc-error")).not_to_be_empty()
    finally:
        StockRecord.objects.filter(product=coffee).update(num_in_stock=40)  # the module's other tests share it

    page.goto(shop.server.url + "/basket/")
    lines = page.locator("#basket_formset .basket-items")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text(coffee.title)
    expect(lines.first.locator("input[name$=quantity]")).to_have_value("1")
    assert errors == []


def test_messages_and_product_titles_render_as_text(shop, page, screenshot, errors):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    user = make_customer(shop, first=XSS, last="")
    room = open_room_for(shop, user, subject=XSS, message=XSS)
    agent_says(shop, room["id"], XSS)
    agent_says(shop, room["id"], message_type="PRODUCT", product_id=shop.products["tea"].pk)
    sign_in(page, shop, user)
    open_widget(page, shop)
    expect(page.locator(".oc-room-subject")).to_have_text(XSS)
    page.locator(".oc-room").first.click()
    texts = widget_log(page).locator(".oc-msg-text")
    expect(texts).to_have_count(2)
    expect(texts.nth(0)).to_have_text(XSS)
    expect(texts.nth(1)).to_have_text(XSS)
    expect(widget_log(page).locator(".oc-card-title")).to_have_text(XSS_TITLE)
    expect(page.locator(".oc-title")).to_have_text(XSS)
    shot(screenshot, "widget-xss-as-text")
    assert page.locator(".oc-widget img[src=x], .oc-widget img[src$='/x']").count() == 0
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert dialogs == []
    assert errors == []


def test_the_widget_catches_up_after_the_server_restarts(shop, page, screenshot, errors):
    user = make_customer(shop)
    room = open_room_for(shop, user, "Restart", "Are you there?")
    sign_in(page, shop, user)
    open_widget(page, shop)
    page.locator(".oc-room").first.click()
    expect(widget_log(page).locator(".oc-msg")).to_have_count(1)
    agent_says(shop, room["id"], "Yes, here.")
    expect(widget_log(page).locator(".oc-theirs")).to_have_count(1)

    server = shop.server
    port = server.port
    server.stop()
    chat = ChatRoom.objects.get(pk=room["id"])
    services.post_message(chat, shop.agent, message="Sent while you were away.")
    expect(page.locator(".oc-conn")).to_be_visible()
    shot(screenshot, "widget-reconnecting")
    deadline = time.monotonic() + 15
    while True:
        try:
            server.start(port=port)
            break
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)

    theirs = widget_log(page).locator(".oc-theirs .oc-msg-text")
    expect(theirs).to_have_count(2, timeout=20_000)
    expect(theirs.nth(1)).to_have_text("Sent while you were away.")
    expect(page.locator(".oc-conn")).to_be_hidden()  # the stream is back
    agent_says(shop, room["id"], "And this one live.")
    expect(theirs).to_have_count(3)
    expect(theirs.nth(2)).to_have_text("And this one live.")
    assert widget_log(page).locator(".oc-msg").count() == 4  # nothing twice
    assert errors == []


def test_without_the_stream_the_widget_polls(shop, page, errors):
    page.route(re.compile(r"/api/chat/sse\?"), lambda route: route.abort())  # a proxy that blocks streams
    user = make_customer(shop)
    room = open_room_for(shop, user, "No stream here", "Can you hear me?")
    sign_in(page, shop, user)
    open_widget(page, shop)
    page.locator(".oc-room").first.click()
    expect(page.locator(".oc-conn")).to_have_text(re.compile("checking for new messages every few seconds"))
    agent_says(shop, room["id"], "Loud and clear.")
    theirs = widget_log(page).locator(".oc-theirs .oc-msg-text")
    expect(theirs).to_have_text(["Loud and clear."])
    page.get_by_role("textbox", name="Message").fill("Great")
    page.get_by_role("textbox", name="Message").press("Enter")
    expect(widget_log(page).locator(".oc-mine.oc-sent")).to_have_count(2)
    agent_says(shop, room["id"], "Anything else?")
    expect(theirs).to_have_text(["Loud and clear.", "Anything else?"])
    # Polling went over the same messages again and again: each shows once.
    expect(widget_log(page).locator(".oc-msg")).to_have_count(4)
    assert errors == []


def test_narrow_screens_get_the_widget_full_screen(shop, page, screenshot, errors):
    page.set_viewport_size({"width": 375, "height": 740})
    user = make_customer(shop)
    room = open_room_for(shop, user, "On my phone", "Hello from my phone")
    agent_says(shop, room["id"], "Hello! How can we help?")
    sign_in(page, shop, user)
    open_widget(page, shop)
    page.locator(".oc-room").first.click()
    expect(widget_log(page).locator(".oc-msg")).to_have_count(2)
    box = page.locator(".oc-panel").bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 375, 740)
    expect(page.locator(".oc-launcher")).to_be_hidden()  # the header's close button closes it
    shot(screenshot, "widget-mobile")
    page.keyboard.press("Escape")
    expect(page.locator(".oc-panel")).to_be_hidden()
    expect(page.locator(".oc-launcher")).to_be_focused()
    assert errors == []


def test_switching_the_store_to_indonesian_translates_the_widget(shop, page, screenshot, errors):
    user = make_customer(shop)
    sign_in(page, shop, user)
    page.goto(shop.server.url + "/")
    page.select_option("#language_selector select[name=language]", "id")
    page.locator("#language_selector button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    launcher = page.locator(".oc-launcher")
    expect(launcher).to_have_attribute("aria-label", "Chat dengan kami")
    launcher.click()
    expect(page.locator(".oc-title")).to_have_text("Percakapan baru")
    expect(page.get_by_role("button", name="Mulai percakapan")).to_be_visible()
    shot(screenshot, "widget-indonesian")
    page.select_option("#language_selector select[name=language]", "en")
    page.locator("#language_selector button[type=submit]").click()
    expect(page.locator(".oc-launcher")).to_have_attribute("aria-label", re.compile("^Close chat|^Chat with us"))
    assert errors == []


# Widget, second version: just type, ask about a product, attachments, presence, reading comfort.


def product_path(product):
    return f"/catalogue/{product.slug}_{product.pk}/"


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_just_type_the_first_message_and_continue_goes_where_replies_wait(shop, page, screenshot, errors, viewport):
    if viewport:
        page.set_viewport_size(viewport)
    user = make_customer(shop)
    sign_in(page, shop, user)
    open_widget(page, shop)
    expect(page.locator(".oc-title")).to_have_text("New conversation")
    # No subject needed: the message alone starts the conversation.
    start = page.get_by_role("button", name="Start conversation")
    start.click()
    expect(page.locator(".oc-field-error")).to_have_text("Please write a message.")
    message = page.get_by_label("Message", exact=True)
    assert message.get_attribute("aria-describedby") == page.locator(".oc-field-error").get_attribute("id")
    message.fill("Is the Gayo coffee freshly roasted?")
    shot(screenshot, f"widget-just-type-{'phone' if viewport else 'desktop'}")
    start.click()
    expect(widget_log(page).locator(".oc-mine .oc-msg-text")).to_have_text(["Is the Gayo coffee freshly roasted?"])
    expect(page.locator(".oc-title")).to_have_text("Is the Gayo coffee freshly roasted?")
    assert ChatRoom.objects.get(user=user).subject == "Is the Gayo coffee freshly roasted?"

    # "Continue" goes to the conversation with unread replies, not merely the latest one.
    other = open_room_for(shop, user, "Returns", "How do I return a parcel?")
    first = ChatRoom.objects.get(user=user, subject="Is the Gayo coffee freshly roasted?")
    agent_says(shop, first.pk, "Roasted every Monday.")
    page.get_by_role("button", name="All conversations").click()
    continue_button = page.get_by_role("button", name=re.compile("^Continue"))
    expect(continue_button).to_contain_text("Is the Gayo coffee freshly roasted?")
    assert other["id"] != first.pk
    # Buttons look like buttons: a filled primary and an outlined secondary, not text fields. (The list
    # may still redraw for the reply that just came: to_have_css waits for the drawn buttons.)
    for button in (continue_button, page.get_by_role("button", name="New conversation")):
        expect(button).to_have_css("cursor", "pointer")
        expect(button).not_to_have_css("border-radius", "0px")
    expect(continue_button).not_to_have_css(
        "background-color", re.compile(r"^(rgba\(0, 0, 0, 0\)|rgb\(255, 255, 255\))$")
    )
    shot(screenshot, f"widget-continue-{'phone' if viewport else 'desktop'}")
    continue_button.click()
    expect(widget_log(page).locator(".oc-theirs .oc-msg-text")).to_have_text(["Roasted every Monday."])
    assert errors == []


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_ask_about_this_product_from_its_page(shop, page, screenshot, errors, viewport):
    if viewport:
        page.set_viewport_size(viewport)
    coffee = shop.products["coffee"]
    user = make_customer(shop)
    sign_in(page, shop, user)
    page.goto(shop.server.url + product_path(coffee))
    page.get_by_role("button", name="Ask about this product").click()
    panel = page.locator(".oc-panel")
    expect(panel).to_be_visible()
    expect(page.locator(".oc-title")).to_have_text("Ask about this product")
    expect(panel.locator(".oc-card-title")).to_have_text(coffee.title)
    page.get_by_label("Message", exact=True).fill("Is it whole bean or ground?")
    shot(screenshot, f"widget-ask-about-{'phone' if viewport else 'desktop'}")
    page.get_by_role("button", name="Send").click()
    mine = widget_log(page).locator(".oc-mine")
    expect(mine).to_have_count(2)
    expect(mine.nth(0).locator(".oc-card-title")).to_have_text(coffee.title)  # the card first
    expect(mine.nth(1).locator(".oc-msg-text")).to_have_text("Is it whole bean or ground?")
    expect(mine.nth(1)).to_have_class(re.compile(r"\boc-sent\b"))
    room = ChatRoom.objects.get(user=user)
    assert room.subject == coffee.title
    assert [(m.message_type, m.product_id) for m in room.messages.order_by("id")] == [
        ("PRODUCT", coffee.pk),
        ("TEXT", None),
    ]
    # The agent sees which product it is about.
    history = shop.agent_api.get(f"/api/chat/rooms/{room.pk}").json()["results"]
    assert history[0]["product"]["id"] == coffee.pk and history[0]["product"]["title"] == coffee.title
    shot(screenshot, f"widget-ask-about-sent-{'phone' if viewport else 'desktop'}")
    assert errors == []


def test_ask_about_a_basket_line_and_the_panel_leaves_the_basket_totals_alone(shop, page, screenshot, errors):
    tea = shop.products["coffee"]
    user = make_customer(shop)
    sign_in(page, shop, user)
    with customer_api(shop, user) as api:
        api.post(f"/api/chat/products/{tea.pk}/basket", json={"quantity": 1})
    # The panel was open on the previous page…
    open_widget(page, shop)
    page.goto(shop.server.url + "/basket/")
    # …but on the basket page it does not reopen by itself: the totals stay in sight.
    expect(page.locator(".oc-launcher")).to_be_visible()
    expect(page.locator(".oc-panel")).to_have_count(0)
    totals = page.locator("#basket_totals")
    expect(totals).to_be_visible()
    shot(screenshot, "widget-basket-page")
    # A click opens it there (once: the restored state does not toggle it shut again).
    page.locator(".oc-launcher").click()
    expect(page.locator(".oc-panel")).to_be_visible()
    page.wait_for_timeout(300)
    expect(page.locator(".oc-panel")).to_be_visible()
    line = page.locator("#basket_formset .basket-items").first
    line.get_by_role("button", name="Ask about this product").click()
    expect(page.locator(".oc-panel .oc-card-title")).to_have_text(tea.title)
    page.get_by_role("button", name="Send").click()
    expect(widget_log(page).locator(".oc-mine .oc-card-title")).to_have_text(tea.title)
    assert ChatRoom.objects.get(user=user).messages.get().product_id == tea.pk
    # In the list, the shared product's preview has an icon, not an emoji.
    page.get_by_role("button", name="All conversations").click()
    preview = page.locator(".oc-room-last").first
    expect(preview).to_have_text(" " + tea.title)
    expect(preview.locator("svg.oc-icon")).to_have_count(1)
    assert errors == []


def test_a_visitor_asking_about_a_product_signs_in_first_and_lands_in_the_question(shop, page, screenshot, errors):
    page.set_viewport_size(PHONE)
    user = make_customer(shop, password="pass-12345")
    coffee = shop.products["coffee"]
    page.goto(shop.server.url + product_path(coffee))
    page.get_by_role("button", name="Ask about this product").click()
    page.get_by_role("link", name="Sign in to chat").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    # On the sign-in page the full-screen panel is not on top of the form.
    expect(page.locator(".oc-panel")).to_have_count(0)
    expect(page.locator("#id_login-username")).to_be_visible()
    shot(screenshot, "widget-phone-sign-in-form")
    page.fill("#id_login-username", user.email)
    page.fill("#id_login-password", "pass-12345")
    page.click("button[name=login_submit]")
    expect(page).to_have_url(shop.server.url + product_path(coffee))
    expect(page.locator(".oc-panel .oc-card-title")).to_have_text(coffee.title)
    assert errors == []


# A valid PNG (uploads are decoded by the server: a broken one is refused).
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


def test_attachments_pick_paste_and_drop_with_limits_in_words(shop, page, screenshot, errors):
    user = make_customer(shop)
    room = open_room_for(shop, user, "Damaged parcel", "The box arrived dented.")
    sign_in(page, shop, user)
    open_widget(page, shop)
    page.locator(".oc-room").first.click()
    expect(widget_log(page).locator(".oc-msg")).to_have_count(1)
    picker = page.locator(".oc-composer input[type=file]")

    # Picked: an image shows as a thumbnail that opens full size.
    picker.set_input_files({"name": "dent.png", "mimeType": "image/png", "buffer": PNG_1PX})
    image = widget_log(page).locator(".oc-mine.oc-sent img.oc-msg-img")
    expect(image).to_have_count(1)
    link = widget_log(page).locator(".oc-mine a.oc-msg-imglink")
    href = link.get_attribute("href")
    stored = ChatMessage.objects.get(room_id=room["id"], message_type="IMAGE")
    assert stored.attachment
    assert link.get_attribute("target") == "_blank"
    assert page.request.get(shop.server.url + href).status == 200

    # A larger file on a slow connection: its progress shows while it uploads.
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    slow = {"offline": False, "latency": 50, "downloadThroughput": -1, "uploadThroughput": 40 * 1024}
    network.send("Network.emulateNetworkConditions", slow)
    picker.set_input_files(
        {
            "name": "catalogue.pdf",
            "mimeType": "application/pdf",
            "buffer": b"%PDF-1.4\n" + b"0" * 150_000 + b"\n%%EOF\n",
        }
    )
    uploading = widget_log(page).locator(".oc-mine.oc-sending")
    expect(uploading.locator(".oc-msg-state")).to_have_text(re.compile(r"^Uploading… \d+%$"))
    expect(uploading.locator("progress.oc-progress")).to_have_count(1)
    expect(uploading.locator(".oc-file-name")).to_have_text("catalogue.pdf")
    shot(screenshot, "widget-attachment-uploading")
    network.send("Network.emulateNetworkConditions", {**slow, "latency": 0, "uploadThroughput": -1})
    expect(uploading).to_have_count(0)

    # Pasted: a PDF shows its name and size.
    page.get_by_role("textbox", name="Message").focus()
    page.evaluate(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File(["%PDF-1.4\\n%%EOF\\n"], "invoice.pdf", {type: "application/pdf"}));
            const event = new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true});
            document.querySelector(".oc-compose-input").dispatchEvent(event);
        }"""
    )
    file_entry = widget_log(page).locator(".oc-mine.oc-sent .oc-msg-file").last
    expect(file_entry.locator(".oc-file-name")).to_have_text("invoice.pdf")
    expect(file_entry.locator(".oc-file-size")).to_have_text("15 B")

    # Dropped, but too large or of a refused kind: said in words, nothing sent.
    page.evaluate(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File([new Uint8Array(300 * 1024)], "video.png", {type: "image/png"}));
            data.items.add(new File(["<svg/>"], "logo.svg", {type: "image/svg+xml"}));
            const view = document.querySelector(".oc-conversation");
            view.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
        }"""
    )
    refusal = page.locator(".oc-file-error")
    expect(refusal).to_contain_text("“video.png” is 300 KB; files may be at most 200 KB.")
    expect(refusal).to_contain_text("“logo.svg” cannot be sent")
    shot(screenshot, "widget-attachments")
    phone_shot(page, screenshot, "widget-attachments-phone")
    assert ChatMessage.objects.filter(room_id=room["id"]).count() == 4
    assert errors == []


def test_presence_says_online_or_away_with_the_expected_reply_time(shop, page, screenshot, errors):
    user = make_customer(shop)
    sign_in(page, shop, user)
    open_widget(page, shop)
    presence = page.locator(".oc-presence")
    expect(presence).to_have_text("Away. We usually reply within 2 hours.")
    shot(screenshot, "widget-presence-away")
    phone_shot(page, screenshot, "widget-presence-away-phone")

    def reopen():
        page.get_by_role("button", name="Close chat").first.click()
        page.locator(".oc-launcher").click()

    # An agent opens the dashboard (it holds the agent's stream, in the server's process).
    agent_browser = page.context.browser.new_context()
    agent_page = agent_browser.new_page()
    sign_in(agent_page, shop, shop.agent)
    agent_page.goto(shop.server.url + "/admin/oscar_chat/chatroom/")
    expect(agent_page.locator("#oc-connection")).to_have_attribute("data-state", "live")
    reopen()
    expect(presence).to_have_text("Our team is online")
    expect(presence).to_have_class(re.compile(r"\boc-online\b"))
    shot(screenshot, "widget-presence-online")

    # The agent leaves: presence lapses after its time to live.
    agent_browser.close()
    time.sleep(settings_presence_ttl() + 1)
    reopen()
    expect(presence).to_have_text("Away. We usually reply within 2 hours.")
    assert errors == []


def settings_presence_ttl():
    from tests.browser import settings_widget

    return settings_widget.OSCAR_CHAT_PRESENCE_TTL


def test_reading_comfort_groups_initials_days_direction_and_the_length_limit(shop, page, screenshot, errors):
    user = make_customer(shop)
    room = open_room_for(shop, user, "Reading", "Yesterday's question")
    ChatMessage.objects.filter(room_id=room["id"]).update(
        created_at=ChatMessage.objects.get(room_id=room["id"]).created_at - timedelta(days=1)
    )
    agent_says(shop, room["id"], "First answer")
    agent_says(shop, room["id"], "Second answer")
    agent_says(shop, room["id"], "مرحبا، كيف يمكنني المساعدة؟")
    sign_in(page, shop, user)
    open_widget(page, shop)
    page.locator(".oc-room").first.click()
    log = widget_log(page)
    theirs = log.locator(".oc-theirs")
    expect(theirs).to_have_count(3)
    # One sender's run: one avatar with initials and one name; the rest grouped under it.
    expect(theirs.nth(0).locator(".oc-avatar")).to_have_text("BS")
    expect(theirs.nth(1)).to_have_class(re.compile(r"\boc-grouped\b"))
    expect(theirs.nth(1).locator(".oc-avatar")).to_have_count(0)
    # Days are separated.
    expect(log.locator(".oc-day")).to_have_text(["Yesterday", "Today"])
    # Right-to-left text reads right to left.
    arabic = theirs.nth(2).locator(".oc-msg-text")
    assert arabic.get_attribute("dir") == "auto"
    assert arabic.evaluate("n => getComputedStyle(n).direction") == "rtl"

    # Near the limit a counter shows; a 6,000-character paste is not cut but refused in words.
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("a" * 4500)
    counter = page.locator(".oc-conversation .oc-counter")
    expect(counter).to_have_text("4500 of 5000 characters")
    composer.fill("b" * 6000)
    expect(counter).to_contain_text("6000 characters: 1000 over the limit of 5000")
    assert len(composer.input_value()) == 6000
    composer.press("Enter")
    expect(composer).to_have_value("b" * 6000)
    assert ChatMessage.objects.filter(room_id=room["id"]).count() == 4
    composer.fill("Thanks!")
    composer.press("Enter")
    expect(counter).to_be_hidden()
    mine = log.locator(".oc-mine")
    expect(mine.last).to_have_class(re.compile(r"\boc-sent\b"))
    assert shop.agent_api.post(f"/api/chat/rooms/{room['id']}/read").status_code == 200
    expect(mine.last.locator(".oc-msg-state")).to_have_text("Seen")
    expect(log.locator(".oc-msg-state:visible")).to_have_count(1)  # only under the last read message
    shot(screenshot, "widget-reading-comfort")
    phone_shot(page, screenshot, "widget-reading-comfort-phone")
    assert errors == []


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_resolved_note_leaves_the_last_message_in_view_and_icons_are_svg(shop, page, screenshot, errors, viewport):
    if viewport:
        page.set_viewport_size(viewport)
    user = make_customer(shop)
    room = open_room_for(shop, user, "Resolved one", "Message 0")
    for n in range(1, 25):
        agent_says(shop, room["id"], f"Answer {n}")
    ChatRoom.objects.filter(pk=room["id"]).update(status="RESOLVED")
    sign_in(page, shop, user)
    open_widget(page, shop)
    page.locator(".oc-room").first.click()
    expect(page.locator(".oc-note")).to_be_visible()
    last = widget_log(page).locator(".oc-msg").last
    expect(last).to_contain_text("Answer 24")
    page.wait_for_timeout(200)
    log_box = widget_log(page).bounding_box()
    last_box = last.bounding_box()
    assert last_box["y"] + last_box["height"] <= log_box["y"] + log_box["height"] + 1
    note_box = page.locator(".oc-note").bounding_box()
    assert note_box["y"] >= log_box["y"] + log_box["height"] - 1  # below the messages, not over them
    # Icons are inline SVG: no emoji that needs an emoji font.
    text = page.locator("#oscar-chat").inner_text()
    assert not re.search(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]", text)
    assert page.locator("#oscar-chat button svg.oc-icon").count() >= 4
    shot(screenshot, f"widget-resolved-note-{'phone' if viewport else 'desktop'}")
    assert errors == []


def test_the_widget_works_under_a_strict_content_security_policy(shop, page, screenshot):
    """No inline script or style of the widget's own: a strict policy (no 'unsafe-inline') is
    enough. Under Django 6 the tag also carries the page's nonce (tests/test_widget_tag.py).
    The store's own inline scripts are blocked by this policy; only the chat's errors count."""
    chat_errors = []
    page.on("pageerror", lambda e: chat_errors.append(str(e)) if "oscar_chat" in (e.stack or "") else None)
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'"
    )

    def with_policy(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": policy})

    page.route(re.compile(r"/catalogue/$"), with_policy)
    user = make_customer(shop)
    sign_in(page, shop, user)
    open_widget(page, shop, "/catalogue/")
    page.get_by_label("Message", exact=True).fill("Under a strict policy")
    page.get_by_role("button", name="Start conversation").click()
    expect(widget_log(page).locator(".oc-mine.oc-sent")).to_have_count(1)
    page.get_by_role("textbox", name="Message").type("typing grows the box\nline", delay=5)
    chat_violations = [v for v in violations if "oscar_chat" in v or "oc-" in v]
    assert chat_violations == []
    shot(screenshot, "widget-strict-csp")
    assert chat_errors == []


def test_the_link_in_a_reply_email_opens_the_conversation(shop, page, errors):
    user = make_customer(shop)
    room = open_room_for(shop, user, "Batik sizes", "Is there an XL?")
    open_room_for(shop, user, "Another question", "And shipping to Medan?")
    agent_says(shop, room["id"], "Yes, XL is in stock.")
    sign_in(page, shop, user)
    # The link of the customer's reply email, on this server.
    from urllib.parse import urlsplit

    from oscar_chat.operations.services import customer_conversation_url

    link = urlsplit(customer_conversation_url(ChatRoom.objects.get(pk=room["id"])))
    page.goto(f"{shop.server.url}{link.path}?{link.query}")
    expect(page.locator(".oc-panel")).to_be_visible()
    expect(widget_log(page)).to_contain_text("Yes, XL is in stock.")
    assert errors == []


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_resolved_conversation_asks_for_a_rating_from_the_email_link(shop, page, screenshot, errors, viewport):
    """Issue #14: the customer rates 1–5 with an optional comment, sees the rating and can change it.
    The reply email's link (operations) opens the conversation where the rating is asked."""
    from urllib.parse import urlsplit

    from oscar_chat.operations.services import customer_conversation_url

    if viewport:
        page.set_viewport_size(viewport)
    device = "phone" if viewport else "desktop"
    user = make_customer(shop)
    room = open_room_for(shop, user, "Batik size", "Is there an XL?")
    agent_says(shop, room["id"], "Yes, XL is in stock.")
    assert shop.agent_api.patch(f"/api/chat/rooms/{room['id']}/manage", json={"status": "RESOLVED"}).status_code == 200
    sign_in(page, shop, user)
    link = urlsplit(customer_conversation_url(ChatRoom.objects.get(pk=room["id"])))
    page.goto(f"{shop.server.url}{link.path}?{link.query}")
    group = page.get_by_role("radiogroup", name="How did we do? Rate this conversation.")
    expect(group).to_be_visible()
    expect(group.get_by_role("radio")).to_have_count(5)
    expect(widget_log(page).locator(".oc-msg").last).to_be_in_viewport()
    # The comment and the button come with a score; keyboard: arrows move between the radios.
    comment = page.get_by_label("Comment (optional)")
    expect(comment).to_be_hidden()
    page.locator(".oc-star").nth(2).click()
    expect(group.get_by_role("radio", name="3 of 5: OK")).to_be_checked()
    group.get_by_role("radio", name="3 of 5: OK").press("ArrowRight")
    expect(group.get_by_role("radio", name="4 of 5: Good")).to_be_checked()
    expect(page.locator(".oc-star.oc-on")).to_have_count(4)
    comment.fill("Quick and helpful")
    shot(screenshot, f"widget-rating-form-{device}")
    page.get_by_role("button", name="Send rating").click()
    given = page.locator(".oc-rate-given")
    expect(given).to_contain_text("You rated this conversation 4 of 5: Good.")
    expect(page.locator(".oc-rate-comment")).to_have_text("“Quick and helpful”")
    stored = ChatRoom.objects.get(pk=room["id"])
    assert (stored.rating_score, stored.rating_comment) == (4, "Quick and helpful")
    shot(screenshot, f"widget-rating-given-{device}")

    # Changed: the form comes back with the rating given; the new one replaces it.
    page.get_by_role("button", name="Change rating").click()
    expect(group.get_by_role("radio", name="4 of 5: Good")).to_be_checked()
    expect(comment).to_have_value("Quick and helpful")
    page.locator(".oc-star").nth(4).click()
    page.get_by_role("button", name="Send rating").click()
    expect(given).to_contain_text("You rated this conversation 5 of 5: Excellent.")
    wait_until(lambda: ChatRoom.objects.get(pk=room["id"]).rating_score == 5)
    # Shown again after a reload, from the room the API gives.
    page.reload()
    expect(given).to_contain_text("5 of 5: Excellent.")
    assert errors == []


def test_outside_opening_hours_the_widget_says_when_the_shop_replies(shop, page, screenshot, errors):
    """Issue #12 "Presence and expectations" with issue #14's opening hours: closed now, the
    next opening in the customer's own time zone and language."""
    import zoneinfo
    from datetime import datetime
    from datetime import time as clock

    from django.utils import timezone

    from oscar_chat.operations.models import OpeningHours

    store = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    opening_day = timezone.now().astimezone(store).date() + timedelta(days=2)
    hours = OpeningHours.objects.create(weekday=opening_day.weekday(), opens_at=clock(9), closes_at=clock(17))
    try:
        user = make_customer(shop)
        sign_in(page, shop, user)
        page.goto(shop.server.url + "/")
        browser_zone = zoneinfo.ZoneInfo(page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone"))
        opens = datetime.combine(opening_day, clock(9), tzinfo=store).astimezone(browser_zone)
        open_widget(page, shop)
        presence = page.locator(".oc-presence")
        # As the customer's locale writes a weekday and a time ("Monday 02:00 AM" in English).
        hour = rf"(0?{opens.hour % 12 or 12}|{opens:%H}):{opens:%M}(\s?[AP]M)?"
        expect(presence).to_have_text(re.compile(rf"^Closed now\. We reply from {opens:%A},?( at)? {hour}\.$"))
        expect(presence).to_have_class(re.compile(r"\boc-away\b"))
        shot(screenshot, "widget-presence-closed-hours")
        page.set_viewport_size(PHONE)
        shot(screenshot, "widget-presence-closed-hours-phone")
    finally:
        hours.delete()
    assert errors == []


def test_an_indonesian_customer_reads_the_panel_in_indonesian(shop, page, screenshot, errors):
    # The words come from the widget's own catalog (<api>/i18n?lang=id), plurals included.
    user = make_customer(shop)
    room = open_room_for(shop, user, subject="Ukuran kemeja")
    agent_says(shop, room["id"], "Ukuran M tersedia.")
    sign_in(page, shop, user)
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "id", "url": shop.server.url}])
    with page.expect_response(lambda r: "/api/chat/i18n?lang=id" in r.url) as catalog:
        open_widget(page, shop)
    assert catalog.value.status == 200
    expect(page.locator(".oc-title")).to_have_text("Percakapan Anda")
    expect(page.locator(".oc-room .oc-count")).to_have_text("1 belum dibaca")
    expect(page.locator(".oc-continue")).to_contain_text("Lanjutkan")
    page.locator(".oc-continue").click()
    expect(page.get_by_role("textbox", name="Pesan")).to_have_attribute("placeholder", "Tulis pesan…")
    expect(widget_log(page).locator(".oc-msg-text")).to_have_text(["When does my order arrive?", "Ukuran M tersedia."])
    expect(widget_log(page).locator(".oc-day")).to_have_text("Hari ini")
    shot(screenshot, "widget-indonesian")
    assert errors == []
