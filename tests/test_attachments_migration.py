"""Migration 0004 moves version 1's public attachments into the private storage."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from PIL import Image

BEFORE = [("oscar_chat", "0003_rate_limit_locks")]
AFTER = [("oscar_chat", "0004_private_attachments")]


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(out, format="PNG")
    return out.getvalue()


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_public_attachments_move_to_private_storage_under_random_names(file_stores):
    old_apps = migrate(BEFORE)
    User = old_apps.get_model("auth", "User")
    ChatRoom = old_apps.get_model("oscar_chat", "ChatRoom")
    ChatMessage = old_apps.get_model("oscar_chat", "ChatMessage")
    customer = User.objects.create(username="legacy")
    room = ChatRoom.objects.create(user=customer, subject="Old files")
    # As version 1 stored them: under MEDIA_ROOT, with the uploader's name and declared type.
    evil = default_storage.save("oscar_chat/2025/01/invoice.html", ContentFile(b"<script>alert(1)</script>"))
    photo = default_storage.save("oscar_chat/2025/01/photo.png", ContentFile(png_bytes()))
    common = {"room": room, "sender": customer}
    evil_message = ChatMessage.objects.create(
        message_type="FILE",
        attachment=evil,
        attachment_name="invoice.html",
        attachment_content_type="image/png",
        **common,
    )
    photo_message = ChatMessage.objects.create(
        message_type="IMAGE",
        attachment=photo,
        attachment_name="photo.png",
        attachment_content_type="image/png",
        **common,
    )
    missing_message = ChatMessage.objects.create(
        message_type="FILE",
        attachment="oscar_chat/2025/01/gone.pdf",
        attachment_name="gone.pdf",
        attachment_content_type="application/pdf",
        **common,
    )
    assert (file_stores.media / evil).exists()

    try:
        new_apps = migrate(AFTER)
        moved = new_apps.get_model("oscar_chat", "ChatMessage").objects.in_bulk()

        assert [p for p in file_stores.media.rglob("*") if p.is_file()] == []
        evil_row, photo_row = moved[evil_message.pk], moved[photo_message.pk]
        assert (evil_row.attachment_content_type, photo_row.attachment_content_type) == (
            "application/octet-stream",
            "image/png",
        )
        assert "invoice" not in evil_row.attachment.name and "photo" not in photo_row.attachment.name
        assert (file_stores.private / evil_row.attachment.name).read_bytes() == b"<script>alert(1)</script>"
        assert (file_stores.private / photo_row.attachment.name).read_bytes() == png_bytes()
        assert evil_row.attachment_name == "invoice.html"
        assert moved[missing_message.pk].attachment_content_type == "application/octet-stream"
    finally:
        migrate(executor_leaf())


def executor_leaf():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes("oscar_chat")
