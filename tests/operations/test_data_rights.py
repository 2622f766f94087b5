"""Data rights: export of a customer's conversations, erasure, retention of attachments."""

import datetime as dt
import io
import json
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from oscar_chat.models import ChatMessage, ChatRoom
from oscar_chat.services import post_message

from .conftest import open_conversation, reload, reply

pytestmark = pytest.mark.django_db


def _png():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def send_file(room, sender, name="receipt.png"):
    upload = SimpleUploadedFile(name, PNG, content_type="image/png")
    message, _ = post_message(room, sender, message_type="IMAGE", file=upload)
    return message


@pytest.fixture
def conversation(customer, agent):
    room = open_conversation(customer, text="My address is Jalan Melati 5")
    reply(room, agent, "Thanks Eka, noted.")
    attachment = send_file(room, customer)
    return room, attachment


def test_agent_exports_a_customers_conversations_as_a_zip(conversation, customer, agent, client):
    client.force_login(agent)
    response = client.get(f"/admin/oscar_chat/chatroom/customer/{customer.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("conversations.json"))
    assert data["customer"]["email"] == customer.email
    [exported] = data["conversations"]
    assert [m["message"] for m in exported["messages"]][:2] == ["My address is Jalan Melati 5", "Thanks Eka, noted."]
    path = exported["messages"][2]["attachment"]
    assert archive.read(path) == PNG


def test_export_is_refused_to_a_customer(conversation, customer, client):
    client.force_login(customer)
    response = client.get(f"/admin/oscar_chat/chatroom/customer/{customer.pk}/export/")
    assert response.status_code in (302, 403)
    assert response["Content-Type"] != "application/zip"


def chat_data_dump():
    """Everything the chat and Oscar's sent-email log hold, as text (dumpdata of both apps)."""
    out = io.StringIO()
    call_command("dumpdata", "oscar_chat", "communication", stdout=out)
    return out.getvalue()


@pytest.fixture
def traces(conversation, customer, other_customer, agent, oscar_site, mailoutbox):
    """What a conversation leaves besides its messages: a note, an order card, labels, a rating
    comment, the reply digest and the agents' notice in Oscar's email log, the page reported;
    and another customer's conversation and emails, which erasure must leave alone."""
    from oscar.test.factories import create_order

    from oscar_chat.operations import services as operations
    from oscar_chat.presence import customer_page, remember_customer_page

    room, _attachment = conversation
    post_message(room, agent, message="Eka prefers WhatsApp 0812-555", message_type="NOTE")
    order = create_order(number="MELATI-77", user=customer)
    post_message(room, agent, message_type="ORDER", order=order)
    ChatRoom.objects.filter(pk=room.pk).update(
        status="RESOLVED", rating_score=4, rating_comment="Eka was happy", labels=["melati-vip"]
    )
    assert operations.send_reply_digest(room.pk) >= 1  # emailed: the customer had no stream open
    assert operations.notify_agents_of_new_room(room.pk) >= 1  # no agent online
    remember_customer_page(customer.pk, {"url": "/catalogue/batik-melati/", "title": "Batik Melati"})
    assert customer_page(customer.pk)

    kept = open_conversation(other_customer, text="Kept: my own question")
    reply(kept, agent, "Kept: our answer")
    assert operations.send_reply_digest(kept.pk) == 1
    assert operations.notify_agents_of_new_room(kept.pk) >= 1
    dump = chat_data_dump()
    for personal in ("Jalan Melati", "WhatsApp", "MELATI-77", "melati-vip", "Eka was happy", "receipt.png"):
        assert personal in dump, personal  # there before: the check below can fail
    return room, kept


PERSONAL = ("Jalan Melati", "Eka", "WhatsApp", "MELATI-77", "melati-vip", "receipt")


def test_erasure_on_request_leaves_nothing_of_the_customer(traces, conversation, customer, superuser, client):
    from oscar.apps.communication.models import Email

    from oscar_chat.presence import customer_page

    room, kept = traces
    path = conversation[1].attachment.path
    client.force_login(superuser)
    response = client.post(f"/admin/oscar_chat/chatroom/customer/{customer.pk}/erase/")
    assert response.status_code == 302

    # Nothing of the customer in the chat's tables nor in Oscar's email log; no file; no page.
    dump = chat_data_dump()
    for personal in PERSONAL:
        assert personal not in dump, personal
    assert not os.path.exists(path)
    assert customer_page(customer.pk) is None
    room = reload(room)
    assert set(room.messages.exclude(message_type="PRODUCT").values_list("message", flat=True)) == {"[erased]"}
    assert room.labels == [] and room.rating_comment == ""
    assert not Email.objects.filter(user=customer).exists()
    assert room.rating_score == 4  # the anonymous figure stays for the reports
    assert room.messages.count() == 5  # the conversation's shape stays: counts and times

    # The other customer's conversation and the emails about it are untouched.
    assert "Kept: my own question" in dump and "Kept: our answer" in dump
    assert Email.objects.filter(body_text__contains=f"/chatroom/{kept.pk}/change/").exists()
    assert Email.objects.filter(user=kept.user).count() == 1


def test_erasure_from_the_admin_action(traces, customer, superuser, client):
    room, kept = traces
    client.force_login(superuser)
    response = client.post(
        "/admin/oscar_chat/chatroom/",
        {"action": "erase_customers_action", "_selected_action": [room.pk]},
    )
    assert response.status_code == 302
    dump = chat_data_dump()
    for personal in PERSONAL:
        assert personal not in dump, personal
    assert "Kept: my own question" in dump


def test_erasure_needs_post(conversation, customer, superuser, client):
    client.force_login(superuser)
    assert client.get(f"/admin/oscar_chat/chatroom/customer/{customer.pk}/erase/").status_code == 405
    assert "Jalan" in reload(conversation[0]).messages.first().message


def test_deleting_the_account_deletes_conversations_files_and_emails(
    traces, conversation, customer, django_capture_on_commit_callbacks
):
    from oscar_chat.presence import customer_page

    room, kept = traces
    path = conversation[1].attachment.path
    with django_capture_on_commit_callbacks(execute=True):
        customer.delete()

    assert not ChatRoom.objects.filter(pk=room.pk).exists()
    assert not ChatMessage.objects.filter(room_id=room.pk).exists()
    assert not os.path.exists(path)
    assert customer_page(customer.pk) is None
    dump = chat_data_dump()
    for personal in PERSONAL:
        assert personal not in dump, personal
    assert "Kept: my own question" in dump


def test_an_agent_account_with_replies_is_not_deleted_and_the_customer_keeps_the_conversation(
    conversation, agent, superuser, client
):
    room, _attachment = conversation
    client.force_login(superuser)
    url = f"/admin/{agent._meta.app_label}/{agent._meta.model_name}/{agent.pk}/delete/"
    page = client.post(url, {"post": "yes"})
    # Django's own refusal page, naming what stands in the way; nothing deleted.
    assert page.status_code == 200
    assert "would require deleting the following protected related objects" in page.content.decode()
    assert type(agent).objects.filter(pk=agent.pk).exists()
    assert "Thanks Eka, noted." in [m.message for m in reload(room).messages.all()]

    # What the store does instead: the account is deactivated; the replies stay, under its name.
    agent.is_active = False
    agent.save()
    assert reload(room).messages.filter(sender=agent).count() == 1


@pytest.mark.django_db(transaction=True)
def test_retention_deletes_old_attachments_through_the_worker(customer, agent, clock, run_worker, settings):
    settings.OSCAR_CHAT_RETENTION_DAYS = {"attachments": 30}
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    clock.to(t0)
    room = open_conversation(customer)
    old = send_file(room, customer, "old.png")
    clock.to(t0 + dt.timedelta(days=20))
    recent = send_file(room, customer, "recent.png")
    old_path, recent_path = old.attachment.path, recent.attachment.path

    clock.to(t0 + dt.timedelta(days=31))
    call_command("oscar_chat_retention")  # what cron runs: queues the sweep
    run_worker()
    assert not os.path.exists(old_path) and os.path.exists(recent_path)
    old, recent = ChatMessage.objects.get(pk=old.pk), ChatMessage.objects.get(pk=recent.pk)
    assert not old.attachment and old.attachment_name == ""
    assert recent.attachment


def test_no_retention_by_default(conversation):
    from oscar_chat.operations.services import apply_retention

    assert apply_retention(dt.datetime(2100, 1, 1, tzinfo=dt.UTC)) == {}
    assert conversation[1].attachment.storage.exists(conversation[1].attachment.name)


@pytest.mark.django_db(transaction=True)
def test_retention_deletes_old_notes_through_the_worker(customer, agent, clock, run_worker, settings):
    settings.OSCAR_CHAT_RETENTION_DAYS = {"attachments": None, "notes": 90}
    settings.OSCAR_CHAT_AUTO_RESOLVE_AFTER = None
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    clock.to(t0)
    room = open_conversation(customer, text="Do you have it in green?")
    post_message(room, agent, message="Asked for a refund last year", message_type="NOTE")
    reply(room, agent, "Yes, in green too.")
    clock.to(t0 + dt.timedelta(days=60))
    post_message(room, agent, message="Ordered the green one", message_type="NOTE")

    clock.to(t0 + dt.timedelta(days=91))
    call_command("oscar_chat_retention")  # what cron runs: queues the sweep
    run_worker()
    texts = list(ChatMessage.objects.filter(room=room).order_by("id").values_list("message", flat=True))
    # The old note is gone; the recent note and everything the customer sees stay.
    assert texts == ["Do you have it in green?", "Yes, in green too.", "Ordered the green one"]


def test_notes_are_kept_by_default(customer, agent):
    from oscar_chat.operations.services import apply_retention

    room = open_conversation(customer)
    post_message(room, agent, message="A note", message_type="NOTE")
    assert apply_retention(dt.datetime(2100, 1, 1, tzinfo=dt.UTC)) == {}
    assert ChatMessage.objects.filter(room=room, message_type="NOTE").exists()
