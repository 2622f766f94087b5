"""Oscar vouchers in the chat: the VOUCHER card (API 1.1) and applying one to a basket by Oscar's rules."""

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

# Oscar's own refusals, word for word: translated by Oscar's catalog, not extracted into ours.
from django.utils.translation import gettext as oscar_says
from oscar.core.loading import get_class, get_model

from .exceptions import NotPurchasable, ValidationError

Voucher = get_model("voucher", "Voucher")
Applicator = get_class("offer.applicator", "Applicator")
voucher_addition = get_class("basket.signals", "voucher_addition")

MAX_CODE_LENGTH = 128


def _description(voucher) -> str:
    # Oscar's vouchers have no description of their own: their offers' describe them (may hold HTML).
    texts = [" ".join(strip_tags(offer.description or "").split()) for offer in voucher.offers.all()]
    return "\n".join(text for text in texts if text)


def voucher_snapshot(voucher) -> dict:
    """What a VOUCHER message stores: the card as shared, with the voucher's period (``card_from_snapshot``)."""
    return {
        "code": voucher.code,
        "name": voucher.name,
        "description": _description(voucher),
        "start_datetime": voucher.start_datetime.isoformat() if voucher.start_datetime else None,
        "end_datetime": voucher.end_datetime.isoformat() if voucher.end_datetime else None,
    }


def card_from_snapshot(snapshot, now=None) -> dict | None:
    """The VOUCHER card of the contract, ``{code, name, description, end_datetime, is_active}``:
    ``is_active`` is worked out when shown, from the stored period (a card does not stay "active"
    after its voucher ends)."""
    if snapshot is None:
        return None
    now = now or timezone.now()
    start, end = (parse_datetime(snapshot.get(key) or "") for key in ("start_datetime", "end_datetime"))
    return {
        "code": snapshot.get("code", ""),
        "name": snapshot.get("name", ""),
        "description": snapshot.get("description", ""),
        "end_datetime": snapshot.get("end_datetime"),
        "is_active": bool(start and end and start <= now <= end),
    }


def find_voucher(code):
    """The voucher with this code (case-insensitive, as Oscar stores codes upper-case), or None."""
    code = code.strip().upper() if isinstance(code, str) else ""
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    return Voucher.objects.filter(code=code).prefetch_related("offers").first()


def get_voucher(code, field: str = "voucher_code"):
    """The voucher with this code; a 400 for ``field`` when there is none."""
    voucher = find_voucher(code)
    if voucher is None:
        raise ValidationError({field: [_("No voucher with this code.")]})
    return voucher


def apply_voucher(basket, voucher, *, user, request=None, sender=None):
    """Add ``voucher`` to ``basket`` as Oscar's ``VoucherAddView`` does, by Oscar's rules and in its words.

    Refused (``NotPurchasable``) when already in the basket, expired, not active, not available
    to ``user`` (``is_available_to_user``), or when no offer of it applies to the basket (then it
    is taken out again). Returns the basket with Oscar's offers applied.
    """
    if basket.id is not None and basket.contains_voucher(voucher.code):
        raise NotPurchasable(
            oscar_says("You have already added the '%(code)s' voucher to your basket") % {"code": voucher.code}
        )
    if voucher.is_expired():
        raise NotPurchasable(oscar_says("The '%(code)s' voucher has expired") % {"code": voucher.code})
    if not voucher.is_active():
        raise NotPurchasable(oscar_says("The '%(code)s' voucher is not active") % {"code": voucher.code})
    is_available, message = voucher.is_available_to_user(user)
    if not is_available:
        raise NotPurchasable(message)
    with transaction.atomic():
        if basket.id is None:
            basket.save()
        basket.vouchers.add(voucher)
        voucher_addition.send(sender=sender or apply_voucher, basket=basket, voucher=voucher)
        Applicator().apply(basket, user, request)
        if not any(discount["voucher"] == voucher for discount in basket.offer_applications):
            basket.vouchers.remove(voucher)
            Applicator().apply(basket, user, request)
            raise NotPurchasable(oscar_says("Your basket does not qualify for a voucher discount"))
    return basket
