"""Product cards: an Oscar product as the chat shows it, priced for one user.

Prices and availability always come from Oscar's purchase strategy of the user who asks;
cost prices, partner stock counts and allocations never leave this module. Cards of many
products are built in a constant number of queries (see ``card_queryset``).
"""

import logging

from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from .. import conf

logger = logging.getLogger(__name__)

Product = get_model("catalogue", "Product")
ProductImage = get_model("catalogue", "ProductImage")
ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")
Category = get_model("catalogue", "Category")
Selector = get_class("partner.strategy", "Selector")

CARD_KEYS = (
    "id",
    "title",
    "url",
    "image",
    "price",
    "availability",
    "category",
    "brand",
    "sku",
    "upc",
    "is_parent",
)


def _brand_values():
    return ProductAttributeValue.objects.filter(attribute__code=conf.get("BRAND_ATTRIBUTE")).select_related(
        "attribute", "value_option"
    )


def _card_prefetches():
    return [
        # Oscar's UseFirstStockRecord reads product.stockrecords.all(); prefetched, it is free.
        "stockrecords",
        Prefetch("images", queryset=ProductImage.objects.order_by("display_order", "pk")),
        # The name Oscar's Product.get_categories() looks for.
        Prefetch("categories", queryset=Category.objects.browsable(), to_attr="_prefetched_browsable_categories"),
        Prefetch("attribute_values", queryset=_brand_values(), to_attr="_chat_brand_values"),
    ]


def card_queryset(products=None):
    """``products`` (default: all) with what every card needs: one query each for the products,
    their stock records, images, browsable categories and brand values."""
    products = Product.objects.all() if products is None else products
    return products.select_related("product_class", "parent__product_class").prefetch_related(*_card_prefetches())


def _prefetch_for_cards(products):
    """Load what the cards need and is not loaded yet: a query per kind whatever their number."""
    # Products that did not come from card_queryset (e.g. the one being shared).
    prefetch_related_objects([p for p in products if not hasattr(p, "_chat_brand_values")], *_card_prefetches())
    # A child (carded on its own) shows its parent's picture, category and brand.
    parents_of_children = [p.parent for p in products if p.is_child and p.parent is not None]
    prefetch_related_objects(parents_of_children, *_card_prefetches())
    # Only a parent needs its variants: the strategy prices it from them. This is the name
    # Oscar's Product.get_public_children() looks for.
    prefetch_related_objects(
        [p for p in products if p.is_parent],
        Prefetch(
            "children",
            queryset=Product.objects.public().prefetch_related("stockrecords"),
            to_attr="_prefetched_public_children",
        ),
    )
    multi_option_brands = [
        value
        for p in [*products, *parents_of_children]
        for value in p._chat_brand_values
        if value.attribute.type == "multi_option"
    ]
    prefetch_related_objects(multi_option_brands, "value_multi_option")


def _brand(product):
    for value in product._chat_brand_values:
        text = str(value.value_as_text or "").strip()
        if text:
            return text
    if product.is_child and product.parent is not None:
        return _brand(product.parent)
    return None


def _primary_image(product):
    images = list(product.images.all())
    if not images and product.is_child and product.parent is not None:
        images = list(product.parent.images.all())
    return images[0] if images else None


def _thumbnail_url(image):
    """Oscar's thumbnailer (sorl by default); it stores each thumbnail once, then serves it from its cache."""
    if image is None:
        return None
    try:
        from oscar.core.thumbnails import get_thumbnailer

        thumbnail = get_thumbnailer().generate_thumbnail(
            image.original, size=conf.get("CARD_IMAGE_SIZE"), crop="center", upscale=False
        )
        return thumbnail.url if thumbnail else None
    except Exception:  # noqa: BLE001 - a broken image file must not break the chat: show the placeholder
        logger.warning("oscar_chat: no thumbnail for product image %s", image.pk, exc_info=True)
        return None


def _category(product):
    categories = product.get_categories()
    return next(iter(categories if isinstance(categories, list) else categories.all()), None)


def category_full_names(categories):
    """``{category id: "Food > Coffee"}`` for ``categories`` in one query (Oscar's ``full_name`` costs one each)."""
    categories = [c for c in categories if c is not None]
    if not categories:
        return {}
    step = Category.steplen
    prefixes = {c.path[:end] for c in categories for end in range(step, len(c.path) + 1, step)}
    names = dict(Category.objects.filter(path__in=prefixes).values_list("path", "name"))
    return {
        c.pk: Category._full_name_separator.join(
            names.get(c.path[:end], "") for end in range(step, len(c.path) + 1, step)
        )
        for c in categories
    }


def _price(info):
    price = info.price
    if not price.exists:
        return None
    # Oscar leaves the tax unknown for some strategies (e.g. US): show the net price then.
    amount = price.incl_tax if price.is_tax_known else price.excl_tax
    return {"amount": f"{amount:.2f}", "currency": price.currency, "incl_tax": bool(price.is_tax_known)}


def _availability(info):
    availability = info.availability
    # short_message is Oscar's wording for lists ("In stock"); the long one counts the stock.
    # Without a price Oscar's AddToBasketForm refuses the product, so it cannot be bought.
    return {
        "code": availability.code or "",
        "message": str(availability.short_message),
        "is_available_to_buy": bool(availability.is_available_to_buy and info.price.exists),
    }


def _card(product, strategy, full_names):
    is_parent = product.is_parent
    info = strategy.fetch_for_parent(product) if is_parent else strategy.fetch_for_product(product)
    category = _category(product)
    stockrecord = info.stockrecord
    return {
        "id": product.pk,
        "title": product.get_title(),
        "url": product.get_absolute_url(),
        "image": _thumbnail_url(_primary_image(product)),
        "price": _price(info),
        "availability": _availability(info),
        "category": full_names.get(category.pk) if category is not None else None,
        "brand": _brand(product),
        "sku": (stockrecord.partner_sku or None) if stockrecord is not None else None,
        "upc": product.upc or None,
        "is_parent": is_parent,
    }


def build_cards(products, strategy):
    """Cards of ``products`` (from ``card_queryset``: constant queries) in the given order."""
    products = list(products)
    _prefetch_for_cards(products)
    full_names = category_full_names(_category(p) for p in products)
    return [_card(product, strategy, full_names) for product in products]


def product_card(product, strategy):
    """The card of the API contract, priced for whoever ``strategy`` was built for."""
    return build_cards([product], strategy)[0]


def product_snapshot(product, strategy=None):
    """What a PRODUCT message stores: the card as shown when it was shared.

    Priced by the strategy of an anonymous visitor unless told otherwise: the stored card is
    seen by both sides of the room, so it carries nothing particular to the one who shared it.
    """
    return product_card(product, strategy or Selector().strategy())


def unavailable(snapshot):
    """A stored card shown for a product that is gone or no longer public."""
    card = dict.fromkeys(CARD_KEYS)
    card["is_parent"] = False
    card.update(snapshot or {})
    card["availability"] = {
        "code": "unavailable",
        "message": _("No longer available"),
        "is_available_to_buy": False,
    }
    return card
