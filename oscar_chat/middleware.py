"""JSON answers for chat API requests that failed outside the API's views.

The API's views answer their own errors as JSON. A request can also fail before its view runs
or after it: another middleware reading the session or the basket while the database is down,
Django refusing the Host header, a CSRF failure. Django then renders its HTML error pages (its
``handler400``/``403``/``404``/``500``). Listed first in ``MIDDLEWARE``, this middleware turns
those answers into JSON, for paths under the API's mount only: ``503`` with ``Retry-After``
when the database (or a Redis cache or session store) could not be reached, the status and a
``{"detail": ...}`` body otherwise. Every other page of the store is left as it is.
"""

from __future__ import annotations

import logging
import sys

from django.core.signals import got_request_exception
from django.http import JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from .limits import OUTAGE_RETRY_AFTER, UNAVAILABLE_ERRORS

logger = logging.getLogger(__name__)

ERROR_ATTRIBUTE = "_oscar_chat_uncaught_error"


def _remember_error(sender, request=None, **kwargs):
    # Django sends this while handling an exception no view answered: keep it for the answer.
    if request is not None:
        setattr(request, ERROR_ATTRIBUTE, sys.exc_info()[1])


got_request_exception.connect(_remember_error, dispatch_uid="oscar_chat.middleware.remember_error")


def api_prefix() -> str | None:
    """Path under which the chat API is mounted (``/api/chat/``), None if it is not."""
    try:
        rooms = reverse("oscar_chat_api:rooms")
    except NoReverseMatch:
        return None
    return rooms[: -len("rooms")]


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() in ("application/json", "application/problem+json")


def _error_detail(status: int) -> str:
    details = {
        400: _("Bad request."),
        403: _("You do not have permission to perform this action."),
        404: _("Not found."),
        405: _("Method not allowed."),
        413: _("The request body is too large."),
    }
    return details.get(status) or (_("Server error.") if status >= 500 else _("The request failed."))


class APIErrorsMiddleware:
    """Put it first in ``MIDDLEWARE``, so that it sees the answers of every other middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or _is_json(response) or getattr(response, "streaming", False):
            return response
        prefix = api_prefix()
        if prefix is None or not request.path.startswith(prefix):
            return response
        error = getattr(request, ERROR_ATTRIBUTE, None)
        if response.status_code >= 500 and isinstance(error, UNAVAILABLE_ERRORS):
            logger.error("oscar_chat: a service the chat needs is unavailable: %s", error)
            answer = JsonResponse(
                {"detail": _("The chat is unavailable right now. Try again shortly."), "code": "unavailable"},
                status=503,
            )
            answer["Retry-After"] = str(OUTAGE_RETRY_AFTER)
            add_never_cache_headers(answer)  # like every answer of the API (API.md 1.1)
            return answer
        status = response.status_code
        answer = JsonResponse({"detail": _error_detail(status)}, status=status)
        for header in ("Retry-After", "Allow", "WWW-Authenticate"):
            if header in response:
                answer[header] = response[header]
        add_never_cache_headers(answer)
        return answer
