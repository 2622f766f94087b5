def only_chat_endpoints(endpoints, **kwargs):
    """Keep the chat's endpoints (at their mounted paths) out of whatever else the store serves."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if getattr(callback, "cls", None) is not None and callback.cls.__module__.startswith("oscar_chat.")
    ]
