"""Every write of the chat. Views, admin and consumers call these; events leave from here."""

import hashlib
import logging
import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import F, FileField, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from . import attachments, audience, conf, events, limits, payloads, presence, selectors
from .exceptions import RateLimited, ValidationError
from .models import AgentTurn, ChatMessage, ChatRoom, StreamSequence
from .operations import timestamps
from .orders import order_card
from .roles import is_agent, share_agent_check
from .vouchers import voucher_snapshot

MessageType = ChatMessage.MessageType
# Types only an agent may send, and only in a room where they are not the customer.
AGENT_MESSAGE_TYPES = (MessageType.NOTE, MessageType.ORDER, MessageType.VOUCHER)
logger = logging.getLogger(__name__)


def _assign_stream_seq(message):
    """Give ``message`` the stream's next position, holding the sequence's row lock until this
    transaction commits.

    Commits that carry messages are thereby ordered by seq: a message with a smaller seq is
    always visible before one with a larger seq, which is what makes resume loss-free.
    Call it last in the transaction, so the lock is held only for the commit. One statement
    on PostgreSQL (an ``UPDATE … RETURNING`` feeding the message's update), two elsewhere.
    """
    sequence = StreamSequence._meta.db_table
    messages = ChatMessage._meta.db_table
    for _attempt in range(2):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"WITH s AS (UPDATE {sequence} SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq) "
                    f"UPDATE {messages} SET seq = s.last_seq FROM s WHERE {messages}.id = %s RETURNING s.last_seq",
                    [message.pk],
                )
                row = cursor.fetchone()
            else:
                cursor.execute(f"UPDATE {sequence} SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq")
                row = cursor.fetchone()
                if row is not None:
                    cursor.execute(f"UPDATE {messages} SET seq = %s WHERE id = %s", [row[0], message.pk])
        if row is not None:
            message.seq = row[0]
            return message.seq
        # First message ever (or the row was deleted): start after the highest seq there is.
        start = ChatMessage.objects.aggregate(m=Max("seq"))["m"] or 0
        StreamSequence.objects.bulk_create([StreamSequence(pk=1, last_seq=start)], ignore_conflicts=True)
    raise RuntimeError("oscar_chat: the stream sequence row cannot be taken")


def _validate_message(message, message_type, product, file, order=None, voucher=None):
    max_length = conf.get("MAX_MESSAGE_LENGTH")
    if message_type not in MessageType.values:
        raise ValidationError({"message_type": [_("Unknown message type.")]})
    if len(message) > max_length:
        raise ValidationError(
            {"message": [_("Ensure this field has no more than %(n)d characters.") % {"n": max_length}]}
        )
    if message_type in (MessageType.TEXT, MessageType.NOTE) and not message.strip():
        raise ValidationError({"message": [_("This field may not be blank.")]})
    if message_type == MessageType.PRODUCT and product is None:
        raise ValidationError({"product_id": [_("A product message needs a product.")]})
    if message_type == MessageType.ORDER and order is None:
        raise ValidationError({"order_number": [_("An order message needs an order.")]})
    if message_type == MessageType.VOUCHER and voucher is None:
        raise ValidationError({"voucher_code": [_("A voucher message needs a voucher.")]})
    if message_type not in (MessageType.IMAGE, MessageType.FILE):
        if file is not None:
            raise ValidationError({"file": [_("Only image and file messages carry a file.")]})
        return None
    if file is None:
        raise ValidationError({"file": [_("An image or file message needs a file.")]})
    if file.size > conf.get("MAX_UPLOAD_SIZE"):
        raise ValidationError({"file": [_("The file is too large.")]})
    # Judged by content: the declared type and the name are the uploader's word.
    return attachments.check_upload(file, message_type)


def _sent_before(room, sender, client_id):
    if not client_id:
        return None
    return ChatMessage.objects.filter(room=room, sender=sender, client_id=client_id).first()


def versioned(room: ChatRoom, fields: list[str]) -> list[str]:
    """``fields`` to save for a change of ``room`` (locked by the caller) that its streams will
    hear of, with ``version``, which grows with it (``ChatRoom.version``): each hub hands out a
    room's state only when it is newer than the last, whatever order the announcements arrive in."""
    room.version += 1
    return [*fields, "version"]


def _locked_room(room):
    """``room`` read again and locked until the transaction ends. Its customer and assignee
    (the events built at commit need them) come from ``room`` when they are still the same,
    so the lock reads the room's own row only."""
    locked = ChatRoom.objects.select_for_update().get(pk=room.pk)
    for field in ("user", "admin"):
        cached = ChatRoom._meta.get_field(field).get_cached_value(room, default=None)  # type: ignore[union-attr]
        wanted = getattr(locked, f"{field}_id")
        if cached is not None and cached.pk == wanted:
            setattr(locked, field, cached)
    return locked


def post_message(
    room,
    sender,
    *,
    message="",
    message_type=MessageType.TEXT,
    product=None,
    client_id=None,
    file=None,
    snapshot=None,
    order=None,
    voucher=None,
    automatic=False,
):
    """Send a message to a room. Returns ``(message, created)``.

    The same ``client_id`` from the same sender in the same room returns the first message
    (``created`` False). ORDER carries ``order`` (an Oscar order of the room's customer: see
    ``orders.get_customer_order``), VOUCHER ``voucher``; both are stored as cards, as shared.
    NOTE, ORDER and VOUCHER come from agents only. A customer's message reopens a closed or resolved room; the first
    agent to reply is assigned. Room summary and unread counts change in the same transaction.
    ``automatic``: sent by the chat itself (away reply, auto-resolve notice): it is neither a
    first response nor an assignment.
    """
    message = message or ""
    checked_file = _validate_message(message, message_type, product, file, order, voucher)
    if message_type in AGENT_MESSAGE_TYPES and audience.sees_as_customer(sender, room):
        raise ValidationError({"message_type": [_("Only agents may send this type of message.")]})
    if message_type == MessageType.ORDER and order.user_id != room.user_id:
        raise ValidationError({"order_number": [_("This customer has no order with this number.")]})
    if message_type == MessageType.PRODUCT and snapshot is None:
        from .products import product_snapshot

        snapshot = product_snapshot(product)

    msg = ChatMessage(
        room_id=room.pk,
        sender=sender,
        message=message,
        message_type=message_type,
        product=product if message_type == MessageType.PRODUCT else None,
        product_snapshot=snapshot if message_type == MessageType.PRODUCT else None,
        client_id=client_id or None,
        order_snapshot=order_card(order) if message_type == MessageType.ORDER else None,
        voucher_snapshot=voucher_snapshot(voucher) if message_type == MessageType.VOUCHER else None,
        is_automatic=automatic,
    )
    if checked_file is not None:
        # The content type first: the random stored name takes its extension.
        msg.attachment_content_type = checked_file.content_type
        msg.attachment_name = checked_file.name
        msg.attachment_size = file.size
        msg.attachment = file
    try:
        written = _write_message(msg, sender, room.pk, visible_to_all=True, file=checked_file is not None)
    except RateLimited:
        # A retry of a message that went through is not a new message: it still answers.
        existing = _sent_before(room, sender, client_id)
        if existing is None:
            raise
        return existing, False
    except IntegrityError:
        # The same client_id again (a retry), or two requests with one client_id raced: the
        # unique constraint keeps one, which both get.
        existing = _sent_before(room, sender, client_id)
        if existing is not None:
            return existing, False
        raise
    if written is None:
        raise ChatRoom.DoesNotExist("the room is gone")
    return msg, True


def post_text_message(room_id: int, sender, *, message: str, client_id: str | None = None):
    """A text message from ``sender`` to room ``room_id`` if they may see it (``audience``):
    ``(message, room)``, or None when there is no such room for them (nothing written).

    The send path of ``api.fast_send``: on PostgreSQL, an agent's send is one SQL statement
    (the room found, locked and updated, the stream position taken, the message inserted, the
    room and its users read back). A repeated ``client_id`` raises ``IntegrityError``.
    """
    _validate_message(message, MessageType.TEXT, None, None)
    msg = ChatMessage(room_id=room_id, sender=sender, message=message, client_id=client_id or None)
    room = _write_message(msg, sender, room_id, visible_to_all=audience.sees_all_rooms(sender), file=False)
    return None if room is None else (msg, room)


def _room_columns():
    return list(ChatRoom._meta.concrete_fields)


def _user_columns():
    return list(get_user_model()._meta.concrete_fields)


def _room_write_sql(note: bool) -> str:
    """``room``: lock the room row; unless ``note`` (which changes nothing the customer sees),
    stamp it for the message. The one place of the rule: summary and activity; a customer's
    message makes the agents' unread count grow and reopens the room (open, unread, no longer
    resolved); anyone else's makes the customer's grow, is the first response unless sent by
    the chat itself, and assigns an agent to a room that has none."""
    room = ChatRoom._meta.db_table
    where = "id = %(room)s AND (%(all)s OR user_id = %(sender)s)"
    if note:
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        columns = ", ".join(f.column for f in _room_columns())
        return f"SELECT {columns} FROM {room} WHERE {where}{lock}"
    customer = "user_id = %(sender)s"
    return (
        f"UPDATE {room} SET last_message = %(preview)s, last_activity = %(at)s, version = version + 1, "
        f"agent_unread_count = agent_unread_count + (CASE WHEN {customer} THEN 1 ELSE 0 END), "
        f"customer_unread_count = customer_unread_count + (CASE WHEN {customer} THEN 0 ELSE 1 END), "
        f"is_read = (CASE WHEN {customer} THEN %(false)s ELSE is_read END), "
        f"status = (CASE WHEN {customer} THEN %(open)s ELSE status END), "
        f"resolved_at = (CASE WHEN {customer} THEN NULL ELSE resolved_at END), "
        f"admin_id = (CASE WHEN NOT {customer} AND %(assigns)s AND admin_id IS NULL THEN %(sender)s ELSE admin_id END), "
        f"first_response_at = (CASE WHEN NOT {customer} AND %(responds)s AND first_response_at IS NULL "
        f"THEN %(at)s ELSE first_response_at END) "
        f"WHERE {where}"
    )


def _read_back_sql(source: str) -> str:
    """The room row of ``source`` with its customer and assignee (``u``, ``a``)."""
    users, pk = get_user_model()._meta.db_table, get_user_model()._meta.pk.column
    columns = [f"r.{f.column}" for f in _room_columns()]
    columns += [f"u.{f.column}" for f in _user_columns()] + [f"a.{f.column}" for f in _user_columns()]
    return (
        f"SELECT {', '.join(columns)} FROM {source} JOIN {users} u ON u.{pk} = r.user_id "
        f"LEFT JOIN {users} a ON a.{pk} = r.admin_id"
    )


def _reading_plan(db, model):
    """The attnames of ``model``'s concrete fields, and each field's column with the converters
    the ORM applies to what it reads on ``db`` (a connection: JSON, SQLite's booleans and
    datetimes). Made once per connection object and model: asking for them per value, through
    the thread's connection proxy, was a fifth of a send's CPU."""
    plans = db.__dict__.setdefault("_oscar_chat_reading_plans", {})
    plan = plans.get(model)
    if plan is None:
        table, fields = model._meta.db_table, model._meta.concrete_fields
        columns = []
        for field in fields:
            column = field.get_col(table)
            columns.append((column, tuple(db.ops.get_db_converters(column) + field.get_db_converters(db))))
        plan = plans[model] = ([f.attname for f in fields], columns)
    return plan


def _from_row(db, model, values):
    """An instance of ``model`` from the raw ``values`` of its concrete fields, converted as the ORM
    converts what it reads."""
    attnames, columns = _reading_plan(db, model)
    converted = []
    for (column, converters), value in zip(columns, values, strict=True):
        for converter in converters:
            value = converter(value, column, db)
        converted.append(value)
    return model.from_db(db.alias, attnames, converted)


def _room_from_row(values):
    db = connections[connection.alias]  # the real connection, not the thread's proxy
    user_model = get_user_model()
    rooms, users = len(ChatRoom._meta.concrete_fields), len(user_model._meta.concrete_fields)
    room = _from_row(db, ChatRoom, values[:rooms])
    room.user = _from_row(db, user_model, values[rooms : rooms + users])
    admin = values[rooms + users :]
    room.admin = _from_row(db, user_model, admin) if room.admin_id is not None else None
    return room


def _write_message(msg, sender, room_id, *, visible_to_all: bool, file: bool):
    """Write ``msg`` (unsaved) to room ``room_id`` and stamp the room, in one transaction;
    publish it after commit. Returns the room as the write left it, or None (no such room, or
    one ``sender`` may not see unless ``visible_to_all``; nothing written).

    The room's row is locked before the stream's position is taken (other writers lock them in
    that order too). On PostgreSQL, without a file, it is all one statement: outside a
    transaction it is its own, and the stream sequence's lock is held for that statement only.
    """
    is_note = msg.message_type == MessageType.NOTE
    params = {
        "room": room_id,
        "sender": sender.pk,
        "all": visible_to_all,
        "preview": msg.preview,
        "at": msg.created_at,
        "false": False,
        "open": ChatRoom.Status.OPEN,
        "assigns": not msg.is_automatic and is_agent(sender),
        "responds": not msg.is_automatic,
    }
    one_statement = connection.vendor == "postgresql" and not file
    # A customer's messages are counted under their lock: that needs a transaction of its own.
    own_transaction = connection.in_atomic_block or limits.counts_messages_of(sender) or not one_statement
    with transaction.atomic() if own_transaction else nullcontext():
        limits.check_message_rate(sender)  # first: its lock comes before the room's
        if one_statement:
            room = _write_in_one_statement(msg, params, is_note)
        else:
            room = _write_stepwise(msg, params, is_note)
        if room is None:
            return None
        for read_back in (room.user, room.admin):
            share_agent_check(sender, read_back)
        msg.room = room
        events.message_posted(msg, room)
    return room


_one_statement_sql: dict[bool, tuple[list, str]] = {}


def _one_statement(is_note):
    """The message's fields and the SQL of ``_write_in_one_statement`` (made once per kind)."""
    found = _one_statement_sql.get(is_note)
    if found is None:
        found = _one_statement_sql[is_note] = _make_one_statement(is_note)
    return found


def _make_one_statement(is_note):
    messages, sequence = ChatMessage._meta.db_table, StreamSequence._meta.db_table
    fields = [f for f in ChatMessage._meta.concrete_fields if not f.primary_key and f.attname != "seq"]
    room_columns = ", ".join(f.column for f in _room_columns())
    room_write = _room_write_sql(is_note)
    if not is_note:
        room_write += f" RETURNING {room_columns}"
    # The sequence's row is read from r: the room is locked first. The first message ever (or
    # after the row was deleted) starts after the highest seq there is.
    sql = (
        f"WITH r AS ({room_write}), "
        f"s AS (INSERT INTO {sequence} AS q (id, last_seq) "
        f"SELECT 1, COALESCE((SELECT MAX(seq) FROM {messages}), 0) + 1 FROM r "
        f"ON CONFLICT (id) DO UPDATE SET last_seq = q.last_seq + 1 RETURNING last_seq), "
        f"m AS (INSERT INTO {messages} ({', '.join(str(f.column) for f in fields)}, seq) "
        f"SELECT {', '.join(f'%(m_{f.attname})s' for f in fields)}, s.last_seq FROM s RETURNING id, seq) "
        f"{_read_back_sql('m CROSS JOIN r').replace('SELECT ', 'SELECT m.id, m.seq, ', 1)}"
    )
    return fields, sql


def _write_in_one_statement(msg, params, is_note):
    fields, sql = _one_statement(is_note)
    db = connections[connection.alias]  # the real connection, not the thread's proxy
    for f in fields:
        if isinstance(f, FileField):
            # No file on this path: the empty name as it is. Django's pre_save would make the
            # message a FieldFile referring back to it, a reference cycle per send that only the
            # cyclic garbage collector frees (docs/realtime-performance.md).
            value = msg.__dict__.get(f.attname) or ""
        else:
            value = f.pre_save(msg, True)
        params[f"m_{f.attname}"] = f.get_db_prep_save(value, db)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    msg.pk, msg.seq = row[0], row[1]
    msg._state.adding, msg._state.db = False, db.alias
    return _room_from_row(row[2:])


def _write_stepwise(msg, params, is_note):
    """Elsewhere (SQLite), or with a file to store: the same steps, one statement each."""
    with connection.cursor() as cursor:
        cursor.execute(_room_write_sql(is_note), params)
        if not is_note and cursor.rowcount == 0:
            return None
        room_table = ChatRoom._meta.db_table
        cursor.execute(f"{_read_back_sql(f'{room_table} r')} WHERE r.id = %(room)s", params)
        row = cursor.fetchone()
    if row is None:
        return None
    msg.save()
    _assign_stream_seq(msg)
    return _room_from_row(row)


SUBJECT_MAX_LENGTH = 200
DERIVED_SUBJECT_LENGTH = 80


def derive_subject(message: str = "", product=None) -> str:
    """A subject for a room opened without one: the first words of the message, else the product's title."""
    text = " ".join((message or "").split())
    if not text and product is not None:
        text = " ".join(product.get_title().split())
    if len(text) <= DERIVED_SUBJECT_LENGTH:
        return text
    # Cut at a word boundary where there is one, so the subject does not end mid-word.
    cut = text[: DERIVED_SUBJECT_LENGTH - 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return cut.rstrip(" ,.;:") + "…"


def open_room(*, customer, opened_by, subject="", message="", product=None, priority=None):
    """Open a room for ``customer``; ``message`` and ``product`` become its first messages.

    Without a subject, it is derived from the message or the product (API 1.1).
    """
    subject = (subject or "").strip() or derive_subject(message, product)
    if not subject:
        raise ValidationError({"subject": [_("Write a subject or a first message.")]})
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise ValidationError({"subject": [_("Ensure this field has no more than 200 characters.")]})
    if priority is not None and priority not in ChatRoom.Priority.values:
        raise ValidationError({"priority": [_("Unknown priority.")]})
    with transaction.atomic():
        limits.check_room_rate(customer, opened_by)
        room = ChatRoom.objects.create(
            user=customer,
            subject=subject,
            priority=priority or ChatRoom.Priority.NORMAL,
            admin=opened_by if opened_by.pk != customer.pk and is_agent(opened_by) else None,
        )
        # Assigned before the first messages: a message takes the stream's next position, one row
        # for the whole shop locked until commit, and waiting for an agent's turn must not hold it.
        assigned = opened_by.pk == customer.pk and auto_assign(room) is not None
        if message:
            post_message(room, opened_by, message=message)
        if product is not None:
            post_message(room, opened_by, message_type=MessageType.PRODUCT, product=product)
        room.refresh_from_db()
        events.room_changed(room, changed=("created", "admin") if assigned else ("created",))
    return room


def auto_assign(room):
    """Give ``room``, just opened by its customer, to the next agent of the round robin; returns
    the agent, or None (``AUTO_ASSIGN`` off, or nobody eligible: the room stays unassigned).

    Eligible: online (``presence``), an agent, not the room's customer, with fewer than
    ``AUTO_ASSIGN_MAX_OPEN`` OPEN rooms assigned. Next: the eligible agent whose last automatic
    assignment is the oldest (never first). Call it inside the opening transaction: the chosen
    agent's ``AgentTurn`` row stays locked until it commits, and a concurrent opening skips a
    locked row, so two rooms opened at once go to two agents (fair and safe across processes,
    with no state in memory). Only when every eligible row is locked does it wait for the first
    in turn, then re-counts that agent's rooms.
    """
    if not conf.get("AUTO_ASSIGN") or room.admin_id is not None:
        return None
    candidates = selectors.assignable_agents(exclude_user_id=room.user_id)
    if not candidates:
        return None
    known = set(AgentTurn.objects.filter(agent_id__in=candidates).values_list("agent_id", flat=True))
    if known != candidates:
        # An agent's first turn. In id order, so that two openings inserting the same rows wait
        # for each other (briefly) rather than deadlock.
        new = [AgentTurn(agent_id=pk) for pk in sorted(candidates - known)]
        AgentTurn.objects.bulk_create(new, ignore_conflicts=True)
    turn = None
    passed: set[int] = set()
    while turn is None:
        turns = AgentTurn.objects.filter(agent_id__in=candidates - passed).order_by(
            F("last_assigned_at").asc(nulls_first=True), "agent_id"
        )
        locked = turns.select_for_update(skip_locked=True).first()
        if locked is None and not passed:
            # Every candidate is being given a room right now. Waiting holds no other turn, so
            # no two openings can wait on each other.
            locked = turns.select_for_update().first()
        if locked is None:
            return None
        # Counted again under the lock: an assignment that committed meanwhile counts.
        if selectors.under_assignment_cap([locked.agent_id]):
            turn = locked
        else:
            passed.add(locked.agent_id)
    agent = get_user_model().objects.get(pk=turn.agent_id)
    AgentTurn.objects.filter(pk=turn.pk).update(last_assigned_at=timezone.now())
    room.admin = agent
    room.save(update_fields=["admin"])
    return agent


def normalise_labels(labels) -> list[str]:
    """Labels as stored: whitespace collapsed, lower case, duplicates dropped, in the order given.

    Anything but a list of non-blank strings of at most ``LABEL_MAX_LENGTH`` characters, at most
    ``MAX_LABELS`` of them, is a 400 for ``labels``.
    """
    max_length, max_labels = conf.get("LABEL_MAX_LENGTH"), conf.get("MAX_LABELS")
    if not isinstance(labels, list | tuple) or not all(isinstance(label, str) for label in labels):
        raise ValidationError({"labels": [_("Give a list of labels (text).")]})
    normalised = []
    for label in labels:
        label = " ".join(label.split()).lower()
        if not label:
            raise ValidationError({"labels": [_("A label may not be blank.")]})
        if len(label) > max_length:
            raise ValidationError(
                {"labels": [_("Ensure each label has no more than %(n)d characters.") % {"n": max_length}]}
            )
        if label not in normalised:
            normalised.append(label)
    if len(normalised) > max_labels:
        raise ValidationError({"labels": [_("A conversation may carry at most %(n)d labels.") % {"n": max_labels}]})
    return normalised


def manage_room(room, *, status=None, priority=None, admin=..., labels=None, by=None):
    """Change status, priority, assignee and/or labels (``admin=None`` unassigns; omitted keeps it).

    ``labels`` replaces the room's labels (``normalise_labels``); ``[]`` removes them all.
    """
    if labels is not None:
        labels = normalise_labels(labels)
    if status is not None and status not in ChatRoom.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if priority is not None and priority not in ChatRoom.Priority.values:
        raise ValidationError({"priority": [_("Unknown priority.")]})
    if admin is not ... and admin is not None and not is_agent(admin):
        raise ValidationError({"admin_id": [_("This user is not an agent.")]})
    with transaction.atomic():
        room = _locked_room(room)
        changed = []
        if status is not None and status != room.status:
            room.status = status
            changed.append("status")
        if priority is not None and priority != room.priority:
            room.priority = priority
            changed.append("priority")
        if admin is not ... and (admin.pk if admin else None) != room.admin_id:
            room.admin = admin
            changed.append("admin")
        if labels is not None and labels != room.labels:
            room.labels = labels
            changed.append("labels")
        if changed:
            stamped = timestamps.on_status_change(room) if "status" in changed else []
            room.save(update_fields=versioned(room, [*changed, *stamped]))
            events.room_changed(room, changed=changed)
    return room


def mark_read(room, reader):
    """Mark every message from the other side read for ``reader``. Returns the room."""
    with transaction.atomic():
        room = _locked_room(room)
        reader_is_customer = reader.pk == room.user_id
        unread = audience.messages_in_view(room.messages.filter(is_read=False), viewer_is_customer=reader_is_customer)
        unread = unread.exclude(sender_id=room.user_id) if reader_is_customer else unread.filter(sender_id=room.user_id)
        last_read_id = unread.aggregate(m=Max("id"))["m"]
        if (
            last_read_id is None
            and (room.customer_unread_count if reader_is_customer else room.agent_unread_count) == 0
        ):
            return room
        unread.update(is_read=True)
        if reader_is_customer:
            room.customer_unread_count = 0
            fields = ["customer_unread_count"]
        else:
            room.agent_unread_count = 0
            room.is_read = True
            fields = ["agent_unread_count", "is_read"]
        room.save(update_fields=versioned(room, fields))
        if last_read_id is not None:
            events.publish_read(room, reader, last_read_id)
        events.room_changed(room, changed=("read",))
    return room


# How long a "typing" stays shown on the other side without news (clients expire it too).
TYPING_SHOWN_SECONDS = 30


def set_typing(room, user, is_typing):
    """Tell the other participants that ``user`` is (or stopped) typing. Returns whether an event left.

    At most one "typing" event a second per user and room (``TYPING_THROTTLE_SECONDS``), so a
    client may report every keystroke; "stopped" passes only after a "typing" that went out,
    so the other side is never left showing a typist who stopped. The marks live in Django's
    cache (Redis when REDIS_URL is set), so the throttle holds across server processes.
    """
    from django.core.cache import cache

    base = f"oscar_chat:typing:{room.pk}:{user.pk}"
    try:
        if is_typing:
            # add() is atomic: of concurrent reports within the window only one passes.
            if not cache.add(f"{base}:recent", 1, timeout=conf.get("TYPING_THROTTLE_SECONDS")):
                return False
            cache.set(f"{base}:shown", 1, timeout=TYPING_SHOWN_SECONDS)
        elif not cache.delete(f"{base}:shown"):
            return False
    except Exception:  # noqa: BLE001 - the cache being down must not fail the request; typing is a hint
        logger.warning("oscar_chat: typing throttle unavailable (cache error)", exc_info=True)
        return False
    events.publish_typing(room, user, bool(is_typing))
    return True


def _ticket_key(ticket):
    # Only a digest is stored: a cache dump reveals no usable ticket.
    return "oscar_chat:sse-ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


@dataclass(frozen=True)
class StreamTicket:
    """What a redeemed ticket carries: its user, and what the access of the request that
    asked for it hung on (its session, or its token's expiry), which the stream inherits."""

    user_id: int
    session_key: str | None = None
    expires_at: float | None = None


def issue_stream_ticket(user, *, session_key: str | None = None, expires_at: float | None = None):
    """A single-use ticket opening ``user``'s event stream, for clients that cannot send headers.

    Returns ``(ticket, lifetime in seconds)``. Kept in Django's cache (Redis when REDIS_URL is
    set), so a ticket issued by one server process opens a stream on any other. A stream
    opened with it ends when ``session_key`` is logged out or at ``expires_at``.
    """
    from django.core.cache import cache

    ticket = secrets.token_urlsafe(32)
    lifetime = int(conf.get("SSE_TICKET_TTL"))
    value = {"user": user.pk, "session": session_key, "expires_at": expires_at}
    cache.set(_ticket_key(ticket), value, timeout=lifetime)
    return ticket, lifetime


def redeem_stream_ticket(ticket) -> StreamTicket | None:
    """What a valid ticket was issued for, consuming it; None if unknown, used or expired."""
    from django.core.cache import cache

    if not ticket or len(ticket) > 200:
        return None
    key = _ticket_key(ticket)
    value = cache.get(key)
    # delete() reports whether the key was still there: of two concurrent uses only one wins.
    if not isinstance(value, dict) or not cache.delete(key):
        return None
    return StreamTicket(user_id=value["user"], session_key=value.get("session"), expires_at=value.get("expires_at"))


# Customer activity (the agents' customer panel; docs/assignment.md) -----------------------

PAGE_URL_MAX_LENGTH = 2000
PAGE_TITLE_MAX_LENGTH = 200
# Page reports passed on per customer and minute, whatever the pages: a client looping over
# URLs cannot flood the agents' streams.
PAGE_REPORTS_PER_MINUTE = 30


def _store_path(url: str, host: str) -> str:
    """``url`` as a path of this store (``/path?query``), or a 400 for ``url``: a relative URL
    starting with ``/``, or an http(s) URL of ``host``."""
    refused = ValidationError({"url": [_("Give a page of this store: a path starting with / or a URL of this site.")]})
    if not url or any(ord(char) < 33 or ord(char) == 127 for char in url) or "\\" in url:
        raise refused
    try:
        parts = urlsplit(url)
    except ValueError:
        raise refused from None
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
            raise refused
    elif not url.startswith("/") or url.startswith("//"):
        raise refused
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def report_page(customer, url: str, title: str = "", *, host: str) -> bool:
    """Record the store page ``customer`` has open and tell the agents (a ``customer`` event with
    ``page``). Returns whether it was passed on.

    ``url``: a path of the store, or an http(s) URL of ``host`` (stored as its path and query).
    Only a customer with a chat room is recorded (anyone else: nothing, False). The same page
    again within ``CUSTOMER_PAGE_REPEAT_SECONDS`` costs one cache read and is not passed on;
    past ``PAGE_REPORTS_PER_MINUTE`` reports a minute, ``RateLimited``.
    """
    if len(url) > PAGE_URL_MAX_LENGTH:
        raise ValidationError(
            {"url": [_("Ensure this field has no more than %(n)d characters.") % {"n": PAGE_URL_MAX_LENGTH}]}
        )
    if len(title) > PAGE_TITLE_MAX_LENGTH:
        raise ValidationError(
            {"title": [_("Ensure this field has no more than %(n)d characters.") % {"n": PAGE_TITLE_MAX_LENGTH}]}
        )
    path = _store_path(url.strip(), host)
    title = " ".join(title.split())
    now = timezone.now()
    previous = presence.customer_page(customer.pk)
    if previous and previous.get("url") == path and previous.get("title") == title:
        seen = datetime.fromisoformat(previous["at"])
        if (now - seen).total_seconds() < conf.get("CUSTOMER_PAGE_REPEAT_SECONDS"):
            return False  # a reload: the agents know this page already
    minute = int(now.timestamp() // 60)
    counter = f"oscar_chat:page-reports:{customer.pk}:{minute}"
    cache.add(counter, 0, timeout=120)
    try:
        reports = cache.incr(counter)
    except ValueError:  # evicted since add(): this report is the minute's first again
        cache.set(counter, reports := 1, timeout=120)
    if reports > PAGE_REPORTS_PER_MINUTE:
        raise RateLimited(60 - int(now.timestamp()) % 60, detail=_("Too many page reports. Try again shortly."))
    room_ids = selectors.activity_rooms(customer.pk)
    if not room_ids:
        return False
    page = payloads.page_activity(path, title, now)
    presence.remember_customer_page(customer.pk, page)
    events.publish_customer_activity(customer.pk, room_ids, payloads.customer_activity(customer.pk, page=page))
    return True


def basket_changed(customer) -> None:
    """Once the transaction commits, tell the agents the basket of ``customer`` (a chat customer)
    as the storefront prices it (a ``customer`` event with ``basket``). Never fails the caller."""

    def send():
        try:
            room_ids = selectors.activity_rooms(customer.pk)
            if not room_ids:
                return
            from .products import customer_basket

            basket = payloads.basket_activity(customer_basket(customer))
            events.publish_customer_activity(
                customer.pk, room_ids, payloads.customer_activity(customer.pk, basket=basket)
            )
        except Exception:  # noqa: BLE001 - the customer's basket works whatever the chat's panel hears
            logger.exception("oscar_chat: could not publish the basket of customer %s", customer.pk)

    transaction.on_commit(send)
