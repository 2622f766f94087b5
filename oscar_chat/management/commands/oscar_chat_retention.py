"""Queue the chat's retention sweep (OSCAR_CHAT_RETENTION_DAYS). Run it daily, e.g. from cron."""

from django.core.management.base import BaseCommand

from oscar_chat.operations import tasks


class Command(BaseCommand):
    help = "Queue the deletion of chat data older than its retention period (run daily, e.g. from cron)."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="Run the sweep here instead of queueing it.")

    def handle(self, *args, now=False, **options):
        if now:
            from oscar_chat.operations.services import apply_retention

            self.stdout.write(str(apply_retention()))
            return
        result = tasks.retention_task.using(backend=_backend()).enqueue()
        self.stdout.write(f"Queued {result.id}")


def _backend():
    from oscar_chat import conf

    return conf.get("TASK_BACKEND")
