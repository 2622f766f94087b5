"""Data rights: export of a customer's conversations, erasure, retention of attachments."""

import datetime as dt
import io
import json
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


def test_erasure_on_request_leaves_nothing_of_the_customer(conversation, customer, superuser, client):
    room, attachment = conversation
    path = attachment.attachment.path
    ChatRoom.objects.filter(pk=room.pk).update(status="RESOLVED", rating_score=4, rating_comment="Eka was happy")
    client.force_login(superuser)
    response = client.post(f"/admin/oscar_chat/chatroom/customer/{customer.pk}/erase/")
    assert response.status_code == 302

    room = reload(room)
    texts = " ".join(ChatMessage.objects.filter(room=room).values_list("message", flat=True))
    for personal in ("Jalan Melati", "Eka", "receipt"):
        assert personal not in texts + room.subject + room.last_message + room.rating_comment
    assert not ChatMessage.objects.filter(room=room).exclude(attachment="").exists()
    assert not ChatMessage.objects.filter(room=room).exclude(attachment_name="").exists()
    import os

    assert not os.path.exists(path)
    assert room.rating_score == 4  # the anonymous figure stays for the reports


def test_erasure_needs_post(conversation, customer, superuser, client):
    client.force_login(superuser)
    assert client.get(f"/admin/oscar_chat/chatroom/customer/{customer.pk}/erase/").status_code == 405
    assert "Jalan" in reload(conversation[0]).messages.first().message


def test_deleting_the_account_deletes_conversations_and_files(
    conversation, customer, django_capture_on_commit_callbacks
):
    room, attachment = conversation
    path = attachment.attachment.path
    with django_capture_on_commit_callbacks(execute=True):
        customer.delete()
    import os

    assert not ChatRoom.objects.filter(pk=room.pk).exists()
    assert not ChatMessage.objects.filter(room_id=room.pk).exists()
    assert not os.path.exists(path)


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
    import os

    assert not os.path.exists(old_path) and os.path.exists(recent_path)
    old, recent = ChatMessage.objects.get(pk=old.pk), ChatMessage.objects.get(pk=recent.pk)
    assert not old.attachment and old.attachment_name == ""
    assert recent.attachment


def test_no_retention_by_default(conversation):
    from oscar_chat.operations.services import apply_retention

    assert apply_retention(dt.datetime(2100, 1, 1, tzinfo=dt.UTC)) == {}
    assert conversation[1].attachment.storage.exists(conversation[1].attachment.name)
