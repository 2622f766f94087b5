from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .attachments import attachment_storage, upload_to

PREVIEW_LENGTH = 100


class ChatRoom(models.Model):
    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        CLOSED = "CLOSED", _("Closed")
        RESOLVED = "RESOLVED", _("Resolved")

    class Priority(models.TextChoices):
        LOW = "LOW", _("Low")
        NORMAL = "NORMAL", _("Normal")
        HIGH = "HIGH", _("High")
        URGENT = "URGENT", _("Urgent")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_rooms",
        verbose_name=_("customer"),
    )
    admin = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_chat_rooms",
        verbose_name=_("assigned agent"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    subject = models.CharField(_("subject"), max_length=200)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    last_message = models.CharField(_("last message"), max_length=PREVIEW_LENGTH, blank=True)
    last_activity = models.DateTimeField(_("last activity"), default=timezone.now)
    # True when the agents have read every customer message (the agents' side of is_read).
    is_read = models.BooleanField(_("read by agents"), default=True)
    # Exact unread counts for each side, kept by the services in the same transaction as
    # the messages, so lists never count messages row by row.
    customer_unread_count = models.PositiveIntegerField(default=0)
    agent_unread_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Agents' tags (normalised by services.set_labels); customers never see them.
    labels = models.JSONField(_("labels"), default=list, blank=True)
    # Kept on the room so reports never scan messages (oscar_chat.operations.timestamps).
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    rating_score = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    # The last message emailed to the customer in a digest (0: none yet).
    customer_emailed_message_id = models.BigIntegerField(default=0, editable=False)
    # When the last away reply went out (one per closed period).
    away_replied_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Grows by one with every write the services announce (a message, a status, a read...),
    # under the room's lock: the streams hand out a room's state only when it is newer than
    # the last they handed out, whatever order concurrent announcements reach them in.
    version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("chat room")
        verbose_name_plural = _("chat rooms")
        ordering = ["-last_activity", "-id"]
        indexes = [
            models.Index(fields=["-last_activity", "-id"], name="chatroom_activity"),
            models.Index(fields=["user", "-last_activity"], name="chatroom_user_activity"),
            models.Index(fields=["status", "-last_activity"], name="chatroom_status_activity"),
            models.Index(fields=["priority", "-last_activity"], name="chatroom_priority_activity"),
            models.Index(fields=["admin", "-last_activity"], name="chatroom_admin_activity"),
            models.Index(
                fields=["-last_activity"],
                name="chatroom_agent_unread",
                condition=Q(agent_unread_count__gt=0),
            ),
            models.Index(fields=["created_at"], name="chatroom_created"),
        ]

    def __str__(self):
        return self.subject


class ChatMessage(models.Model):
    class MessageType(models.TextChoices):
        TEXT = "TEXT", _("Text")
        IMAGE = "IMAGE", _("Image")
        FILE = "FILE", _("File")
        PRODUCT = "PRODUCT", _("Product")
        # An agents-only note: oscar_chat.audience keeps it from the customer everywhere.
        NOTE = "NOTE", _("Internal note")
        ORDER = "ORDER", _("Order")
        VOUCHER = "VOUCHER", _("Voucher")

    room = models.ForeignKey(ChatRoom, on_delete=models.CASCADE, related_name="messages")
    # RESTRICT: an agent account with replies is deactivated, not deleted (the customers keep the
    # conversation); a customer's own messages go with their rooms when the account is deleted.
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.RESTRICT, related_name="chat_messages")
    message = models.TextField(_("message"), blank=True)
    message_type = models.CharField(_("type"), max_length=10, choices=MessageType.choices, default=MessageType.TEXT)
    product = models.ForeignKey(
        "catalogue.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    # The product card as it was shown when shared: it still renders after the product
    # is deleted or unpublished.
    product_snapshot = models.JSONField(null=True, blank=True, editable=False)
    # ORDER and VOUCHER cards as they were when shared (API 1.1 "order" and "voucher").
    order_snapshot = models.JSONField(null=True, blank=True, editable=False)
    voucher_snapshot = models.JSONField(null=True, blank=True, editable=False)
    # In the private storage, under a random name; served by the API to those who see the room.
    attachment = models.FileField(
        _("attachment"), upload_to=upload_to, storage=attachment_storage, max_length=255, blank=True
    )
    attachment_name = models.CharField(max_length=255, blank=True)
    attachment_size = models.PositiveBigIntegerField(null=True, blank=True)
    attachment_content_type = models.CharField(max_length=100, blank=True)
    # True once the other side has read it.
    is_read = models.BooleanField(_("read"), default=False)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    client_id = models.CharField(max_length=64, null=True, blank=True)
    # Position in the event stream, assigned in commit order (see services.assign_stream_seq):
    # a resuming client replays ``seq > Last-Event-ID`` and cannot miss a message that
    # committed late with a smaller id.
    seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    # Sent by the chat itself (away reply, auto-resolve notice), not typed by an agent.
    is_automatic = models.BooleanField(_("automatic"), default=False, editable=False)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "sender", "client_id"],
                condition=Q(client_id__isnull=False),
                name="chatmessage_unique_client_id",
            )
        ]
        indexes = [
            models.Index(fields=["room", "id"], name="chatmessage_room_id"),
            models.Index(fields=["sender", "created_at"], name="chatmessage_sender_created"),
            models.Index(fields=["created_at"], name="chatmessage_created"),
            # The reports' messages sent per agent: counted index-only, without the automatic replies.
            models.Index(
                fields=["sender", "created_at"], condition=Q(is_automatic=False), name="chatmessage_sender_written"
            ),
        ]

    def __str__(self):
        return f"{self.sender}: {self.message[:50]}"

    @property
    def has_attachment(self) -> bool:
        """Whether a file is attached, read from the stored name when it is loaded: reading
        ``attachment`` makes a ``FieldFile`` that refers back to the message, a reference cycle
        per message that only Python's cyclic garbage collector frees (its pauses are the
        stream's latency tail, docs/realtime-performance.md)."""
        if "attachment" not in self.__dict__:
            return bool(self.attachment)  # deferred: Django loads it
        return bool(self.__dict__["attachment"])  # a name, or a File (true when named)

    @property
    def preview(self):
        """The room list's one-line summary of this message."""
        if self.message_type == self.MessageType.PRODUCT:
            title = (self.product_snapshot or {}).get("title", "")
            text = self.message or f"📦 {title}"
        elif self.message_type == self.MessageType.ORDER:
            text = self.message or f"🧾 {(self.order_snapshot or {}).get('number', '')}"
        elif self.message_type == self.MessageType.VOUCHER:
            text = self.message or f"🏷 {(self.voucher_snapshot or {}).get('code', '')}"
        elif self.message_type in (self.MessageType.IMAGE, self.MessageType.FILE) and not self.message:
            text = ("🖼 " if self.message_type == self.MessageType.IMAGE else "📎 ") + self.attachment_name
        else:
            text = self.message
        text = " ".join(text.split())
        return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


class StreamSequence(models.Model):
    """One row whose lock orders message commits for the event stream."""

    last_seq = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("stream sequence")


class RateLimitLock(models.Model):
    """One row per customer, locked while their messages or rooms are counted (oscar_chat.limits)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")

    class Meta:
        verbose_name = _("rate limit lock")


class AgentTurn(models.Model):
    """One row per agent the round robin has considered: when it last gave them a room.

    Its row lock serialises automatic assignments to that agent across processes
    (``services.auto_assign``)."""

    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agent turn")


class CannedResponse(models.Model):
    """A quick reply agents insert by typing ``/shortcut`` in the composer."""

    title = models.CharField(_("title"), max_length=100)
    shortcut = models.SlugField(_("shortcut"), max_length=50, unique=True)
    text = models.TextField(
        _("text"),
        help_text=_("Placeholders: {first_name}, {name}, {agent_name}, {subject}."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["shortcut"]

    def __str__(self):
        return f"/{self.shortcut} — {self.title}"


from .operations.models import AutoReply, ChatReport, Holiday, OpeningHours  # noqa: E402,F401 - app models
