"""The sandbox's settings with short timings, for the widget's browser tests."""

from sandbox.settings import *  # noqa: F401,F403

OSCAR_CHAT_WIDGET_POLL_INTERVAL_MS = 700
OSCAR_CHAT_SSE_RETRY_MS = 300
OSCAR_CHAT_SSE_KEEPALIVE_SECONDS = 2
