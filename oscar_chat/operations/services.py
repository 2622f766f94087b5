"""Writes of the chat's operations: rating, automatic replies, auto-resolve, emails, data rights.

The background tasks (oscar_chat.operations.tasks) call these; so do the API and the admin.
"""

import io
import json
import logging
import time
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Min, OuterRef, Subquery, Value, When
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from oscar.core.loading import get_class

from .. import audience, conf
from ..models import ChatMessage, ChatRoom
from ..presence import forget_customer_page
from ..roles import agents_queryset, display_name
from . import hours, presence
from .models import AutoReply
from .timestamps import ENDED

logger = logging.getLogger(__name__)

REPLY_DIGEST_EVENT = "CHAT_REPLY_DIGEST"
NEW_CONVERSATION_EVENT = "CHAT_NEW_CONVERSATION"
MAX_RATING_COMMENT = 2000


class NotRoomCustomer(Exception):
    """Only the room's own customer may do this (the API answers 400)."""


# Satisfaction --------------------------------------------------------------------------


def rate_room(room: ChatRoom, user: Any, *, score: int, comment: str = "") -> ChatRoom:
    """Record (or replace) the customer's 1–5 rating of a resolved or closed conversation."""
    if room.user_id != user.pk:
        raise NotRoomCustomer(_("Only the conversation's customer may rate it."))
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationError({"score": [_("Give a score from 1 to 5.")]})
    if len(comment) > MAX_RATING_COMMENT:
        raise ValidationError(
            {"comment": [_("Ensure this field has no more than %(n)d characters.") % {"n": MAX_RATING_COMMENT}]}
        )
    with transaction.atomic():
        room = ChatRoom.objects.select_for_update().get(pk=room.pk)
        if room.status not in ENDED:
            raise ValidationError({"status": [_("A conversation can be rated once it is resolved or closed.")]})
        room.rating_score, room.rating_comment, room.rated_at = score, comment.strip(), timezone.now()
        from .. import events
        from ..services import versioned

        room.save(update_fields=versioned(room, ["rating_score", "rating_comment", "rated_at"]))

        events.room_changed(room, changed=("rating",))
    return room


# Automatic replies ---------------------------------------------------------------------

DEFAULT_TEXTS = {
    AutoReply.Kind.AWAY: lambda: _(
        "Thanks for your message! We are away right now and will answer from {next_opening}."
    ),
    AutoReply.Kind.AUTO_RESOLVED: lambda: _(
        "We have marked this conversation as resolved. Write here any time to reopen it."
    ),
}


def AWAY_UNKNOWN_OPENING() -> str:
    return _("Thanks for your message! We are away right now and will answer as soon as we are back.")


def AWAY_NO_AGENT() -> str:
    """Open, but no agent online: what the widget says too (``EXPECTED_REPLY_TIME``)."""
    expected = conf.get("EXPECTED_REPLY_TIME")
    if expected:
        return _("Thanks for your message! Nobody is online right now; we usually reply %(when)s.") % {"when": expected}
    return _("Thanks for your message! Nobody is online right now; we will answer as soon as we can.")


def auto_reply_text(kind: str, *, language: str | None = None, no_agent: bool = False, **values: str) -> str:
    """The store's wording of an automatic message in ``language`` (default: LANGUAGE_CODE), else ours.

    An away reply without a ``next_opening`` (no agent online, or no opening within the search)
    uses the store's away text only if it does not name the next opening.
    """
    from django.conf import settings

    language = language or settings.LANGUAGE_CODE
    with translation.override(language):
        custom = AutoReply.objects.filter(kind=kind, language=language).values_list("text", flat=True).first()
        if kind == AutoReply.Kind.AWAY and not values.get("next_opening"):
            fallback = AWAY_NO_AGENT if no_agent else AWAY_UNKNOWN_OPENING
            text = custom if custom and "{next_opening}" not in custom else fallback()
        else:
            text = custom or DEFAULT_TEXTS[kind]()
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):  # a store's text with an unknown placeholder
            return text


def _automatic_sender(room: ChatRoom) -> Any:
    """Automatic messages are sent in the name of the room's agent, else of the first agent."""
    if room.admin_id is not None and room.admin.is_active:
        return room.admin
    return agents_queryset().order_by("pk").first()


def send_away_reply(room_id: int, *, now: datetime | None = None, no_agent: bool = False) -> ChatMessage | None:
    """Answer a customer who wrote outside opening hours, once per closed period; or, with
    ``no_agent`` (queued when a customer opens a conversation while no agent is online), one who
    wrote in opening hours with nobody online, once per conversation."""
    from ..services import post_message

    now = now or timezone.now()
    schedule = hours.load_schedule()
    is_open = schedule.is_open(now)
    if is_open and (not no_agent or presence.agents_online()):
        return None
    with transaction.atomic():
        room = (
            ChatRoom.objects.select_for_update(of=("self",)).select_related("admin", "user").filter(pk=room_id).first()
        )
        if room is None:  # deleted (erasure) before the task ran
            return None
        if is_open:
            if room.away_replied_at is not None or room.first_response_at is not None:
                return None  # answered already, by this reply or by an agent
        else:
            last_closing = schedule.last_closing(now)
            if room.away_replied_at is not None and (last_closing is None or room.away_replied_at > last_closing):
                return None  # already answered in this closed period
        sender = _automatic_sender(room)
        if sender is None:
            return None
        next_opening = None if is_open else schedule.next_opening(now)
        opening_text = ""
        if next_opening is not None:
            from django.conf import settings

            # In the reply's language (the store's), whatever language this thread has active.
            with translation.override(settings.LANGUAGE_CODE):
                opening_text = date_format(timezone.localtime(next_opening, schedule.tz), "l j F H:i")
        text = auto_reply_text(
            AutoReply.Kind.AWAY, no_agent=is_open, next_opening=opening_text, name=display_name(room.user)
        )
        message, _created = post_message(room, sender, message=text, automatic=True)
        ChatRoom.objects.filter(pk=room.pk).update(away_replied_at=now)
    return message


def is_outside_hours(at: datetime | None = None) -> bool:
    return not hours.current_schedule().is_open(at or timezone.now())


# Auto-resolve --------------------------------------------------------------------------


# Agent messages of one such period share one queued sweep (``resolve_due_rooms``), run when the
# last of them has waited: a send costs a cache entry, not a task row of its own.
AUTO_RESOLVE_PERIOD = 60
AUTO_RESOLVE_KEY = "oscar_chat:auto_resolve_sweep:{}"
# The sweeps this process knows are queued (key -> until when, as the cache keeps the key): a
# send asks the cache once per period and process, not once per message.
_queued_sweeps: dict[str, float] = {}


def forget_queued_sweeps() -> None:
    _queued_sweeps.clear()


def _known_queued(key: str) -> bool:
    until = _queued_sweeps.get(key)
    return until is not None and until > time.monotonic()


def _remember_queued(key: str) -> None:
    now = time.monotonic()
    for old in [old for old, until in list(_queued_sweeps.items()) if until <= now]:
        _queued_sweeps.pop(old, None)
    _queued_sweeps[key] = now + 2 * AUTO_RESOLVE_PERIOD


def schedule_auto_resolve(sent_at: datetime) -> None:
    """After an agent's message sent at ``sent_at`` (once the transaction commits): make sure a
    sweep runs once its wait (``AUTO_RESOLVE_AFTER``) is over."""
    from . import tasks
    from .taskapi import enqueue_after_commit

    wait = conf.get("AUTO_RESOLVE_AFTER")
    if wait is None:
        return
    period = int(sent_at.timestamp()) // AUTO_RESOLVE_PERIOD
    # The wait is in the key: after it changes, the rooms of a period need a sweep at the new time.
    key = AUTO_RESOLVE_KEY.format(f"{period}:{wait}")
    if _known_queued(key):
        return  # queued already: this process asked the cache about this period before
    try:
        if not cache.add(key, True, timeout=2 * AUTO_RESOLVE_PERIOD):  # the time _remember_queued keeps
            _remember_queued(key)
            return  # this period's sweep is queued already (by another process sharing the cache)
    except Exception:  # noqa: BLE001 - no cache: one sweep per message (each is cheap when nothing is due)
        logger.warning("oscar_chat: cache unavailable; queueing an auto-resolve sweep", exc_info=True)
    else:
        transaction.on_commit(lambda: _remember_queued(key))
    period_end = datetime.fromtimestamp((period + 1) * AUTO_RESOLVE_PERIOD, tz=UTC)
    delay = (period_end - timezone.now()).total_seconds() + wait
    enqueue_after_commit(tasks.resolve_due_rooms_task, delay=max(delay, 0.0))


def resolve_due_rooms() -> int:
    """Resolve every open room whose customer has been waited on for ``AUTO_RESOLVE_AFTER``: its
    last message that is not automatic (as the customer sees it) is an agent's, and that old. Returns
    the rooms resolved."""
    wait = conf.get("AUTO_RESOLVE_AFTER")
    if wait is None:
        return 0
    cutoff = timezone.now() - timedelta(seconds=wait)
    # Automatic messages (away replies, notices) are nobody's answer: skipped, as in auto_resolve.
    answers = audience.messages_in_view(ChatMessage.objects.filter(room=OuterRef("pk")), viewer_is_customer=True)
    answers = answers.filter(is_automatic=False).order_by("-id")
    last = answers.values("pk")[:1]
    # A room's activity is its last visible message's time: older than the cutoff first (indexed).
    due = (
        ChatRoom.objects.filter(status=ChatRoom.Status.OPEN, last_activity__lte=cutoff)
        .annotate(last_id=Subquery(last))
        .exclude(last_id=None)
        .values_list("pk", "last_id")
    )
    resolved = sum(1 for room_id, message_id in due.iterator() if auto_resolve(room_id, message_id))
    _follow_up_sweep(cutoff, answers)
    return resolved


def _follow_up_sweep(cutoff: datetime, answers) -> None:
    """Sweeps are queued by agents' replies; so that none is missed when the wait grew after they
    were queued (or a queueing failed), each sweep makes sure one is queued for the earliest open
    room still waiting on its customer (``answers``: a room's messages that count, latest first)."""
    waiting = (
        ChatRoom.objects.filter(status=ChatRoom.Status.OPEN, last_activity__gt=cutoff)
        .annotate(last_sender=Subquery(answers.values("sender_id")[:1]))
        .exclude(last_sender=None)
        .exclude(last_sender=F("user_id"))
    )
    earliest = waiting.aggregate(at=Min("last_activity"))["at"]
    if earliest is not None:
        schedule_auto_resolve(earliest)


def auto_resolve(room_id: int, message_id: int) -> bool:
    """Resolve a room still waiting on the customer since agent message ``message_id``.

    Does nothing if anything was written after it, the room is no longer open, or the wait
    is not over (the setting may have grown since the task was queued).
    """
    from ..services import manage_room, post_message

    wait = conf.get("AUTO_RESOLVE_AFTER")
    if wait is None:
        return False
    with transaction.atomic():
        room = (
            ChatRoom.objects.select_for_update(of=("self",)).select_related("admin", "user").filter(pk=room_id).first()
        )
        if room is None or room.status != ChatRoom.Status.OPEN:
            return False
        # What the customer sees: an agents' note after their last message does not make them wait,
        # nor does an away reply (automatic) after it: they wait on the shop.
        visible = audience.messages_in_view(room.messages, viewer_is_customer=True)
        last = visible.filter(is_automatic=False).order_by("-id").first()
        if last is None or last.pk != message_id or last.sender_id == room.user_id:
            return False
        if timezone.now() - last.created_at < timedelta(seconds=wait):
            return False
        text = auto_reply_text(AutoReply.Kind.AUTO_RESOLVED, name=display_name(room.user))
        post_message(room, last.sender, message=text, automatic=True)
        manage_room(room, status=ChatRoom.Status.RESOLVED)
    return True


# Emails --------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    from django.contrib.sites.models import Site

    if "://" in path:
        return path
    return f"{conf.get('EMAIL_URL_SCHEME')}://{Site.objects.get_current().domain}{path}"


def customer_conversation_url(room: ChatRoom) -> str:
    from django.urls import reverse

    # Not the site's root: Oscar redirects it to the catalogue without the query string.
    template = conf.get("CUSTOMER_CONVERSATION_URL") or reverse("catalogue:index") + "?oscar_chat_room={room_id}"
    return _absolute(template.format(room_id=room.pk))


def agent_conversation_url(room: ChatRoom) -> str:
    from django.urls import reverse

    return _absolute(reverse("admin:oscar_chat_chatroom_change", args=[room.pk]))


def _dispatch(code: str, user: Any, context: dict) -> bool:
    Dispatcher = get_class("communication.utils", "Dispatcher")
    dispatcher = Dispatcher()
    messages = dispatcher.get_messages(code, context)
    return bool(dispatcher.dispatch_user_messages(user, messages).get("email"))


def send_reply_digest(room_id: int) -> int:
    """Email the customer the agents' replies they have not read, once each. Returns how many.

    Nothing goes out if they read them meanwhile or are watching the chat again.
    """
    with transaction.atomic():
        room = ChatRoom.objects.select_for_update(of=("self",)).select_related("user").filter(pk=room_id).first()
        if room is None:
            return 0
        customer = room.user
        if not customer.email or not customer.is_active or presence.has_open_stream(customer.pk):
            return 0
        replies = list(
            audience.messages_in_view(room.messages, viewer_is_customer=True)
            .filter(pk__gt=room.customer_emailed_message_id, is_read=False)
            .exclude(sender_id=room.user_id)
            .select_related("sender")
            .order_by("id")
        )
        if not replies:
            return 0
        room.customer_emailed_message_id = replies[-1].pk
        room.save(update_fields=["customer_emailed_message_id"])
        context = {
            "room": room,
            "customer_name": display_name(customer),
            "replies": [{"sender": display_name(m.sender), "text": m.preview, "sent": m.created_at} for m in replies],
            "conversation_url": customer_conversation_url(room),
            "ask_rating": room.status in ENDED and room.rating_score is None,
        }
        # Sent inside the transaction: a failed send rolls the mark back and the task is retried.
        _dispatch(REPLY_DIGEST_EVENT, customer, context)
    return len(replies)


def notify_agents_of_new_room(room_id: int) -> int:
    """Email every agent about a new conversation when none of them is watching the chat."""
    if presence.agents_online():
        return 0
    room = ChatRoom.objects.select_related("user").filter(pk=room_id).first()
    if room is None:
        return 0
    first = room.messages.filter(sender_id=room.user_id).order_by("id").first()
    context = {
        "room": room,
        "customer_name": display_name(room.user),
        "first_message": first.preview if first else "",
        "conversation_url": agent_conversation_url(room),
    }
    sent = 0
    for agent in agents_queryset().exclude(email="").order_by("pk"):
        sent += _dispatch(NEW_CONVERSATION_EVENT, agent, context)
    return sent


# Data rights ---------------------------------------------------------------------------


def _delete_attachment(message: ChatMessage) -> None:
    if message.attachment:
        message.attachment.delete(save=False)
    message.attachment = ""
    message.attachment_name = ""
    message.attachment_size = None
    message.attachment_content_type = ""


def export_customer(user: Any) -> bytes:
    """A zip of the customer's conversations: ``conversations.json`` and ``attachments/``."""
    buffer = io.BytesIO()
    data = {"customer": {"id": user.pk, "name": display_name(user), "email": user.email}, "conversations": []}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for room in ChatRoom.objects.filter(user=user).order_by("created_at", "pk"):
            conversation = {
                "id": room.pk,
                "subject": room.subject,
                "status": room.status,
                "created_at": room.created_at.isoformat(),
                "rating": {"score": room.rating_score, "comment": room.rating_comment} if room.rating_score else None,
                "messages": [],
            }
            # The customer's own view: agents' internal notes are not theirs to receive.
            customer_view = audience.messages_in_view(room.messages, viewer_is_customer=True)
            for message in customer_view.select_related("sender").order_by("id"):
                item = {
                    "id": message.pk,
                    "sender": display_name(message.sender),
                    "from_customer": message.sender_id == user.pk,
                    "type": message.message_type,
                    "message": message.message,
                    "product": (message.product_snapshot or {}).get("title"),
                    "created_at": message.created_at.isoformat(),
                    "attachment": None,
                }
                if message.attachment:
                    name = f"attachments/{message.pk}-{message.attachment_name or 'file'}"
                    try:
                        with message.attachment.open("rb") as f:
                            archive.writestr(name, f.read())
                        item["attachment"] = name
                    except OSError:
                        logger.warning("oscar_chat: attachment of message %s is missing", message.pk)
                conversation["messages"].append(item)
            data["conversations"].append(conversation)
        archive.writestr("conversations.json", json.dumps(data, ensure_ascii=False, indent=2))
    return buffer.getvalue()


def erase_customer(user: Any) -> int:
    """Anonymise every conversation of ``user``; returns the rooms.

    Every message text (notes and automatic replies too) becomes "[erased]"; attachments are
    deleted with their files; the copies of the customer's orders and vouchers in cards, the
    subjects, previews, labels and rating comments are cleared; the emails about these
    conversations are deleted from Oscar's sent-email log (the customer's reply digests, the
    agents' new-conversation notices); the store page the widget last reported is forgotten.
    The anonymous figures (counts, times, scores) stay for the reports.
    """
    erased = _("[erased]")
    with transaction.atomic():
        rooms = list(ChatRoom.objects.select_for_update().filter(user=user).order_by("pk"))
        messages = ChatMessage.objects.filter(room__user=user)
        for message in messages.exclude(attachment="").only("pk", "attachment"):
            message.attachment.delete(save=False)
        messages.update(
            # A product card without words stays without words; any other message says it was erased.
            message=Case(
                When(message="", message_type=ChatMessage.MessageType.PRODUCT, then=Value("")), default=Value(erased)
            ),
            client_id=None,
            attachment="",
            attachment_name="",
            attachment_size=None,
            attachment_content_type="",
            order_snapshot=None,
            voucher_snapshot=None,
        )
        ChatRoom.objects.filter(user=user).update(subject=erased, last_message=erased, rating_comment="", labels=[])
        forget_emails_about(rooms)
    forget_customer_page(user.pk)
    return len(rooms)


def forget_emails_about(rooms: list[ChatRoom]) -> int:
    """Delete from Oscar's sent-email log the chat's emails about ``rooms``, found by the link to
    the conversation they carry: the customer's reply digests and the agents' new-conversation
    notices (which quote the customer's name and first message)."""
    import re

    from django.db.models import Q
    from django.urls import reverse
    from oscar.core.loading import get_model

    if not rooms:
        return 0
    Email = get_model("communication", "Email")
    found = Q()
    try:
        for room in rooms:
            # The customer's link, not followed by another digit (room 1 is not room 12).
            link = re.escape(customer_conversation_url(room)) + "([^0-9]|$)"
            found |= Q(user_id=room.user_id) & (Q(body_text__regex=link) | Q(body_html__regex=link))
            agent_path = reverse("admin:oscar_chat_chatroom_change", args=[room.pk])
            found |= Q(body_text__contains=agent_path) | Q(body_html__contains=agent_path)
    except Exception:  # noqa: BLE001 - no Site or URLs here: never block an erasure or an account's deletion
        logger.warning("oscar_chat: the emails about the conversations could not be found", exc_info=True)
        return 0
    deleted, _by_model = Email.objects.filter(found).delete()
    return deleted


def delete_customer_files(user: Any) -> None:
    """Delete the files of ``user``'s conversations once the account's deletion commits (their
    rows go with it by cascade, and the customer's own emails with the account), and the agents'
    emails about them; a deletion rolled back keeps them."""
    files = [m.attachment for m in ChatMessage.objects.filter(room__user=user).exclude(attachment="")]
    forget_emails_about(list(ChatRoom.objects.filter(user=user)))

    def delete() -> None:
        for file in files:
            file.storage.delete(file.name)
        forget_customer_page(user.pk)

    transaction.on_commit(delete)


# Retention: name -> function(cutoff) deleting that kind of data older than cutoff, configured
# in OSCAR_CHAT_RETENTION_DAYS. A store's own kinds register here too.
RETENTION_POLICIES: dict[str, Any] = {}


def retention_policy(name: str):
    def register(func):
        RETENTION_POLICIES[name] = func
        return func

    return register


@retention_policy("attachments")
def expire_attachments(cutoff: datetime) -> int:
    count = 0
    for message in ChatMessage.objects.filter(created_at__lt=cutoff).exclude(attachment="").iterator():
        _delete_attachment(message)
        message.save(update_fields=["attachment", "attachment_name", "attachment_size", "attachment_content_type"])
        count += 1
    return count


@retention_policy("notes")
def expire_notes(cutoff: datetime) -> int:
    """Agents' internal notes older than ``cutoff`` are deleted (they change nothing a customer sees)."""
    deleted, _by_model = ChatMessage.objects.filter(
        message_type=ChatMessage.MessageType.NOTE, created_at__lt=cutoff
    ).delete()
    return deleted


def apply_retention(now: datetime | None = None) -> dict[str, int]:
    """Delete what is older than its retention period (``OSCAR_CHAT_RETENTION_DAYS``)."""
    now = now or timezone.now()
    done = {}
    for name, days in (conf.get("RETENTION_DAYS") or {}).items():
        policy = RETENTION_POLICIES.get(name)
        if policy is None or days is None:
            continue
        done[name] = policy(now - timedelta(days=days))
    return done
