"""Who opens a stream, and what it asks for. Runs in a worker thread (it reads the database)."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions

from .. import selectors, services
from ..access import session_user, token_expiry
from ..api.auth import ChatJWTAuthentication
from ..ids import parse_id
from ..roles import is_agent

# Query parameters that carry a token in other APIs: never accepted here (API.md, "auth").
TOKEN_PARAMETERS = {"token", "access", "access_token", "jwt", "auth", "authorization", "bearer", "refresh"}
JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]*={0,2}$")


class StreamRefused(Exception):
    def __init__(self, status, detail, code=None):
        super().__init__(detail)
        self.status = status
        self.detail = str(detail)
        self.code = code


@dataclass
class StreamRequest:
    user: object
    is_agent: bool
    room: object  # the room of ?room=, or None
    last_event_id: int | None
    # What the stream's access hangs on, besides the user: the session it was opened with
    # (logging out ends it), and when its token expires (epoch seconds; it ends then).
    session_key: str | None = None
    expires_at: float | None = None


def _not_authenticated(detail=None, code="not_authenticated"):
    return StreamRefused(401, detail or _("Authentication credentials were not provided."), code)


def _user_from_session(request):
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return None
    user = session_user(key)
    return (user, key, None) if user is not None else None


def _user_from_ticket(ticket):
    from django.contrib.auth import get_user_model

    redeemed = services.redeem_stream_ticket(ticket)
    if redeemed is None:
        raise _not_authenticated(_("This ticket is invalid, used or expired."), "invalid_ticket")
    user = get_user_model()._default_manager.filter(pk=redeemed.user_id).first()
    if redeemed.session_key and (user is None or session_user(redeemed.session_key) != user):
        raise _not_authenticated(_("This ticket is invalid, used or expired."), "invalid_ticket")
    return user, redeemed.session_key, redeemed.expires_at


def _user_from_bearer(request):
    try:
        found = ChatJWTAuthentication().authenticate(request)
    except exceptions.AuthenticationFailed as exc:
        detail = exc.detail.get("detail", exc.detail) if isinstance(exc.detail, dict) else exc.detail
        raise _not_authenticated(detail, "token_not_valid") from exc
    if not found:
        return None
    user, token = found
    return user, None, token_expiry(token)


def _parse_id(value, name):
    value = (value or "").strip()
    if not value:
        return None
    number = parse_id(value, minimum=0)
    if number is None:
        raise StreamRefused(400, _("%(name)s must be a non-negative integer.") % {"name": name}, "invalid")
    return number


def authenticate_stream(request):
    """The ``StreamRequest`` of an ``HttpRequest`` for the stream, or ``StreamRefused``.

    Credentials, in order: ``?ticket=`` (single use), ``Authorization: Bearer``, the session
    cookie. A token of any other kind in the query string is refused outright.
    """
    query = request.GET
    for name, values in query.lists():
        if name.lower() in TOKEN_PARAMETERS or any(JWT_SHAPE.match(v) for v in values):
            raise _not_authenticated(
                _("Tokens are not accepted in the query string. Send an Authorization header, or use a ticket."),
                "token_in_query",
            )
    ticket = query.get("ticket")
    if ticket is not None:
        found = _user_from_ticket(ticket)
    else:
        found = _user_from_bearer(request) or _user_from_session(request)
    user, session_key, expires_at = found or (None, None, None)
    if user is None or not user.is_active:
        raise _not_authenticated()

    room = None
    room_id = _parse_id(query.get("room"), "room")
    if room_id is not None:
        room = selectors.get_visible_room(user, room_id)
        if room is None:
            raise StreamRefused(404, _("No such conversation."), "not_found")

    last_event_id = _parse_id(request.headers.get("Last-Event-ID") or query.get("last_event_id"), "Last-Event-ID")
    return StreamRequest(
        user=user,
        is_agent=is_agent(user),
        room=room,
        last_event_id=last_event_id,
        session_key=session_key,
        expires_at=expires_at,
    )
