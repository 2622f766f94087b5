"""What the chat's operations do when a message is sent or a room opened (connected in apps.ready).

Each receiver only queues background work: the send path stays as fast as it was.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from .. import audience, conf
from ..signals import message_posted, room_changed
from . import hours, presence, tasks
from .models import Holiday, OpeningHours
from .taskapi import enqueue_after_commit


@receiver(message_posted, dispatch_uid="oscar_chat.operations.message_posted")
def on_message_posted(sender: Any, message: Any, room: Any, **kwargs: Any) -> None:
    if not audience.customer_sees(message):
        return  # an internal note: nothing the customer waits on, nothing to email
    if message.sender_id == room.user_id:
        from .services import is_outside_hours

        if is_outside_hours(message.created_at):
            enqueue_after_commit(tasks.away_reply_task, room.pk)
        return
    if not message.is_automatic:
        from .services import schedule_auto_resolve

        schedule_auto_resolve(message.created_at)
    if conf.get("REPLY_EMAIL_DELAY") is not None and not presence.has_open_stream(room.user_id):
        enqueue_after_commit(tasks.reply_digest_task, room.pk, delay=conf.get("REPLY_EMAIL_DELAY"))


@receiver(room_changed, dispatch_uid="oscar_chat.operations.room_changed")
def on_room_changed(sender: Any, room: Any, changed: tuple = (), **kwargs: Any) -> None:
    # A room its customer opened has no agent yet (an agent opening one for a customer is assigned).
    opened_by_customer = "created" in changed and room.admin_id is None
    if not opened_by_customer:
        return
    notify, away = conf.get("NOTIFY_AGENTS_OFFLINE"), conf.get("AWAY_REPLY_WITHOUT_AGENTS")
    if (notify or away) and not presence.agents_online():
        if notify:
            enqueue_after_commit(tasks.new_room_notice_task, room.pk)
        if away:  # the first message, with nobody online to read it (outside hours: on_message_posted's)
            enqueue_after_commit(tasks.away_reply_task, room.pk, no_agent=True)


@receiver(pre_delete, dispatch_uid="oscar_chat.operations.user_deleted")
def on_user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Rooms and messages go with the account (cascade); their files must go too.
    if sender is get_user_model():
        from .services import delete_customer_files

        delete_customer_files(instance)


@receiver(post_save, sender=OpeningHours, dispatch_uid="oscar_chat.operations.hours_saved")
@receiver(post_delete, sender=OpeningHours, dispatch_uid="oscar_chat.operations.hours_deleted")
@receiver(post_save, sender=Holiday, dispatch_uid="oscar_chat.operations.holiday_saved")
@receiver(post_delete, sender=Holiday, dispatch_uid="oscar_chat.operations.holiday_deleted")
def on_schedule_changed(sender: Any, **kwargs: Any) -> None:
    # Now, and again after commit: a reader in between caches the hours still in force.
    hours.forget_schedule()
    transaction.on_commit(hours.forget_schedule)
