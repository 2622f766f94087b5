"""The extension signals (docs/extending.md): sent once the write commits, never for a rollback."""

import pytest
from django.db import transaction

from oscar_chat import services, signals

from .factories import open_room, say


@pytest.fixture
def heard():
    got = []

    def message_receiver(sender, message, room, **kwargs):
        got.append(("message_posted", message.message, room.agent_unread_count))

    def room_receiver(sender, room, changed, **kwargs):
        got.append(("room_changed", room.pk, changed))

    def failing_receiver(sender, **kwargs):
        raise RuntimeError("a store's receiver failed")

    signals.message_posted.connect(failing_receiver)
    signals.message_posted.connect(message_receiver)
    signals.room_changed.connect(room_receiver)
    yield got
    signals.message_posted.disconnect(failing_receiver)
    signals.message_posted.disconnect(message_receiver)
    signals.room_changed.disconnect(room_receiver)


def test_signals_follow_the_commit(customer, agent, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        room = open_room(customer)
    assert heard == [("room_changed", room.pk, ("created",))]
    heard.clear()

    with django_capture_on_commit_callbacks(execute=False) as pending:
        say(room, customer, "Is it in stock?")
    assert heard == []  # not before the commit
    for callback in pending:
        callback()  # a receiver that raises stops neither the others nor the write
    assert heard == [("message_posted", "Is it in stock?", 1)]
    heard.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.manage_room(room, status="RESOLVED", by=agent)
    assert heard == [("room_changed", room.pk, ("status",))]


def test_no_signal_for_a_write_that_rolled_back(customer, heard, django_capture_on_commit_callbacks):
    room = open_room(customer)
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            say(room, customer, "never sent")
            raise RuntimeError("the surrounding write failed")
    assert heard == []
