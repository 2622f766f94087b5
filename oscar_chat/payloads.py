"""The JSON shapes of the contract (API.md: User summary, Room, Message), built by plain functions.

The API, the admin, the events and the stream all build their JSON here, so a shape is
written once and the send path costs no serializer machinery. ``api.serializers`` keeps the
DRF serializers that document these shapes in the schema and validate input; a test keeps
the two in step.
"""

from datetime import datetime

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .models import ChatMessage, ChatRoom
from .products import unavailable
from .roles import display_name, is_agent
from .vouchers import card_from_snapshot as voucher_card


def _datetime(value: datetime | None, zone=None) -> str | None:
    """As DRF's DateTimeField writes it: ISO 8601 in the current time zone (``zone``, when the
    caller read it already), UTC as ``Z``."""
    if value is None:
        return None
    if timezone.is_aware(value):
        value = value.astimezone(zone or timezone.get_current_timezone())
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def user_summary(user, agent_ids=None) -> dict:
    """``agent_ids``: the agents among the users of a list, when the caller knows them."""
    return {
        "id": user.pk,
        "name": display_name(user),
        "is_agent": user.pk in agent_ids if agent_ids is not None else is_agent(user),
    }


def room_data(room: ChatRoom, *, viewer_is_customer: bool, agent_ids=None) -> dict:
    """A room as its customer (``viewer_is_customer``) or an agent sees it."""
    return _room_dict(room, _room_parts(room, agent_ids), viewer_is_customer)


def room_views(room: ChatRoom, agent_ids=None) -> dict[str, dict]:
    """``{"customer": ..., "agent": ...}``: ``room_data`` for both, what they share built once."""
    parts = _room_parts(room, agent_ids)
    return {"customer": _room_dict(room, parts, True), "agent": _room_dict(room, parts, False)}


def _room_parts(room: ChatRoom, agent_ids) -> dict:
    """What every viewer of ``room`` sees the same: its users and times."""
    zone = timezone.get_current_timezone()
    return {
        "user": user_summary(room.user, agent_ids),
        "admin": user_summary(room.admin, agent_ids) if room.admin_id is not None else None,
        "last_activity": _datetime(room.last_activity, zone),
        "created_at": _datetime(room.created_at, zone),
        "first_response_at": _datetime(room.first_response_at, zone),
        "resolved_at": _datetime(room.resolved_at, zone),
    }


def _room_dict(room: ChatRoom, parts: dict, viewer_is_customer: bool) -> dict:
    unread = room.customer_unread_count if viewer_is_customer else room.agent_unread_count
    return {
        "id": room.pk,
        "subject": room.subject,
        "status": room.status,
        "priority": room.priority,
        "user": parts["user"],
        "admin": parts["admin"],
        "last_message": room.last_message,
        "last_activity": parts["last_activity"],
        "created_at": parts["created_at"],
        "is_read": unread == 0,
        "unread_count": unread,
        # Agents' tags: a customer's view carries none.
        "labels": [] if viewer_is_customer else list(room.labels),
        # API.md 1.1 (docs/operations.md)
        "first_response_at": parts["first_response_at"],
        "resolved_at": parts["resolved_at"],
        "rating": {"score": room.rating_score, "comment": room.rating_comment} if room.rating_score else None,
    }


def _product(message: ChatMessage, live_cards):
    if message.message_type != ChatMessage.MessageType.PRODUCT:
        return None
    if live_cards is not None:
        # Built in one batch for the viewer; a product missing from it is gone or hidden.
        return live_cards.get(message.product_id) or unavailable(message.product_snapshot)
    product = message.product
    if product is None or not product.is_public:
        return unavailable(message.product_snapshot)
    return message.product_snapshot


def attachment_url(message: ChatMessage) -> str | None:
    """Path of the API's view serving ``message``'s file (never the storage's own URL: the files
    are private); None where the API is not mounted."""
    try:
        return reverse("oscar_chat_api:attachment", args=[message.pk])
    except NoReverseMatch:
        return None


def _attachment(message: ChatMessage):
    if not message.has_attachment:
        return None
    return {
        "url": attachment_url(message),
        "name": message.attachment_name,
        "size": message.attachment_size or 0,
        "content_type": message.attachment_content_type,
    }


def message_data(message: ChatMessage, *, live_cards=None, agent_ids=None) -> dict:
    """``live_cards``: product cards priced for the viewer (``products.live_cards``)."""
    return {
        "id": message.pk,
        "room": message.room_id,
        "sender": user_summary(message.sender, agent_ids),
        "message": message.message,
        "message_type": message.message_type,
        "product": _product(message, live_cards),
        "attachment": _attachment(message),
        "order": message.order_snapshot if message.message_type == ChatMessage.MessageType.ORDER else None,
        "voucher": (
            voucher_card(message.voucher_snapshot) if message.message_type == ChatMessage.MessageType.VOUCHER else None
        ),
        "is_read": message.is_read,
        "created_at": _datetime(message.created_at),
        "client_id": message.client_id,
    }


# Customer activity (the agents' ``customer`` event, docs/assignment.md) -------------------

# Basket lines carried by one event: the panel shows a basket, not an inventory.
ACTIVITY_BASKET_LINES = 50


def basket_activity(basket: dict | None) -> dict:
    """A basket as ``products.customer_basket`` reads it (None: empty), as the ``customer`` event carries it."""
    if basket is None:
        return {"num_items": 0, "total": "0.00", "currency": settings.OSCAR_DEFAULT_CURRENCY, "lines": []}
    return {
        "num_items": basket["num_items"],
        "total": f"{basket['total']:.2f}",
        "currency": basket["currency"],
        "lines": [
            {"title": line.product.get_title() if line.product else line.description, "quantity": line.quantity}
            for line in basket["lines"][:ACTIVITY_BASKET_LINES]
        ],
    }


def customer_activity(customer_id: int, *, page: dict | None = None, basket: dict | None = None) -> dict:
    """The ``customer`` event's data: ``{"customer", "page"?, "basket"?}``; each present key is news."""
    data: dict = {"customer": customer_id}
    if page is not None:
        data["page"] = page
    if basket is not None:
        data["basket"] = basket
    return data


def page_activity(url: str, title: str, at: datetime) -> dict:
    return {"url": url, "title": title, "at": _datetime(at)}
