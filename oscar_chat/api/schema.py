"""The OpenAPI schema of the chat API (served at ``<mount>/schema/`` by drf-spectacular)."""

from collections.abc import Callable
from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema as spectacular_extend_schema


class ChatJWTScheme(SimpleJWTScheme):
    """The chat's JWT authentication is simplejwt's (with a user cache): documented the same."""

    target_class = "oscar_chat.api.auth.ChatJWTAuthentication"


def extend_schema(**kwargs: Any) -> Callable[[Any], Any]:
    """drf-spectacular's ``extend_schema``, built on its ``AutoSchema`` whatever the store's settings say.

    Spectacular's own decorator subclasses DRF's ``DEFAULT_SCHEMA_CLASS`` of the moment the module is
    imported: in a store that never set it to spectacular's, the schema would be a 500.
    """
    decorate = spectacular_extend_schema(**kwargs)

    def decorator(view_method: Any) -> Any:
        if not hasattr(view_method, "schema") and "schema" not in getattr(view_method, "kwargs", {}):
            view_method.schema = AutoSchema
        return decorate(view_method)

    return decorator


def only_chat_endpoints(endpoints, **kwargs):
    """Keep the chat's endpoints (at their mounted paths) out of whatever else the store serves."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if getattr(callback, "cls", None) is not None and callback.cls.__module__.startswith("oscar_chat.")
    ]


def ids_are_integers(result, **kwargs):
    """Path ids are matched loosely (so that a bad one is a 400, not a 404) but documented as ids."""
    from ..ids import MAX_ID

    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "path" and parameter.get("name", "").endswith("_id"):
                    parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return result
