"""Authentication and permissions shared by every endpoint of the chat API."""

import threading
import time

from django.utils.cache import add_never_cache_headers
from drf_spectacular.openapi import AutoSchema
from rest_framework.authentication import SessionAuthentication
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView
from rest_framework_simplejwt import settings as jwt_settings
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import AccessToken, Token

from .. import access_memo
from ..user_cache import CachedUsers
from .handlers import chat_exception_handler
from .parsers import ChatJSONParser, ChatMultiPartParser

# Tokens this process validated (raw token -> (valid until, validated token)), so that a client
# sending many messages with one token costs one signature check per ACCESS_MEMO_SECONDS.
_validated: dict[bytes, tuple[float, Token]] = {}
_lock = threading.Lock()
MAX_VALIDATED = 4096


def _validation_is_pure() -> bool:
    """Whether a token's validity depends only on the token and the time: simplejwt's own
    ``AccessToken``, as configured by default. A store's own token classes (one checking a
    blacklist, say) are asked every time."""
    # Read from the module: simplejwt makes a new api_settings when SIMPLE_JWT changes.
    return tuple(jwt_settings.api_settings.AUTH_TOKEN_CLASSES) == (AccessToken,)


class ChatJWTAuthentication(JWTAuthentication):
    """simplejwt's ``JWTAuthentication`` (same checks, errors and header), with the token's user
    read through ``oscar_chat.user_cache``: no user query per request once it is remembered; and
    a token validated once per ``OSCAR_CHAT_ACCESS_MEMO_SECONDS`` (never past its ``exp``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_model = CachedUsers(self.user_model)

    def get_validated_token(self, raw_token: bytes) -> Token:
        now = time.time()
        found = _validated.get(raw_token)
        if found is not None and found[0] > now:
            return found[1]
        token = super().get_validated_token(raw_token)
        seconds = access_memo.lifetime()
        if seconds > 0 and _validation_is_pure():
            until = min(float(token.get("exp", now)), now + seconds)
            with _lock:
                if len(_validated) >= MAX_VALIDATED:
                    _validated.clear()
                _validated[raw_token] = (until, token)
        return token


class IsActiveUser(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class NoStoreMixin:
    """Answers of the API are personal: no browser or shared cache keeps them (API.md, version 1.1)."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class JSONOnly(DefaultContentNegotiation):
    """Every answer of the API is JSON (API.md), whatever the client's Accept header asks for."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ChatAPIView(NoStoreMixin, APIView):
    # JWT first: its WWW-Authenticate header makes a missing credential a 401, not a 403.
    # The session class enforces CSRF on unsafe methods, as everywhere in Django.
    authentication_classes = [ChatJWTAuthentication, SessionAuthentication]
    permission_classes = [IsActiveUser]
    # Fixed, whatever the store's REST_FRAMEWORK settings say: the contract's field names and
    # formats must not change with a store-wide renderer (camelCase, say) or parser.
    parser_classes = [ChatJSONParser, FormParser, ChatMultiPartParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly
    # The schema at /api/chat/schema/ works whatever the store's DEFAULT_SCHEMA_CLASS is.
    schema = AutoSchema()

    def get_exception_handler(self):
        # Ours whatever the store's REST_FRAMEWORK settings say: the contract's errors are fixed.
        return chat_exception_handler
