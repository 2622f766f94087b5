"""Reads of the agents' dashboard: unread totals, the customer panel and quick replies."""

import json
import re

from django.conf import settings
from django.db.models import Count, Q, Sum, TextField
from django.db.models.functions import Cast, Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from oscar.core.loading import get_model

from .. import conf, presence
from ..models import CannedResponse, ChatRoom
from ..products import customer_basket as open_basket  # noqa: F401 - the panel's basket, shared with its events
from ..roles import agents_queryset, display_name

RECENT_ORDERS = 5
OTHER_ROOMS = 10
PLACEHOLDER = re.compile(r"\{(first_name|name|agent_name|subject)\}")


def agents_unread_summary():
    """``{"total": customer messages no agent has read, "rooms": rooms with any}``."""
    return ChatRoom.objects.filter(agent_unread_count__gt=0).aggregate(
        total=Coalesce(Sum("agent_unread_count"), 0), rooms=Count("id")
    )


def agent_choices():
    """``[(id, name)]`` of every agent, for the assignee filter and control."""
    agents = agents_queryset().order_by("first_name", "last_name", "username")
    return [(agent.pk, display_name(agent)) for agent in agents]


def with_labels_text(rooms):
    """``rooms`` with ``labels_text``, their labels as the stored JSON text, for ``in_labels``."""
    return rooms.alias(labels_text=Cast("labels", TextField()))


def in_labels(word: str) -> Q:
    """Rooms (``with_labels_text``) with a label holding ``word``: the search box finds labels.

    Labels are stored lower case; SQLite keeps the JSON text ASCII (``\\u`` escapes), so the
    escaped form is looked for too. A word of punctuation only would match the JSON itself.
    """
    word = word.lower()
    if not any(char.isalnum() for char in word):
        return Q(pk__in=[])
    escaped = json.dumps(word)[1:-1]
    found = Q(labels_text__icontains=word)
    return found | Q(labels_text__icontains=escaped) if escaped != word else found


def recent_orders(customer, viewer, limit=RECENT_ORDERS):
    """The customer's latest Oscar orders, each with the dashboard URL when ``viewer`` may open it."""
    Order = get_model("order", "Order")
    orders = list(Order.objects.filter(user=customer).order_by("-date_placed", "-id")[:limit])
    can_open = orders and _may_open_order_dashboard(viewer, orders[0].number)
    for order in orders:
        order.dashboard_url = None
        if can_open:
            order.dashboard_url = reverse("dashboard:order-detail", kwargs={"number": order.number})
    return orders


def _may_open_order_dashboard(user, number):
    """Oscar's own dashboard access rule for its order page (False when the dashboard is not mounted)."""
    access_fn = import_string(settings.OSCAR_DASHBOARD_DEFAULT_ACCESS_FUNCTION)
    try:
        return bool(access_fn(user, "dashboard:order-detail", url_kwargs={"number": number}))
    except (NoReverseMatch, KeyError):
        return False


def other_rooms(room, limit=OTHER_ROOMS):
    return list(
        ChatRoom.objects.filter(user_id=room.user_id).exclude(pk=room.pk).order_by("-last_activity", "-id")[:limit]
    )


def fill_placeholders(text, room, agent):
    """Replace the quick-reply placeholders; unknown braces stay as typed."""
    customer = room.user
    values = {
        "first_name": (customer.first_name or "").strip() or display_name(customer),
        "name": display_name(customer),
        "agent_name": display_name(agent),
        "subject": room.subject,
    }
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def quick_replies(room, agent):
    """Every canned response, its placeholders filled in for this room and agent."""
    return [
        {"shortcut": canned.shortcut, "title": canned.title, "text": fill_placeholders(canned.text, room, agent)}
        for canned in CannedResponse.objects.order_by("shortcut")
    ]


VOUCHER_RESULTS = 10


def active_vouchers(query: str, limit: int = VOUCHER_RESULTS) -> list[dict]:
    """Oscar's vouchers active now (by Oscar's own ``Voucher.is_active()``) whose code or name
    holds ``query``, as ``{"code", "name", "end_datetime"}``, ending soonest first."""
    Voucher = get_model("voucher", "Voucher")
    query = " ".join((query or "").split())[:128]
    now = timezone.now()
    # The period narrows the query in the database; is_active() stays the rule (a forked
    # voucher app may add to it).
    vouchers = Voucher.objects.filter(start_datetime__lte=now, end_datetime__gte=now)
    if query:
        vouchers = vouchers.filter(Q(code__icontains=query) | Q(name__icontains=query))
    found = []
    for voucher in vouchers.order_by("end_datetime", "code")[: limit * 5]:
        if voucher.is_active():
            found.append(
                {
                    "code": voucher.code,
                    "name": voucher.name,
                    "end_datetime": voucher.end_datetime.isoformat() if voucher.end_datetime else None,
                }
            )
        if len(found) == limit:
            break
    return found


def customer_page(user_id: int) -> dict | None:
    """The store page the customer last reported having open (``oscar_chat.presence``), or None
    (also when the store does not share customers' pages, ``OSCAR_CHAT_CUSTOMER_PAGES``)."""
    return presence.customer_page(user_id) if conf.get("CUSTOMER_PAGES") else None
