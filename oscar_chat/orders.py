"""Oscar orders in the chat: the ORDER card (API 1.1), only of the room's own customer."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from .exceptions import ValidationError

Order = get_model("order", "Order")

MAX_ORDER_NUMBER_LENGTH = 128


def _order_url(order) -> str | None:
    """The customer's order page in Oscar's account area (None when the store has no such page)."""
    try:
        return reverse("customer:order", kwargs={"order_number": order.number})
    except NoReverseMatch:
        return None


def order_card(order) -> dict:
    """What an ORDER message carries: ``{number, status, date_placed, total, currency, lines, url}``."""
    total = order.total_incl_tax if order.total_incl_tax is not None else order.total_excl_tax
    return {
        "number": order.number,
        "status": order.status or "",
        "date_placed": order.date_placed.isoformat() if order.date_placed else None,
        "total": f"{total:.2f}",
        "currency": order.currency,
        "lines": [{"title": line.title, "quantity": line.quantity} for line in order.lines.all()],
        "url": _order_url(order),
    }


def get_customer_order(customer, number, field: str = "order_number"):
    """The order ``number`` placed by ``customer``; a 400 for ``field`` otherwise.

    Another customer's order is refused with the same words as a missing one: an order number
    tells an agent nothing about other customers.
    """
    number = (number or "").strip() if isinstance(number, str) else ""
    order = None
    if number and len(number) <= MAX_ORDER_NUMBER_LENGTH:
        order = Order.objects.filter(number=number, user=customer).prefetch_related("lines").first()
    if order is None:
        raise ValidationError({field: [_("This customer has no order with this number.")]})
    return order
