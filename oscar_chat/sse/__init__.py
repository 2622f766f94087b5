"""The event stream (``GET sse``): a Channels consumer served by daphne, see ``oscar_chat.asgi``.

- ``consumer``: the stream itself (auth, replay, live events, keep-alives, flow control).
- ``hub``: one per server process, shares a single channel-layer subscription per group
  between the process's streams and delivers messages in ``seq`` order without gaps.
- ``auth``: who opens a stream (Bearer token, session cookie or single-use ticket).
- ``flow``: back-pressure from daphne's socket, so a client that stops reading is noticed.
- ``wire``: the text/event-stream encoding.
"""
