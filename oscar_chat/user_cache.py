"""The authenticated user of a token, remembered for a minute so a request costs no user query.

A JWT names its user by id; reading that user is the first query of every API request and of
every stream opened. ``users_for(model)`` stands in for the model's manager in simplejwt's
``get_user``: the user comes from Django's cache when it is there, from the database otherwise,
and simplejwt's own checks (active, password changed) then run on it as always.

Whatever can change access forgets the user at once (``oscar_chat.receivers``: the user saved
or deleted, their permissions or groups changed, a logout), and an entry lives at most
``USER_CACHE_SECONDS``, for changes that reach the database without a signal. A server process
whose event hub hears every change of access also keeps it in its own memory
(``oscar_chat.access_memo``): then a request asks nobody.
"""

import copy
import logging

from django.core.cache import cache
from django.db import transaction

from . import access_memo

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
    """Drop the remembered ``user_ids`` (``forget_keys``), here and in this process's memo."""
    user_ids = [pk for pk in user_ids if pk is not None]
    forget_in_process(user_ids)
    forget_keys([_key(pk) for pk in user_ids], "user cache")


def forget_in_process(user_ids) -> None:
    """Drop ``user_ids`` from this process's ``access_memo``: now, and after the transaction commits."""
    user_ids = list(user_ids)
    if user_ids:
        access_memo.forget_users(user_ids)
        transaction.on_commit(lambda: access_memo.forget_users(user_ids))


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
        # Each request gets its own copy: what one request sets on its user stays its own.
        remembered = access_memo.recall("user", value)
        if remembered is not None and self._names(remembered, field, value):
            return copy.copy(remembered)
        generation = access_memo.generation()
        user = self._shared(field, value, lookup)
        access_memo.remember("user", value, copy.copy(user), generation)
        return user

    @staticmethod
    def _names(user, field, value) -> bool:
        # Tokens carry the id as a string (simplejwt 5.3+).
        return str(getattr(user, field, None)) == str(value)

    def _shared(self, field, value, lookup):
        """The user from Django's cache, else the database (then cached)."""
        key = _key(value)
        try:
            user = cache.get(key)
        except Exception:  # noqa: BLE001 - the cache is down: ask the database
            logger.warning("oscar_chat: user cache unavailable", exc_info=True)
            return self.model._default_manager.get(**lookup)
        if user is not None and self._names(user, field, value):
            return user
        user = self.model._default_manager.get(**lookup)
        try:
            cache.set(key, user, timeout=USER_CACHE_SECONDS)
        except Exception:  # noqa: BLE001 - not remembered: read again next time
            logger.warning("oscar_chat: user cache unavailable", exc_info=True)
        return user
