"""Reads about products: what the chat may show, product search, live cards, basket summary."""

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from .. import conf
from ..exceptions import ValidationError
from ..ids import parse_id
from .cards import build_cards, card_queryset

Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")
ProductAttribute = get_model("catalogue", "ProductAttribute")
ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")
Selector = get_class("partner.strategy", "Selector")
Basket = get_model("basket", "Basket")
Applicator = get_class("offer.applicator", "Applicator")

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 8

# Search ranks, best first: an exact SKU or UPC, then title words, then brand, then part of a code.
RANK_EXACT_CODE, RANK_TITLE, RANK_BRAND, RANK_PARTIAL_CODE = range(4)
# Where a brand attribute's value is, by Oscar's attribute type (text and richtext: value_text).
BRAND_LOOKUPS = {
    "option": "value_option__option__icontains",
    "multi_option": "value_multi_option__option__icontains",
}


def shareable_products():
    """Public products a chat may share: standalone and parent products (children via their parent)."""
    return Product.objects.browsable()


def _visible(prefix=""):
    """Public products and public variants of public parents (``prefix`` reaches the product)."""
    return Q(**{f"{prefix}is_public": True}) & (
        Q(**{f"{prefix}parent__isnull": True}) | Q(**{f"{prefix}parent__is_public": True})
    )


def public_products():
    """Products a user may look at, buy or wish for: the shareable ones and their public variants."""
    return Product.objects.filter(_visible())


def get_shareable_product(product_id, field="product_id"):
    """The shareable product with this id; a 400 for ``field`` when there is none."""
    number = parse_id(product_id)
    product = shareable_products().filter(pk=number).first() if number else None
    if product is None:
        raise ValidationError({field: [_("No public product with this id.")]})
    return product


def get_public_product(product_id):
    """A public product or public variant by id, with its card data prefetched; None if there is none."""
    number = parse_id(product_id)
    if number is None:
        return None
    return card_queryset(public_products()).filter(pk=number).first()


def strategy_for(request=None, user=None):
    """Oscar's purchase strategy: the request's own (set by Oscar's basket middleware), else a new one."""
    if request is not None and getattr(request, "strategy", None) is not None:
        return request.strategy
    return Selector().strategy(request=request, user=user)


# Search


def _brand_attribute_ids():
    """``{type: [attribute ids]}`` of the brand attributes (one per product class that has one)."""
    ids = {}
    for pk, kind in ProductAttribute.objects.filter(code=conf.get("BRAND_ATTRIBUTE")).values_list("pk", "type"):
        ids.setdefault(kind, []).append(pk)
    return ids


def _search_branches(q):
    """One queryset per way a product can match, each yielding the shareable product's id as ``target``.

    A variant's match finds its parent. Each branch is cheap on its own (a trigram index on
    PostgreSQL); combined into one OR across the joins the planner could use none of them.
    """
    words = q.split()[:MAX_QUERY_WORDS]
    products = Product.objects.filter(_visible()).annotate(target=Coalesce("parent_id", "id"))
    stockrecords = StockRecord.objects.filter(_visible("product__")).annotate(
        target=Coalesce("product__parent_id", "product_id")
    )
    titles = products
    for word in words:
        titles = titles.filter(title__icontains=word)
    branches = [
        (RANK_EXACT_CODE, products.filter(upc__iexact=q)),
        (RANK_EXACT_CODE, stockrecords.filter(partner_sku__iexact=q)),
        (RANK_TITLE, titles),
        (RANK_PARTIAL_CODE, products.filter(upc__icontains=q)),
        (RANK_PARTIAL_CODE, stockrecords.filter(partner_sku__icontains=q)),
    ]
    values = ProductAttributeValue.objects.filter(_visible("product__")).annotate(
        target=Coalesce("product__parent_id", "product_id")
    )
    # Only the columns the store's brand attributes use: a branch over a column that is NULL
    # everywhere (value_option, when brands are text) gets a bad plan and costs for nothing.
    for kind, attribute_ids in _brand_attribute_ids().items():
        lookup = BRAND_LOOKUPS.get(kind, "value_text__icontains")
        branches.append((RANK_BRAND, values.filter(attribute_id__in=attribute_ids, **{lookup: q})))
    return branches


def search_product_ids(q, limit):
    """Ids of the best ``limit`` shareable products for ``q``, best first.

    Two queries: the brand attributes' types, then ONE UNION ALL of the branches.

    Each branch keeps only its own best ``limit`` (newest first); a UNION ALL of them holds
    every product of the overall best ``limit``, since all branches order the same way.
    """
    parts, params, db = [], [], None
    for number, (rank, queryset) in enumerate(_search_branches(q)):
        db = queryset.db
        branch = queryset.values_list("target", flat=True).order_by("-target").distinct()[:limit]
        try:
            sql, branch_params = branch.query.sql_with_params()
        except EmptyResultSet:
            continue
        alias = f"b{number}"
        target = connections[db].ops.quote_name("target")
        # A subquery in FROM: both SQLite and PostgreSQL take an ORDER BY/LIMIT there.
        parts.append(f"SELECT {alias}.{target}, {int(rank)} FROM ({sql}) {alias}")
        params.extend(branch_params)
    if not parts:
        return []
    with connections[db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    best = {}
    for product_id, rank in rows:
        best[product_id] = min(rank, best.get(product_id, rank))
    return sorted(best, key=lambda product_id: (best[product_id], -product_id))[:limit]


def search_products(q, *, limit):
    """Shareable products matching ``q`` (title words, brand, partner SKU, UPC), best first.

    An empty ``q`` lists the newest. Constant query count: two for the ids, then the cards'.
    """
    q = " ".join((q or "").split())[:MAX_QUERY_LENGTH]
    if not q:
        return list(card_queryset(shareable_products()).order_by("-date_created", "-id")[:limit])
    ids = search_product_ids(q, limit)
    if not ids:
        return []
    by_id = {product.pk: product for product in card_queryset(shareable_products().filter(pk__in=ids))}
    return [by_id[product_id] for product_id in ids if product_id in by_id]


def live_cards(product_ids, strategy):
    """``{product id: card}`` of those ``product_ids`` that are still shareable, in one batch.

    Ids missing from the answer (deleted, unpublished) render from the message's snapshot.
    """
    ids = {product_id for product_id in product_ids if product_id is not None}
    if not ids:
        return {}
    products = list(card_queryset(shareable_products().filter(pk__in=ids)))
    return {card["id"]: card for card in build_cards(products, strategy)}


# Basket


def basket_summary(basket):
    """The basket as the API shows it: id, number of items, total and currency."""
    total = basket.total_incl_tax if basket.is_tax_known else basket.total_excl_tax
    return {
        "id": basket.pk,
        "num_items": basket.num_items,
        "total": f"{total:.2f}",
        "currency": basket.currency or settings.OSCAR_DEFAULT_CURRENCY,
    }


def customer_basket(customer):
    """The customer's open Oscar basket as the storefront prices it for them (their strategy,
    Oscar's offers applied), or None if empty: ``{"basket", "lines" (each with
    ``display_price``), "num_items", "total", "currency"}``. The agents' customer panel and
    its live ``customer`` events both read it here."""
    basket = Basket.open.filter(owner=customer).order_by("-date_created", "-id").first()
    if basket is None:
        return None
    basket.strategy = strategy_for(user=customer)
    lines = list(basket.all_lines())
    if not lines:
        return None
    Applicator().apply(basket, customer)
    for line in lines:
        line.display_price = line.line_price_incl_tax if line.is_tax_known else line.line_price_excl_tax
    return {
        "basket": basket,
        "lines": lines,
        "num_items": sum(line.quantity for line in lines),
        "total": basket.total_incl_tax if basket.is_tax_known else basket.total_excl_tax,
        "currency": basket.currency or settings.OSCAR_DEFAULT_CURRENCY,
    }
