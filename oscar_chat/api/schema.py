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
