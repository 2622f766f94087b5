"""Errors the services raise; the API turns each into a clear 4xx."""

from django.core.exceptions import ValidationError  # noqa: F401  (re-exported for callers)


class RateLimited(Exception):
    def __init__(self, wait_seconds):
        super().__init__(f"Too many messages. Try again in {wait_seconds} seconds.")
        self.wait_seconds = wait_seconds
