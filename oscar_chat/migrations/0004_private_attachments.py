"""Attachments move from the public media to the private storage, under random names.

Version 1 stored uploads under MEDIA_ROOT with their uploader's names and declared types.
Each file is copied to the attachments' storage under a random name; its type is what its
content proves: a raster image Pillow decodes, else ``application/octet-stream`` (always
downloaded, never shown in the page). The public copies are deleted once the move commits.
"""

import logging
import secrets
import warnings

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import migrations, models, transaction
from django.utils import timezone

import oscar_chat.attachments

logger = logging.getLogger("oscar_chat.migrations")

# Version 1's image types, by Pillow's format name.
RASTER_TYPES = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "GIF": ("image/gif", ".gif"),
    "WEBP": ("image/webp", ".webp"),
}
UNKNOWN = ("application/octet-stream", ".bin")


def _proven_type(content):
    import io

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=list(RASTER_TYPES)) as image:
                found = image.format
                image.verify()
            with Image.open(io.BytesIO(content), formats=list(RASTER_TYPES)) as image:
                image.load()
    except Exception:  # noqa: BLE001 - anything Pillow cannot decode is not an image
        return UNKNOWN
    return RASTER_TYPES.get(found, UNKNOWN)


def move_to_private_storage(apps, schema_editor):
    ChatMessage = apps.get_model("oscar_chat", "ChatMessage")
    private = oscar_chat.attachments.attachment_storage()
    moved = []
    for message in ChatMessage.objects.exclude(attachment="").only("pk", "attachment").iterator():
        old_name = message.attachment.name
        try:
            with default_storage.open(old_name, "rb") as public_file:
                content = public_file.read()
        except (FileNotFoundError, OSError):
            logger.warning(
                "oscar_chat: attachment %s of message %s is missing; it stays unavailable", old_name, message.pk
            )
            ChatMessage.objects.filter(pk=message.pk).update(attachment_content_type=UNKNOWN[0])
            continue
        content_type, extension = _proven_type(content)
        new_name = private.save(
            f"oscar_chat/{timezone.now():%Y/%m}/{secrets.token_urlsafe(18)}{extension}", ContentFile(content)
        )
        ChatMessage.objects.filter(pk=message.pk).update(
            attachment=new_name, attachment_content_type=content_type, attachment_size=len(content)
        )
        moved.append(old_name)

    def delete_public_copies():
        for name in moved:
            default_storage.delete(name)

    transaction.on_commit(delete_public_copies, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("oscar_chat", "0003_rate_limit_locks"),
    ]

    operations = [
        migrations.AlterField(
            model_name="chatmessage",
            name="attachment",
            field=models.FileField(
                blank=True,
                max_length=255,
                storage=oscar_chat.attachments.attachment_storage,
                upload_to=oscar_chat.attachments.upload_to,
                verbose_name="attachment",
            ),
        ),
        # Going back leaves the files where they are: the private storage stays private.
        migrations.RunPython(move_to_private_storage, migrations.RunPython.noop),
    ]
