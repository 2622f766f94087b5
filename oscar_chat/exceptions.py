"""Errors the services raise; the API turns each into a clear 4xx."""

from django.core.exceptions import ValidationError  # noqa: F401  (re-exported for callers)
from django.utils.translation import ngettext


class RateLimited(Exception):
    def __init__(self, wait_seconds, detail=None):
        super().__init__(
            detail
            or ngettext(
                "Too many messages. Try again in %(seconds)d second.",
                "Too many messages. Try again in %(seconds)d seconds.",
                wait_seconds,
            )
            % {"seconds": wait_seconds}
        )
        self.wait_seconds = wait_seconds


class NotPurchasable(Exception):
    """Oscar will not sell this product as asked; ``reason`` is Oscar's, ``variants`` a parent's children."""

    def __init__(self, reason, variants=None):
        super().__init__(reason)
        self.reason = str(reason)
        self.variants = variants
