"""Settings of oscar_chat, each overridable in the store's settings as ``OSCAR_CHAT_<NAME>``."""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Messages in one page of a room's history (GET rooms/{id}) and rooms in one page of the list.
    "PAGE_SIZE": 50,
    # Longest TEXT message, in characters.
    "MAX_MESSAGE_LENGTH": 5000,
    # Messages a customer may send per window of seconds (agents are never limited; None: no limit).
    "RATE_LIMIT_MESSAGES": 30,
    "RATE_LIMIT_WINDOW": 60,
    # Rooms a customer may open per window of seconds (rooms agents open are not limited; None: no limit).
    "RATE_LIMIT_ROOMS": 10,
    "RATE_LIMIT_ROOMS_WINDOW": 3600,
    # Largest IMAGE/FILE upload in bytes, and the content types accepted for each (checked by
    # content: images must decode with Pillow; HTML, SVG, XML and scripts are never accepted).
    "MAX_UPLOAD_SIZE": 10 * 1024 * 1024,
    "IMAGE_CONTENT_TYPES": ["image/jpeg", "image/png", "image/gif", "image/webp"],
    "FILE_CONTENT_TYPES": [
        "application/pdf",
        "text/plain",
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "application/zip",
    ],
    # Alias in STORAGES of the private storage of attachments (a private bucket, say); when
    # STORAGES has no such alias, a folder "oscar_chat_private" beside MEDIA_ROOT.
    "ATTACHMENT_STORAGE": "oscar_chat_attachments",
    # Code of the product attribute shown as a card's brand.
    "BRAND_ATTRIBUTE": "brand",
    # Size of a product card's image, as Oscar's thumbnailer takes it ("width x height").
    "CARD_IMAGE_SIZE": "300x300",
    # Product search: results when no limit is given, and the most one search returns.
    "PRODUCT_SEARCH_LIMIT": 20,
    "PRODUCT_SEARCH_MAX_LIMIT": 50,
    # Server-Sent Events (README, "Real time"): reconnection delay sent as ``retry:``; keep-alive
    # period (at most 20 s); ticket lifetime; the most missed messages replayed on resume
    # before a ``reset`` event; events held for a client that stopped reading before its
    # stream is closed; how often a server process checks the database for messages the
    # channel layer lost; typing throttle (whole seconds with the Redis cache).
    "SSE_RETRY_MS": 3000,
    # 18, not the API's 20: a stream can be silent for the period plus the event loop's lateness
    # and one keep-alive walk (up to 0.55 s with 10,000 streams); a longer period, fewer writes.
    "SSE_KEEPALIVE_SECONDS": 18,
    "SSE_TICKET_TTL": 60,
    "SSE_REPLAY_LIMIT": 500,
    "SSE_MAX_BUFFERED_EVENTS": 1000,
    "SSE_CATCHUP_SECONDS": 5,
    # How often a server process re-checks the access of every open stream (users,
    # permissions, sessions), as a backstop: changes Django signals end streams at once.
    "SSE_ACCESS_CHECK_SECONDS": 60,
    # A server process with streams open hears every change of access (the notice that ends
    # streams) and keeps its users and agent checks in its own memory this long, instead of a
    # round trip to the shared cache per request (``oscar_chat.access_memo``); every process
    # trusts a bearer token it validated this long (never past its exp). 0: never.
    "ACCESS_MEMO_SECONDS": 5,
    "TYPING_THROTTLE_SECONDS": 1.0,
    # Streams one user may hold open at once (None: no cap), counted in Django's cache as leases
    # that an open stream renews; a stream whose process died frees its slot when its lease ends.
    "SSE_MAX_STREAMS_PER_USER": 10,
    "SSE_SLOT_LEASE_SECONDS": 60,
    # Path of the stream, for ``oscar_chat.asgi.wrap``. None: found in the URLconf, where the
    # store mounted ``oscar_chat.api.urls`` (e.g. ``/api/chat/sse``).
    "SSE_PATH": None,
    # ``oscar_chat.asgi.wrap`` answers a text message sent with a bearer token (POST rooms/{id})
    # itself, without Django's request cycle and the store's middleware (docs/realtime-performance.md);
    # everything else, and every refused send, still goes through Django.
    "FAST_SEND": False,
    # ``oscar_chat.asgi.wrap`` moves the objects loaded at startup out of the reach of Python's
    # cyclic garbage collector (``gc.freeze``) when the ASGI module is imported: full collections
    # then walk what was made since, not the whole of Django and Oscar (docs/realtime-performance.md).
    "GC_FREEZE": True,
    # Customer widget ({% oscar_chat_widget %}): polling period when the stream cannot be opened,
    # URL of Django's JavaScript catalog (None: the URL named "javascript-catalog", "" for none),
    # and whether agents browsing the store get it too (they answer in the admin).
    "WIDGET_POLL_INTERVAL_MS": 5000,
    "WIDGET_JS_CATALOG_URL": None,
    "WIDGET_FOR_AGENTS": False,
    # Operations (docs/operations.md). Seconds a conversation waits on the customer (last
    # message from an agent) before it is resolved; None: never.
    "AUTO_RESOLVE_AFTER": 3 * 24 * 3600,
    # Seconds after an agent's reply before it is emailed to a customer with no open stream
    # (one digest of every reply still unread then); None: no emails to customers.
    "REPLY_EMAIL_DELAY": 120,
    # Email the agents about a new conversation when none of them has a stream open.
    "NOTIFY_AGENTS_OFFLINE": True,
    # Answer the first message of a conversation opened in opening hours while no agent is
    # online with the automatic away reply (outside opening hours it always gets one).
    "AWAY_REPLY_WITHOUT_AGENTS": True,
    # Link in the customer's email; {room_id} is filled in, relative links get the Site's domain.
    # None: Oscar's catalogue page with ?oscar_chat_room={room_id}, which the widget opens.
    "CUSTOMER_CONVERSATION_URL": None,
    # Scheme of the links in emails.
    "EMAIL_URL_SCHEME": "https",
    # Time zone of the opening hours and of the reports' days (None: TIME_ZONE).
    "TIME_ZONE": None,
    # Days after which attachments and agents' internal notes are deleted; None: kept. See "Data rights".
    "RETENTION_DAYS": {"attachments": None, "notes": None},
    # Task backend alias (TASKS) the chat enqueues its background work on.
    "TASK_BACKEND": "default",
    # Presence (GET presence, the widget's "online"/"away"): an agent counts as online while
    # one of their event streams lives; the shared cache entry lapses PRESENCE_TTL seconds
    # after its last refresh, written at most every PRESENCE_REFRESH seconds per process.
    "PRESENCE_TTL": 60,
    "PRESENCE_REFRESH": 15,
    # What the widget says when no agent is online: when a reply may be expected, completing
    # "Away. We usually reply %(when)s." (e.g. gettext_lazy("within a few hours")); None: a
    # general "we reply as soon as we are back".
    "EXPECTED_REPLY_TIME": None,
    # Labels agents put on rooms: the most one room carries, and the longest label in characters.
    "MAX_LABELS": 20,
    "LABEL_MAX_LENGTH": 50,
    # Round-robin assignment (docs/assignment.md): a room a customer opens goes to the online
    # agent (an event stream open) whose last automatic assignment is the oldest, among those
    # with fewer than AUTO_ASSIGN_MAX_OPEN open rooms assigned; nobody eligible: unassigned.
    "AUTO_ASSIGN": True,
    "AUTO_ASSIGN_MAX_OPEN": 5,
    # The store page a customer with a conversation has open, reported by the widget for the
    # agents' customer panel (False: not reported); kept CUSTOMER_PAGE_TTL seconds; the same
    # page reported again within CUSTOMER_PAGE_REPEAT_SECONDS is not passed on again.
    "CUSTOMER_PAGES": True,
    "CUSTOMER_PAGE_TTL": 30 * 60,
    "CUSTOMER_PAGE_REPEAT_SECONDS": 30,
}


def get(name: str) -> Any:
    """The value of setting ``OSCAR_CHAT_<name>``, or its default."""
    return getattr(settings, f"OSCAR_CHAT_{name}", DEFAULTS[name])
