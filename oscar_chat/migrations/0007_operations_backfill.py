"""Fill first_response_at and resolved_at of rooms that existed before they were kept."""

from django.db import migrations
from django.db.models import F, Min, OuterRef, Subquery


def backfill(apps, schema_editor):
    ChatRoom = apps.get_model("oscar_chat", "ChatRoom")
    ChatMessage = apps.get_model("oscar_chat", "ChatMessage")
    first_reply = (
        ChatMessage.objects.filter(room=OuterRef("pk"))
        .exclude(sender=OuterRef("user"))
        .order_by()
        .values("room")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    ChatRoom.objects.filter(first_response_at__isnull=True).update(first_response_at=Subquery(first_reply))
    # The end of a conversation closed before was not recorded: its last activity is the best estimate.
    ChatRoom.objects.filter(status__in=["RESOLVED", "CLOSED"], resolved_at__isnull=True).update(
        resolved_at=F("last_activity")
    )


class Migration(migrations.Migration):
    dependencies = [("oscar_chat", "0006_operations")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
