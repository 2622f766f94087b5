"""ASGI entry point: ``daphne sandbox.asgi:application`` from the repository root."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
django_application = get_asgi_application()

from django.conf import settings  # noqa: E402 - after Django is set up
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from oscar_chat.asgi import wrap  # noqa: E402
from sandbox.guard import LoopbackOnly  # noqa: E402

# Static files are served by daphne itself in the sandbox; a store puts them behind its web server.
if settings.DEBUG:
    django_application = ASGIStaticFilesHandler(django_application)

# The chat's event stream (GET /api/chat/sse) beside the store.
application = LoopbackOnly(wrap(django_application), settings.SECRET_KEY)
