"""The sandbox's settings with short timings, for the widget's browser tests."""

from sandbox.settings import *  # noqa: F401,F403
from sandbox.settings import CACHES, MEDIA_ROOT

OSCAR_CHAT_WIDGET_POLL_INTERVAL_MS = 700
OSCAR_CHAT_SSE_RETRY_MS = 300
OSCAR_CHAT_SSE_KEEPALIVE_SECONDS = 2

# Each run has its own media folder: thumbnails that an earlier run recorded in a shared Redis
# cache must not be taken for this run's files.
CACHES = {**CACHES, "default": {**CACHES["default"], "KEY_PREFIX": f"widget-tests:{MEDIA_ROOT}"}}

# Presence lapses quickly here, so that a test sees an agent go away; the notice when nobody is in.
OSCAR_CHAT_PRESENCE_TTL = 4
OSCAR_CHAT_PRESENCE_REFRESH = 1
OSCAR_CHAT_EXPECTED_REPLY_TIME = "within 2 hours"
OSCAR_CHAT_MAX_UPLOAD_SIZE = 200 * 1024
