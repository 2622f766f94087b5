"""Errors as JSON: domain errors from the services become clear 4xx answers, never a 500.

A database that cannot be reached (down, restarting, its connection pool exhausted) is a
``503`` with ``Retry-After``; a body over Django's limits (``DATA_UPLOAD_MAX_MEMORY_SIZE``,
``DATA_UPLOAD_MAX_NUMBER_FIELDS``, ``DATA_UPLOAD_MAX_NUMBER_FILES``) or the chat's upload
limit a ``413``.
"""

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from ..exceptions import NotPurchasable, RateLimited
from ..limits import OUTAGE_RETRY_AFTER, UNAVAILABLE_ERRORS

logger = logging.getLogger(__name__)

BODY_TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The chat is unavailable right now. Try again shortly.")
    default_code = "unavailable"


def chat_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, RateLimited):
        exc = exceptions.Throttled(wait=exc.wait_seconds, detail=str(exc))
    elif isinstance(exc, NotPurchasable):
        data = {"detail": exc.reason}
        if exc.variants is not None:
            data["variants"] = exc.variants
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, BODY_TOO_LARGE):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError()
    elif isinstance(exc, UNAVAILABLE_ERRORS):
        logger.error("oscar_chat: a service the chat needs is unavailable: %s", exc)
        exc = ServiceUnavailable()
    response = exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response.headers.setdefault("Retry-After", str(OUTAGE_RETRY_AFTER))
    return response
