"""Chat data for tests, made through the services (as the application makes it)."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from oscar_chat import services
from oscar_chat.models import ChatMessage, ChatRoom


def open_room(customer, subject="Where is my order?", *, by=None, message="", **kwargs):
    return services.open_room(customer=customer, opened_by=by or customer, subject=subject, message=message, **kwargs)


def say(room, sender, text="Hello", **kwargs):
    message, _created = services.post_message(room, sender, message=text, **kwargs)
    return message


def many_rooms(customer, count, *, admin=None, start=None):
    """``count`` rooms of ``customer`` in one query, with distinct activity times (newest last)."""
    start = start or timezone.now() - timedelta(days=1)
    return ChatRoom.objects.bulk_create(
        ChatRoom(user=customer, admin=admin, subject=f"Room {n}", last_activity=start + timedelta(seconds=n))
        for n in range(count)
    )


def many_messages(room, senders, count):
    """``count`` messages in ``room`` in one query, senders taken in turn (ids ascending)."""
    now = timezone.now() - timedelta(hours=1)
    return ChatMessage.objects.bulk_create(
        ChatMessage(
            room=room,
            sender=senders[n % len(senders)],
            message=f"Message {n}",
            created_at=now + timedelta(milliseconds=n),
        )
        for n in range(count)
    )


def db_state():
    """Everything the chat API can change, to prove that a refused request changed nothing."""
    rooms = list(ChatRoom.objects.order_by("pk").values())
    messages = list(ChatMessage.objects.order_by("pk").values())
    return {"rooms": rooms, "messages": messages, "vendor": connection.vendor}


def make_product(title="Kopi Arabika Gayo 250g", *, price="85000", stock=10, public=True, upc=None):
    """A standalone Oscar product with one stock record, as a store's catalogue has them."""
    from decimal import Decimal

    from oscar.core.loading import get_model

    product_class, _ = get_model("catalogue", "ProductClass").objects.get_or_create(
        name="Goods", defaults={"track_stock": True}
    )
    partner, _ = get_model("partner", "Partner").objects.get_or_create(name="Toko Test")
    product = get_model("catalogue", "Product").objects.create(
        title=title, product_class=product_class, structure="standalone", is_public=public, upc=upc
    )
    get_model("partner", "StockRecord").objects.create(
        product=product,
        partner=partner,
        partner_sku=f"SKU-{product.pk}",
        price_currency="IDR",
        price=Decimal(price),
        num_in_stock=stock,
    )
    return product
