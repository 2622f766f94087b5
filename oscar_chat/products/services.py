"""Writes about products from the chat: Oscar's own basket and wish lists, by Oscar's own rules."""

from django.db import IntegrityError, transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from ..exceptions import NotPurchasable, ValidationError
from .cards import build_cards, card_queryset

Basket = get_model("basket", "Basket")
Product = get_model("catalogue", "Product")
AddToBasketForm = get_class("basket.forms", "AddToBasketForm")
Applicator = get_class("offer.applicator", "Applicator")
basket_addition = get_class("basket.signals", "basket_addition")

# Oscar stores line quantities in a PositiveIntegerField.
MAX_LINE_QUANTITY = 2**31 - 1


def open_basket_for(user, strategy):
    """The user's open basket, found as Oscar's BasketMiddleware finds a signed-in visitor's.

    For requests that did not come through the middleware with this user (JWT): the same
    basket the storefront shows them, with duplicates merged the way the middleware does.
    """
    try:
        basket, __ = Basket.open.get_or_create(owner=user)
    except Basket.MultipleObjectsReturned:
        baskets = list(Basket.open.filter(owner=user).order_by("pk"))
        basket = baskets[0]
        for other in baskets[1:]:
            basket.merge(other, add_quantities=False)
    basket.owner = user
    basket.strategy = strategy
    return basket


def _variants(parent, strategy):
    children = list(card_queryset(Product.objects.public().filter(parent=parent)).order_by("pk"))
    variants = []
    for child, card in zip(children, build_cards(children, strategy)):
        variants.append({**card, "label": child.attribute_summary or child.get_title()})
    return variants


def _refuse(form):
    field_errors = {name: list(errors) for name, errors in form.errors.items() if name != "__all__"}
    if field_errors:
        raise ValidationError(field_errors)
    raise NotPurchasable(capfirst(" ".join(str(error) for error in form.non_field_errors())))


def add_to_basket(basket, product, *, quantity=1, user=None, request=None, sender=None):
    """Add ``quantity`` of ``product`` to ``basket`` (which carries its user's strategy).

    Checked with Oscar's ``AddToBasketForm``: price found, same currency, Oscar's basket
    quantity threshold, and the strategy's ``is_purchase_permitted`` for the new line total
    (Oscar's ``Basket.add_product`` checks none of that). A parent cannot be bought: the
    refusal lists its variants. Then Oscar's ``basket_addition`` signal and offers, as
    Oscar's ``BasketAddView`` does. Raises ``NotPurchasable`` or ``ValidationError``.
    """
    if product.is_parent:
        variants = _variants(product, basket.strategy)
        raise NotPurchasable(
            _("%(product)s comes in variants; choose one: %(variants)s.")
            % {"product": product.get_title(), "variants": "; ".join(v["label"] for v in variants) or "-"},
            variants=variants,
        )
    if product.is_child:
        # As Oscar's product page posts a variant: the parent's form with the child chosen.
        form = AddToBasketForm(basket, product.parent, data={"child_id": product.pk, "quantity": quantity})
    else:
        form = AddToBasketForm(basket, product, data={"quantity": quantity})
    if not form.is_valid():
        _refuse(form)
    quantity = form.cleaned_data["quantity"]
    room_left = MAX_LINE_QUANTITY - basket.product_quantity(form.product)
    if quantity > room_left:
        # Only reachable when the store switched Oscar's basket threshold off.
        raise ValidationError(
            {"quantity": [_("Ensure this value is less than or equal to %(limit)d.") % {"limit": room_left}]}
        )
    with transaction.atomic():
        basket.add_product(form.product, quantity, form.cleaned_options())
    basket_addition.send(sender=sender or add_to_basket, product=form.product, user=user, request=request)
    Applicator().apply(basket, user, request)
    return basket


def add_to_wishlist(user, product):
    """Put ``product`` on the user's first wish list, made if missing. Returns ``(wishlist, added)``.

    The list is found as Oscar's ``WishListAddProduct`` finds it. Unlike that view, a product
    already on the list is left as it is (``added`` False): asking twice changes nothing.
    """
    with transaction.atomic():
        wishlist = user.wishlists.all().first() or user.wishlists.create()
        if wishlist.lines.filter(product=product).exists():
            return wishlist, False
        try:
            with transaction.atomic():
                wishlist.add(product)
        except IntegrityError:
            # The same product added by a concurrent request a moment ago.
            return wishlist, False
    return wishlist, True
