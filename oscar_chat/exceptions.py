"""Errors the services raise; the API turns each into a clear 4xx."""

from django.core.exceptions import ValidationError  # noqa: F401  (re-exported for callers)


class RateLimited(Exception):
    def __init__(self, wait_seconds):
        super().__init__(f"Too many messages. Try again in {wait_seconds} seconds.")
        self.wait_seconds = wait_seconds


class NotPurchasable(Exception):
    """Oscar will not sell this product as asked; ``reason`` is Oscar's, ``variants`` a parent's children."""

    def __init__(self, reason, variants=None):
        super().__init__(reason)
        self.reason = str(reason)
        self.variants = variants
