"""The one reader of object ids and cursors from requests (paths, queries, bodies, headers).

An id is ASCII digits only: ``str.isdigit()`` and ``int()`` also take "²", "٣", "1_000" or
" 7 ", and ``int()`` of a number beyond the database's bigint overflows the driver. Every
place that reads an id or a cursor from outside goes through :func:`parse_id`.
"""

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# The largest value a bigint column holds: larger ids cannot name a row.
MAX_ID = 2**63 - 1
# At most 19 digits (MAX_ID has 19), so int() never sees a long string.
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value: object, *, minimum: int = 1) -> int | None:
    """The id ``value`` holds (ASCII digits, or a JSON integer), from ``minimum`` to ``MAX_ID``; else None.

    ``minimum=0`` for cursors that may start before the first id (``after=0``, ``Last-Event-ID: 0``).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if minimum <= number <= MAX_ID else None


INVALID_ID = _("Use an id: a whole number written with the digits 0-9.")


class InvalidId(serializers.ValidationError):
    """A ``400`` naming the parameter that does not hold an id."""

    def __init__(self, name: str):
        super().__init__({name: [INVALID_ID]})


def require_id(value: object, name: str, *, minimum: int = 1) -> int:
    """:func:`parse_id`, or :class:`InvalidId` (``400``) for parameter ``name``."""
    number = parse_id(value, minimum=minimum)
    if number is None:
        raise InvalidId(name)
    return number


class IdField(serializers.IntegerField):
    """An id or cursor in a query or body (``min_value``: the smallest accepted, default 1)."""

    default_error_messages = {"invalid": INVALID_ID}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        number = parse_id(data, minimum=self.min_value)
        if number is None:
            self.fail("invalid")
        return number
