"""Oscar products in the chat: what may be shared, product search, cards, basket and wish list.

- ``cards``: a product as a card, priced by Oscar's strategy for the user who asks.
- ``selectors``: reads (what is shareable, search, live cards, basket summary).
- ``services``: writes (add to Oscar's basket, add to a wish list).
"""

from .cards import (
    build_cards,
    card_queryset,
    product_card,
    product_snapshot,
    unavailable,
)
from .selectors import (
    basket_summary,
    customer_basket,
    get_public_product,
    get_shareable_product,
    live_cards,
    public_products,
    search_products,
    shareable_products,
    strategy_for,
)

__all__ = [
    "basket_summary",
    "build_cards",
    "card_queryset",
    "customer_basket",
    "get_public_product",
    "get_shareable_product",
    "live_cards",
    "product_card",
    "product_snapshot",
    "public_products",
    "search_products",
    "shareable_products",
    "strategy_for",
    "unavailable",
]
