from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("oscar_chat", "0008_agent_turns"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="chatmessage",
            index=models.Index(
                condition=models.Q(("is_automatic", False)),
                fields=["sender", "created_at"],
                name="chatmessage_sender_written",
            ),
        ),
    ]
