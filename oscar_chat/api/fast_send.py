"""``POST rooms/{id}`` of a text message with a bearer token, without Django's request cycle.

A send through Django costs a thread per request, every middleware of the store, DRF's
negotiation and the view: most of the CPU of a send (docs/realtime-performance.md). With
``OSCAR_CHAT_FAST_SEND`` on, ``oscar_chat.asgi.wrap`` answers the common case itself: a JSON
body of ``message`` and ``client_id`` (``message_type`` TEXT or absent), a ``Bearer`` token, no
cookies. It runs the view's checks in one worker thread: simplejwt's authentication (through the
chat's user cache), the serializer's rules on the two fields (``plainly_valid``: anything it is
not sure of is the view's), then ``services.post_text_message``, whose one SQL statement finds
the room as the user may see it (``audience``), writes the message and reads the room back,
and ``payloads.message_data``, rendered by DRF's ``JSONRenderer``, with the API's headers
(``Cache-Control: no-store``...).

Anything else (also: when the store's ``REST_FRAMEWORK`` throttles the API), and every failure
before the message is written (a bad token, an unknown room,
invalid input, a rate limit, the database down), is handed to Django with the body it read:
errors are Django's and DRF's own, word for word. What a store's middleware would add to a
successful send's answer is skipped, which is why the setting exists.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import time

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer

from .. import conf

logger = logging.getLogger(__name__)

# The fields a fast send may carry; any other sends the request to the view.
FAST_FIELDS = frozenset({"message", "client_id", "message_type"})
ROOM_PATH = re.compile(r"^rooms/([0-9]{1,18})/?$")
HANDED_OVER = object()
# Larger bodies go to the view (a text message is at most MAX_MESSAGE_LENGTH characters).
MAX_BODY = 64 * 1024
_renderer = JSONRenderer()


def enabled() -> bool:
    return bool(conf.get("FAST_SEND"))


def room_id_of(path: str, mount: str) -> int | None:
    """The room id of ``POST <mount>/rooms/{id}``, else None."""
    if not path.startswith(mount):
        return None
    found = ROOM_PATH.match(path[len(mount) :])
    return int(found.group(1)) if found else None


def takes(scope) -> bool:
    headers = dict(scope.get("headers") or ())
    if b"cookie" in headers:
        return False  # a session may be in play (CSRF, middleware): Django's
    if not headers.get(b"authorization", b"").lower().startswith(b"bearer "):
        return False
    media_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    return media_type == b"application/json"


def request_length(scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


# What DRF's CharField refuses in any text (its null-character and surrogate validators).
_REFUSED_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def _plain_text(value, *, max_length=None, blank=True) -> bool:
    """``value`` is a string that ``MessageCreateSerializer``'s CharField takes unchanged."""
    if not isinstance(value, str) or _REFUSED_CHARACTERS.search(value):
        return False
    return (blank or value.strip() != "") and (max_length is None or len(value) <= max_length)


def plainly_valid(data: dict) -> tuple[str, str | None] | None:
    """``(message, client_id)`` when the view's ``MessageCreateSerializer`` would take ``data``
    as it is; None for anything else (the view then says what is wrong, in its own words).

    Stricter than the serializer (a number as the message, a ``client_id`` with spaces around
    it are the view's), never looser: what passes here passes there, with the same values.
    """
    message, client_id = data.get("message", ""), data.get("client_id")
    if not _plain_text(message):
        return None
    if client_id is not None and not (
        _plain_text(client_id, max_length=64, blank=False) and client_id == client_id.strip()
    ):
        return None
    if "client_id" in data and client_id is None:
        return None  # null: the serializer's error
    return message, client_id


def _send(scope, body, loop=None):
    """In a worker thread: the JSON of the sent message and its status, or HANDED_OVER.
    ``loop``: the server's, which publishes the message's event (``events.publishing_on``)."""
    from .. import events

    if loop is None:
        return _answer(scope, body)
    with events.publishing_on(loop):
        return _answer(scope, body)


def _answer(scope, body):
    from .. import services
    from ..ids import require_id
    from . import serializers as s
    from .auth import ChatJWTAuthentication
    from .views import RoomDetailView

    if RoomDetailView.throttle_classes:
        return HANDED_OVER  # the store's REST_FRAMEWORK throttles the API: DRF counts every send
    if request_length(scope) != len(body):
        return HANDED_OVER  # Django reads Content-Length bytes: let it decide what that means
    try:
        data = json.loads(body)
    except ValueError:
        return HANDED_OVER
    if not isinstance(data, dict) or not data.keys() <= FAST_FIELDS or data.get("message_type", "TEXT") != "TEXT":
        return HANDED_OVER
    request = ASGIRequest(scope, io.BytesIO(body))
    try:
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware checks it
    except DisallowedHost:
        return HANDED_OVER
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return HANDED_OVER  # SecurityMiddleware redirects it
    with translation.override(translation.get_language_from_request(request)):
        try:
            found = ChatJWTAuthentication().authenticate(request)
        except exceptions.APIException:
            return HANDED_OVER
        if found is None or not found[0].is_active:
            return HANDED_OVER
        user = found[0]
        try:
            room_id = require_id(scope["oscar_chat_room_id"], "room_id")
        except Exception:  # noqa: BLE001 - the view says what went wrong
            return HANDED_OVER
        valid = plainly_valid(data)
        if valid is None:
            return HANDED_OVER
        try:
            # The room is looked up (as the user may see it) by the write itself.
            sent = services.post_text_message(room_id, user, message=valid[0], client_id=valid[1])
        except Exception:  # noqa: BLE001 - refused or failed before writing (a retry too): the view answers it
            return HANDED_OVER
        if sent is None:
            return HANDED_OVER  # no such room for this user: the view's 404
        return s.message_data(sent[0], {"live_cards": {}}), 201


_never_cache: tuple[int, bytes, bytes] = (-1, b"", b"")


def _never_cache_headers() -> tuple[bytes, bytes]:
    """``Cache-Control`` and ``Expires`` as Django's ``add_never_cache_headers`` writes them,
    made by it once a second: ``Expires`` is the current second, the rest never changes."""
    global _never_cache
    second = int(time.time())
    if _never_cache[0] != second:
        from django.http import HttpResponse

        response = HttpResponse(content_type="application/json")
        add_never_cache_headers(response)
        _never_cache = (second, response["Cache-Control"].encode(), response["Expires"].encode())
    return _never_cache[1], _never_cache[2]


def response_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    """The headers of the view's answer that the API contract relies on."""
    cache_control, expires = _never_cache_headers()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(b"allow", b"GET, POST, HEAD, OPTIONS"), (b"x-content-type-options", b"nosniff")]
    headers += [(b"cache-control", cache_control), (b"expires", expires)]
    return headers


async def handle(scope, receive, send, room_id: int):
    """Answer the send, or return the ``receive`` that gives Django the same request again."""
    from ..sse.hub import in_worker_thread

    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return _replay(chunks, message, receive)
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body"):
            break
        if size > MAX_BODY:  # not a short text message: the view reads the rest
            return _replay(chunks, None, receive, more=True)
    body = b"".join(chunks)
    scope = dict(scope, oscar_chat_room_id=str(room_id))
    try:
        answered = await in_worker_thread(_send)(scope, body, asyncio.get_running_loop())
    except Exception:  # noqa: BLE001 - e.g. the database went away: Django answers it (503)
        logger.warning("oscar_chat: fast send failed; handing it to the view", exc_info=True)
        answered = HANDED_OVER
    if answered is HANDED_OVER:
        return _replay([body], None, receive)
    data, status = answered
    content = _renderer.render(data)
    await send({"type": "http.response.start", "status": status, "headers": response_headers(content)})
    await send({"type": "http.response.body", "body": content})
    return None


def _replay(chunks, pending, receive, more=False):
    """A ``receive`` that gives back what was read, then carries on with the real one."""
    queued = [{"type": "http.request", "body": b"".join(chunks), "more_body": more}]
    if pending is not None:
        queued = [pending] if not chunks else [queued[0] | {"more_body": True}, pending]

    async def replay():
        if queued:
            return queued.pop(0)
        return await receive()

    return replay
