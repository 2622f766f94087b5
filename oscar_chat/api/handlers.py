"""Errors as JSON: domain errors from the services become clear 4xx answers, never a 500."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from ..exceptions import NotPurchasable, RateLimited


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
    return exception_handler(exc, context)
