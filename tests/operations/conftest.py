import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from oscar_chat.models import ChatRoom
from oscar_chat.services import open_room, post_message

JAKARTA = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def run_worker():
    """Runs the database-backed worker (``manage.py db_worker``) until nothing is due; returns tasks run."""
    from django_tasks_db.models import DBTaskResult

    def run():
        before = DBTaskResult.objects.exclude(status="READY").count()
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
        failed = list(DBTaskResult.objects.filter(status="FAILED").values_list("task_path", "exception_class_path"))
        assert not failed, failed
        return DBTaskResult.objects.exclude(status="READY").count() - before

    return run


@pytest.fixture
def clock():
    """``clock.to(datetime)``: the time the code sees from then on (no sleeping)."""

    class Clock:
        traveller = None

        def to(self, moment):
            if self.traveller is not None:
                self.traveller.stop()
            self.traveller = time_machine.travel(moment, tick=False)
            self.traveller.start()
            return moment

        def stop(self):
            if self.traveller is not None:
                self.traveller.stop()

    c = Clock()
    yield c
    c.stop()


def open_conversation(customer, text="Is this in stock?", subject="Stock"):
    return open_room(customer=customer, opened_by=customer, subject=subject, message=text)


def reply(room, agent, text="Yes, it is."):
    message, _ = post_message(room, agent, message=text)
    return message


def reload(room):
    return ChatRoom.objects.get(pk=room.pk)
