"""The OpenAPI schema of the chat API (served at ``<mount>/schema/`` by drf-spectacular)."""

from collections.abc import Callable
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema as spectacular_extend_schema


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
