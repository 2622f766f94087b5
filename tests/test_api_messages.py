"""GET and POST /api/chat/rooms/{id}: history pages and sending, idempotency, rate limit."""

import io
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from oscar_chat.models import ChatMessage, ChatRoom

from .factories import db_state, make_product, many_messages, open_room, say

MESSAGE_FIELDS = {
    "id",
    "room",
    "sender",
    "message",
    "message_type",
    "product",
    "attachment",
    "is_read",
    "created_at",
    "client_id",
    "order",
    "voucher",  # API 1.1
}
CARD_FIELDS = {
    "id",
    "title",
    "url",
    "image",
    "price",
    "availability",
    "category",
    "brand",
    "sku",
    "upc",
    "is_parent",
}


@pytest.fixture
def room(customer):
    return open_room(customer, "Delivery to Bandung")


def send(client, room, body, **kwargs):
    kwargs.setdefault("format", "json")
    return client.post(f"/api/chat/rooms/{room.pk}", body, **kwargs)


def fresh(room):
    return ChatRoom.objects.get(pk=room.pk)


# History


def test_history_is_the_newest_50_oldest_first_with_older_pages_behind_next(api, customer, agent, room):
    messages = many_messages(room, [customer, agent], 120)
    client = api(customer)
    page = client.get(f"/api/chat/rooms/{room.pk}").json()
    assert set(page) == {"room", "results", "has_more", "next"}
    assert page["room"]["id"] == room.pk
    assert [m["id"] for m in page["results"]] == [m.pk for m in messages[70:]]
    assert page["has_more"] is True
    assert parse_qs(urlparse(page["next"]).query) == {"before": [str(messages[70].pk)]}
    seen = [m["id"] for m in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen = [m["id"] for m in page["results"]] + seen
    assert page["has_more"] is False
    assert seen == [m.pk for m in messages]


def test_after_gives_up_to_50_newer_messages_with_more_behind_next(api, customer, agent, room):
    messages = many_messages(room, [customer, agent], 120)
    client = api(agent)
    page = client.get(f"/api/chat/rooms/{room.pk}", {"after": messages[9].pk}).json()
    assert [m["id"] for m in page["results"]] == [m.pk for m in messages[10:60]]
    assert page["has_more"] is True
    assert parse_qs(urlparse(page["next"]).query) == {"after": [str(messages[59].pk)]}
    page = client.get(page["next"]).json()
    page = client.get(page["next"]).json()
    assert [m["id"] for m in page["results"]] == [m.pk for m in messages[110:]]
    assert (page["has_more"], page["next"]) == (False, None)
    caught_up = client.get(f"/api/chat/rooms/{room.pk}", {"after": messages[-1].pk}).json()
    assert (caught_up["results"], caught_up["has_more"], caught_up["next"]) == ([], False, None)


def test_before_the_first_message_is_empty(api, customer, room):
    first = many_messages(room, [customer], 3)[0]
    page = api(customer).get(f"/api/chat/rooms/{room.pk}/", {"before": first.pk}).json()
    assert (page["results"], page["has_more"], page["next"]) == ([], False, None)


def test_a_short_history_has_no_next_page(api, customer, agent, room):
    say(room, customer, "Hello?")
    say(room, agent, "Hi!")
    page = api(customer).get(f"/api/chat/rooms/{room.pk}").json()
    assert [m["message"] for m in page["results"]] == ["Hello?", "Hi!"]
    assert (page["has_more"], page["next"]) == (False, None)
    message = page["results"][1]
    assert set(message) == MESSAGE_FIELDS
    assert message["sender"] == {"id": agent.pk, "name": "Budi Santoso", "is_agent": True}
    assert (message["room"], message["message_type"], message["product"], message["attachment"]) == (
        room.pk,
        "TEXT",
        None,
        None,
    )


def test_reading_the_history_changes_nothing(api, customer, agent, room):
    say(room, customer, "Hello?")
    say(room, agent, "Hi!")
    before = db_state()
    for user in (customer, agent):
        assert api(user).get(f"/api/chat/rooms/{room.pk}").status_code == 200
    assert db_state() == before


@pytest.mark.parametrize(
    "query",
    [
        {"before": "1", "after": "1"},
        {"before": "0"},
        {"after": "-1"},
        {"before": "abc"},
        {"after": "1e3"},
        {"before": "99999999999999999999"},
    ],
)
def test_bad_history_cursors_are_400(api, customer, room, query):
    response = api(customer).get(f"/api/chat/rooms/{room.pk}", query)
    assert response.status_code == 400
    assert response.json()


def test_history_costs_the_same_queries_for_5_and_60_messages(
    api, customer, agent, agent2, room, django_assert_max_num_queries
):
    product = make_product()
    say(room, customer, "A product:", message_type="PRODUCT", product=product)
    many_messages(room, [customer, agent, agent2], 4)
    client = api(agent)
    client.get(f"/api/chat/rooms/{room.pk}")  # the agent checks are remembered from then on
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(f"/api/chat/rooms/{room.pk}").json()["results"]) == 5
    many_messages(room, [customer, agent, agent2], 55)
    say(room, agent2, "Another one:", message_type="PRODUCT", product=product)
    # 7 for the page, plus the live product cards' constant 5 (products, stock records, images,
    # categories, brand values), whatever the number of PRODUCT messages.
    with django_assert_max_num_queries(7 + 5):
        with CaptureQueriesContext(connection) as large:
            page = client.get(f"/api/chat/rooms/{room.pk}").json()
    assert len(page["results"]) == 50
    assert len(large) == len(small)
    assert {m["sender"]["id"]: m["sender"]["is_agent"] for m in page["results"]} == {
        customer.pk: False,
        agent.pk: True,
        agent2.pk: True,
    }


# Sending


def test_a_customer_sends_a_text_message(api, customer, room):
    response = send(api(customer), room, {"message": "  Is it shipped?  "})
    assert response.status_code == 201
    message = response.json()
    assert set(message) == MESSAGE_FIELDS
    assert message["message"] == "  Is it shipped?  "
    assert (message["message_type"], message["is_read"], message["client_id"]) == ("TEXT", False, None)
    assert message["sender"] == {"id": customer.pk, "name": "Eka Pratama", "is_agent": False}
    room = fresh(room)
    assert (room.last_message, room.agent_unread_count, room.customer_unread_count) == ("Is it shipped?", 1, 0)
    assert room.last_activity == ChatMessage.objects.get(pk=message["id"]).created_at


def test_the_first_agent_to_reply_is_assigned(api, customer, agent, agent2, room):
    assert send(api(agent), room, {"message": "I'll help you."}).status_code == 201
    assert fresh(room).admin == agent
    assert send(api(agent2), room, {"message": "Me too."}).status_code == 201
    assert fresh(room).admin == agent
    assert fresh(room).customer_unread_count == 2


def test_a_superuser_reply_assigns_the_superuser(api, superuser, room):
    send(api(superuser), room, {"message": "On it."})
    assert fresh(room).admin == superuser


def test_a_customer_message_never_assigns_anyone(api, customer, staff_no_perm, room):
    send(api(customer), room, {"message": "Anyone?"})
    assert fresh(room).admin is None


@pytest.mark.parametrize("status", ["CLOSED", "RESOLVED"])
def test_a_customer_message_reopens_a_closed_or_resolved_room(api, customer, agent, room, status):
    api(agent).patch(f"/api/chat/rooms/{room.pk}/manage", {"status": status}, format="json")
    send(api(agent), room, {"message": "Anything else?"})
    assert fresh(room).status == status  # the agent's own message leaves it as it is
    send(api(customer), room, {"message": "Actually, yes."})
    assert fresh(room).status == "OPEN"


def test_a_product_message_carries_the_product_card(api, customer, room):
    product = make_product("Kopi Robusta Lampung 500g", price="95000", upc="8991001000028")
    response = send(api(customer), room, {"message_type": "PRODUCT", "product_id": product.pk, "message": "This one?"})
    assert response.status_code == 201
    card = response.json()["product"]
    assert set(card) == CARD_FIELDS
    assert (card["id"], card["title"], card["upc"]) == (product.pk, "Kopi Robusta Lampung 500g", "8991001000028")
    assert card["price"] == {"amount": "95000.00", "currency": "IDR", "incl_tax": card["price"]["incl_tax"]}
    assert card["availability"]["is_available_to_buy"] is True
    assert fresh(room).last_message == "This one?"
    history = api(customer).get(f"/api/chat/rooms/{room.pk}").json()["results"]
    assert history[-1]["product"]["id"] == product.pk


@pytest.fixture
def media(file_stores):
    """Where files could land: the public media and the private attachments' folder."""
    return file_stores.media.parent


def png_file(name="photo.png"):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def test_an_image_message_is_a_multipart_upload(api, customer, room, media):
    response = send(api(customer), room, {"message_type": "IMAGE", "file": png_file()}, format="multipart")
    assert response.status_code == 201
    attachment = response.json()["attachment"]
    assert (attachment["name"], attachment["content_type"]) == ("photo.png", "image/png")
    assert attachment["size"] > 0 and attachment["url"] == f"/api/chat/attachments/{response.json()['id']}"
    assert fresh(room).last_message == "🖼 photo.png"


def test_a_file_message_keeps_its_caption(api, agent, room, media):
    pdf = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 tiny", content_type="application/pdf")
    response = send(
        api(agent), room, {"message_type": "FILE", "file": pdf, "message": "Your invoice"}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["message"] == "Your invoice"
    assert response.json()["attachment"]["size"] == len(b"%PDF-1.4 tiny")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message_type": "IMAGE"}, "file"),
        ({"message_type": "IMAGE", "file": "TEXT_FILE"}, "file"),
        ({"message_type": "FILE", "file": "EXE_FILE"}, "file"),
        ({"message_type": "VIDEO", "file": "PNG"}, "message_type"),
    ],
)
def test_bad_uploads_are_400_and_store_nothing(api, customer, room, media, settings, body, field):
    settings.OSCAR_CHAT_MAX_UPLOAD_SIZE = 1000
    files = {
        "TEXT_FILE": lambda: SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"),
        "EXE_FILE": lambda: SimpleUploadedFile("setup.exe", b"MZ", content_type="application/x-msdownload"),
        "PNG": png_file,
    }
    body = {k: files[v]() if v in files else v for k, v in body.items()}
    before = db_state()
    response = send(api(customer), room, body, format="multipart")
    assert response.status_code == 400
    assert field in response.json()
    assert db_state() == before
    assert not list(media.rglob("*.*"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "message"),
        ({"message": ""}, "message"),
        ({"message": " \n\t "}, "message"),
        ({"message": "x" * 5001}, "message"),
        ({"message": "nul\x00byte"}, "message"),
        ({"message": "hi", "message_type": "STICKER"}, "message_type"),
        ({"message": "hi", "message_type": "text"}, "message_type"),
        ({"message_type": "PRODUCT"}, "product_id"),
        ({"message_type": "PRODUCT", "product_id": 987654}, "product_id"),
        ({"message_type": "PRODUCT", "product_id": "HIDDEN"}, "product_id"),
        ({"message_type": "PRODUCT", "product_id": 99999999999999999999}, "product_id"),
        ({"message": "hi", "client_id": "c" * 65}, "client_id"),
        ({"message": "hi", "client_id": ""}, "client_id"),
        ({"message": "hi", "client_id": "nul\x00"}, "client_id"),
    ],
)
def test_invalid_messages_are_400_and_change_nothing(api, customer, room, body, field):
    hidden = make_product("Not yet on sale", public=False)
    body = {k: hidden.pk if v == "HIDDEN" else v for k, v in body.items()}
    before = db_state()
    response = send(api(customer), room, body)
    assert response.status_code == 400
    assert field in response.json()
    assert db_state() == before


def test_a_message_of_exactly_5000_characters_is_accepted(api, customer, room):
    assert send(api(customer), room, {"message": "x" * 5000}).status_code == 201


def test_the_message_length_is_a_setting(api, customer, room, settings):
    settings.OSCAR_CHAT_MAX_MESSAGE_LENGTH = 10
    assert send(api(customer), room, {"message": "x" * 11}).status_code == 400
    assert send(api(customer), room, {"message": "x" * 10}).status_code == 201


# Idempotency


def test_the_same_client_id_from_the_same_sender_returns_the_first_message(api, customer, room):
    client = api(customer)
    first = send(client, room, {"message": "Once", "client_id": "c-64-" + "x" * 59})
    assert first.status_code == 201
    again = send(client, room, {"message": "Once (retried)", "client_id": "c-64-" + "x" * 59})
    assert again.status_code == 200
    assert again.json() == first.json()
    assert ChatMessage.objects.count() == 1
    assert fresh(room).agent_unread_count == 1


def test_the_same_client_id_from_another_sender_or_room_is_a_new_message(api, customer, agent, room):
    send(api(customer), room, {"message": "Hi", "client_id": "abc"})
    by_agent = send(api(agent), room, {"message": "Hello", "client_id": "abc"})
    assert by_agent.status_code == 201
    other_room = open_room(customer, "Another question")
    elsewhere = send(api(customer), other_room, {"message": "Hi again", "client_id": "abc"})
    assert elsewhere.status_code == 201
    assert ChatMessage.objects.filter(client_id="abc").count() == 3
    assert by_agent.json()["client_id"] == "abc"


# Rate limit


def test_customers_are_limited_to_the_configured_rate_with_retry_after(api, customer, other_customer, room, settings):
    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = 3
    client = api(customer)
    for n in range(3):
        assert send(client, room, {"message": f"Message {n}", "client_id": f"m{n}"}).status_code == 201
    before = db_state()
    limited = send(client, room, {"message": "One too many"})
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "detail" in limited.json()
    assert db_state() == before
    # A retry of a message that went through is not a new message: it still answers.
    assert send(client, room, {"message": "Message 0", "client_id": "m0"}).status_code == 200
    # Opening a room with a first message is sending too.
    assert client.post("/api/chat/rooms", {"subject": "New", "message": "Hi"}, format="json").status_code == 429
    assert db_state() == before
    # The limit is per customer.
    theirs = open_room(other_customer, "Mine")
    assert send(api(other_customer), theirs, {"message": "Hello"}).status_code == 201


def test_the_default_limit_is_30_messages_a_minute(api, customer, room):
    now = timezone.now()
    ChatMessage.objects.bulk_create(
        ChatMessage(room=room, sender=customer, message=str(n), created_at=now - timedelta(seconds=50))
        for n in range(29)
    )
    # Older messages are outside the window.
    ChatMessage.objects.bulk_create(
        ChatMessage(room=room, sender=customer, message="old", created_at=now - timedelta(seconds=61)) for n in range(5)
    )
    client = api(customer)
    assert send(client, room, {"message": "30th"}).status_code == 201
    limited = send(client, room, {"message": "31st"})
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 11


def test_replays_of_a_client_id_do_not_count(api, customer, room, settings):
    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = 2
    client = api(customer)
    for _ in range(5):
        assert send(client, room, {"message": "Hi", "client_id": "same"}).status_code in (200, 201)
    assert send(client, room, {"message": "Second"}).status_code == 201


def test_agents_are_never_limited(api, agent, superuser, room, settings):
    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = 2
    for user in (agent, superuser):
        client = api(user)
        for n in range(6):
            assert send(client, room, {"message": f"Reply {n}"}).status_code == 201


def test_staff_without_the_permission_is_limited_like_a_customer(api, staff_no_perm, settings):
    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = 1
    room = open_room(staff_no_perm, "Staff asking")
    client = api(staff_no_perm)
    assert send(client, room, {"message": "One"}).status_code == 201
    assert send(client, room, {"message": "Two"}).status_code == 429
