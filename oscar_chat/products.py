"""Oscar products as chat cards: what may be shared, and how a card looks for a user.

Prices and availability always come from Oscar's purchase strategy for the requesting user;
cost prices, partner stock counts and allocations never leave this module.
"""

from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from . import conf
from .exceptions import ValidationError

Product = get_model("catalogue", "Product")
Selector = get_class("partner.strategy", "Selector")


def shareable_products():
    """Public products a chat may share: standalone and parent products (children via their parent)."""
    return Product.objects.browsable()


def get_shareable_product(product_id, field="product_id"):
    try:
        return shareable_products().get(pk=int(product_id))
    except (Product.DoesNotExist, ValueError, TypeError):
        raise ValidationError({field: [_("No public product with this id.")]}) from None


def strategy_for(request=None, user=None):
    if request is not None and getattr(request, "strategy", None) is not None:
        return request.strategy
    return Selector().strategy(request=request, user=user)


def _brand(product):
    code = conf.get("BRAND_ATTRIBUTE")
    for value in product.attribute_values.all():
        if value.attribute.code == code:
            return str(value.value_as_text)
    return None


def _image_url(product):
    images = list(product.images.all())
    if not images:
        return None
    try:
        from oscar.core.thumbnails import get_thumbnailer

        thumbnail = get_thumbnailer().generate_thumbnail(images[0].original, size="300x300", crop="center")
        return thumbnail.url
    except Exception:  # noqa: BLE001 - a broken image must not break the chat; show the placeholder
        return None


def product_card(product, strategy):
    """The card of the API contract, priced for whoever ``strategy`` was built for."""
    is_parent = product.is_parent
    info = strategy.fetch_for_parent(product) if is_parent else strategy.fetch_for_product(product)
    price = None
    if info.price.exists:
        amount = info.price.incl_tax if info.price.is_tax_known else info.price.excl_tax
        price = {
            "amount": f"{amount:.2f}",
            "currency": info.price.currency,
            "incl_tax": bool(info.price.is_tax_known),
        }
    category = next(iter(product.get_categories().all()), None) if not product.is_child else None
    stockrecord = info.stockrecord
    return {
        "id": product.pk,
        "title": product.get_title(),
        "url": product.get_absolute_url(),
        "image": _image_url(product),
        "price": price,
        "availability": {
            "code": info.availability.code,
            "message": str(info.availability.message),
            "is_available_to_buy": bool(info.availability.is_available_to_buy),
        },
        "category": category.full_name if category else None,
        "brand": _brand(product),
        "sku": stockrecord.partner_sku if stockrecord is not None else None,
        "upc": product.upc or None,
        "is_parent": is_parent,
    }


def product_snapshot(product, strategy=None):
    """What a PRODUCT message stores: the card as shown when it was shared."""
    return product_card(product, strategy or strategy_for())


def unavailable(snapshot):
    """A stored card shown for a product that is gone or no longer public."""
    card = dict(snapshot or {})
    card["availability"] = {
        "code": "unavailable",
        "message": _("No longer available"),
        "is_available_to_buy": False,
    }
    return card
