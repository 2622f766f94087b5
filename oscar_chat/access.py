"""What an open stream's access hangs on, and whether it still holds.

A stream is granted to a user (as an agent, or not), possibly through a session (logging
out ends it) and possibly until a token expires. When Django says access changed
(``oscar_chat.receivers``), and now and then as a backstop, the process holding the stream
asks ``lost`` which grants no longer hold, reading users, permissions and sessions afresh.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.http import HttpRequest


@dataclass(frozen=True)
class Grant:
    user_id: int
    agent: bool  # opened as an agent: it ends when the user stops being one
    session_key: str | None = None  # opened with this session: it ends at logout
    expires_at: float | None = None  # epoch seconds: it ends then (a token's expiry)


def token_expiry(token) -> float | None:
    """When a validated simplejwt token expires (epoch seconds), or None."""
    try:
        return float(token["exp"])
    except (KeyError, TypeError, ValueError):
        return None


def session_user(session_key: str):
    """The user logged in with this session, or None (logged out, expired, password changed)."""
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = auth.get_user(request)
    return user if user.is_authenticated else None


def lost(grants: Iterable[Grant]) -> set[Grant]:
    """The grants that no longer hold, read from the database (no cache): the user is gone or
    inactive, an agent's grant whose user is no longer an agent, a session's grant whose
    session ended. In one query for the users and one for the agents, plus one read per session."""
    from .roles import agents_queryset

    grants = set(grants)
    user_ids = {grant.user_id for grant in grants}
    active = set(get_user_model()._default_manager.filter(pk__in=user_ids, is_active=True).values_list("pk", flat=True))
    wanted_agents = {grant.user_id for grant in grants if grant.agent} & active
    agents = (
        set(agents_queryset().filter(pk__in=wanted_agents).values_list("pk", flat=True)) if wanted_agents else set()
    )
    sessions = {}
    for key in {grant.session_key for grant in grants if grant.session_key}:
        user = session_user(key)
        sessions[key] = user.pk if user is not None else None

    def holds(grant):
        if grant.user_id not in active:
            return False
        if grant.agent and grant.user_id not in agents:
            return False
        return not grant.session_key or sessions.get(grant.session_key) == grant.user_id

    return {grant for grant in grants if not holds(grant)}
