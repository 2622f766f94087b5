"""The authenticated user of a token, remembered for a minute so a request costs no user query.

A JWT names its user by id; reading that user is the first query of every API request and of
every stream opened. ``users_for(model)`` stands in for the model's manager in simplejwt's
``get_user``: the user comes from Django's cache when it is there, from the database otherwise,
and simplejwt's own checks (active, password changed) then run on it as always.

Whatever can change access forgets the user at once (``oscar_chat.receivers``: the user saved
or deleted, their permissions or groups changed, a logout), and an entry lives at most
``USER_CACHE_SECONDS``, for changes that reach the database without a signal.
"""

import logging

from django.core.cache import cache
from django.db import transaction

USER_CACHE_SECONDS = 60
logger = logging.getLogger(__name__)


def _key(user_id) -> str:
    return f"oscar_chat:user:{user_id}"


def forget_keys(keys: list[str], what: str) -> None:
    """Drop cache ``keys``: now, and again after the transaction commits (a request that read the
    old rows meanwhile may have remembered them). ``what`` names them in the warning when the
    cache cannot be reached (the entries then expire on their own)."""
    if not keys:
        return

    def drop():
        try:
            cache.delete_many(keys)
        except Exception:  # noqa: BLE001 - the entries expire on their own
            logger.warning("oscar_chat: could not clear the %s", what, exc_info=True)

    drop()
    transaction.on_commit(drop)


def forget(user_ids) -> None:
    """Drop the remembered ``user_ids`` (``forget_keys``)."""
    forget_keys([_key(pk) for pk in user_ids if pk is not None], "user cache")


class CachedUsers:
    """What simplejwt asks of ``user_model``: ``objects.get(<id field>=value)`` and ``DoesNotExist``."""

    def __init__(self, model):
        self.model = model
        self.DoesNotExist = model.DoesNotExist

    @property
    def objects(self):
        # Not stored: an object referring to itself is left to the cyclic garbage collector.
        return self

    def get(self, **lookup):
        ((field, value),) = lookup.items()
        key = _key(value)
        try:
            user = cache.get(key)
        except Exception:  # noqa: BLE001 - the cache is down: ask the database
            logger.warning("oscar_chat: user cache unavailable", exc_info=True)
            return self.model._default_manager.get(**lookup)
        # Tokens carry the id as a string (simplejwt 5.3+).
        if user is not None and str(getattr(user, field, None)) == str(value):
            return user
        user = self.model._default_manager.get(**lookup)
        try:
            cache.set(key, user, timeout=USER_CACHE_SECONDS)
        except Exception:  # noqa: BLE001 - not remembered: read again next time
            logger.warning("oscar_chat: user cache unavailable", exc_info=True)
        return user
