"""Who is an agent: staff with the chat permission (a superuser has it).

Whether a staff member holds the permission is remembered in Django's cache (shared by the
server processes when it is Redis), so the check costs no query after the first; the
receivers of ``oscar_chat.receivers`` forget it whenever a user's permissions or groups, or
a group's permissions, change. A server process whose event hub hears every change of access
also keeps it in its own memory (``oscar_chat.access_memo``). The user's own flags (active,
staff, superuser) are read from the user object every time.
"""

import logging

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Q

from . import access_memo
from .user_cache import forget_in_process, forget_keys

AGENT_PERMISSION = "oscar_chat.change_chatroom"
# Remembered for at most this long, in case a change reached the database without a signal
# (a raw SQL update, a queryset update of groups).
AGENT_CACHE_SECONDS = 300
logger = logging.getLogger(__name__)


def _cache_key(user_id):
    return f"oscar_chat:agent:{user_id}"


def _holds_permission(user) -> bool:
    memo = getattr(user, "_oscar_chat_holds_permission", None)
    if memo is not None:
        return memo
    held = access_memo.recall("agent", user.pk)
    if held is not None:
        user._oscar_chat_holds_permission = held
        return held
    generation = access_memo.generation()
    key = _cache_key(user.pk)
    try:
        held = cache.get(key)
    except Exception:  # noqa: BLE001 - the cache is down: ask the database
        logger.warning("oscar_chat: agent cache unavailable", exc_info=True)
        held = None
    if held is None:
        held = bool(user.has_perm(AGENT_PERMISSION))
        try:
            cache.set(key, held, timeout=AGENT_CACHE_SECONDS)
        except Exception:  # noqa: BLE001 - not remembered: asked again next time
            logger.warning("oscar_chat: agent cache unavailable", exc_info=True)
    access_memo.remember("agent", user.pk, held, generation)
    user._oscar_chat_holds_permission = held
    return held


def is_agent(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and (getattr(user, "is_superuser", False) or _holds_permission(user))
    )


def share_agent_check(user, same_user) -> None:
    """``same_user``, the account of ``user`` read again (a row read back with a write), answers
    ``is_agent`` from what ``user`` already learned: no second cache read for the same request."""
    memo = getattr(user, "_oscar_chat_holds_permission", None)
    if memo is not None and same_user is not None and same_user.pk == user.pk:
        same_user._oscar_chat_holds_permission = memo


def forget_agents(user_ids) -> None:
    """Drop what the cache remembers about ``user_ids``: now, and again after the transaction
    commits (a request reading the old permissions meanwhile may have remembered them); in this
    process's memo too."""
    user_ids = [pk for pk in user_ids if pk is not None]
    forget_in_process(user_ids)
    forget_keys([_cache_key(pk) for pk in user_ids], "agent cache")


def agents_queryset():
    """Active staff users holding the chat permission, directly, through a group, or as superuser."""
    app_label, codename = AGENT_PERMISSION.split(".")
    perm = Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    group_perm = Q(
        groups__permissions__codename=codename,
        groups__permissions__content_type__app_label=app_label,
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | perm | group_perm)
        .distinct()
    )


def agent_ids_among(users):
    """The ids of the agents among ``users``, in at most one query (for lists of rooms and messages).

    Only active staff can be agents and an active superuser always is, so the query runs only
    for the other staff members, whatever the number of users.
    """
    staff = {user.pk: user for user in users if user is not None and user.is_active and user.is_staff}
    agents = {pk for pk, user in staff.items() if user.is_superuser}
    others = staff.keys() - agents
    if others:
        agents.update(agents_queryset().filter(pk__in=others).values_list("pk", flat=True))
    return agents


def display_name(user):
    """Full name, else email, else username."""
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return full or getattr(user, "email", "") or user.get_username()
