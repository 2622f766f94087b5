"""The text/event-stream encoding (https://html.spec.whatwg.org/multipage/server-sent-events.html)."""

import json

from django.core.serializers.json import DjangoJSONEncoder

KEEPALIVE = b": keep-alive\n\n"


def frame(event, data, *, event_id=None):
    """One event as bytes. JSON escapes line breaks, so ``data`` always fits on one line;
    ASCII-only JSON keeps line splitters of naive clients (U+2028...) out of the stream."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"))
    return f"{head}event: {event}\ndata: {body}\n\n".encode()


def preamble(retry_ms, *, event_id=None):
    """``retry:`` first; a fresh stream also gets the current position as its id, so a client
    that reconnects before any message arrived still resumes from the right place."""
    tail = f"id: {event_id}\n" if event_id is not None else ""
    return f"retry: {int(retry_ms)}\n{tail}\n".encode()
