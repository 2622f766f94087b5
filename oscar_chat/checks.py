"""System checks (``manage.py check``): each misconfiguration that breaks the chat, named. Documented in docs/checks.md."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

# Oscar's apps the chat reads and writes (by label, so that forked apps count).
OSCAR_APP_LABELS = ("oscar", "catalogue", "partner", "basket", "order", "wishlists")

LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"
IN_MEMORY_LAYER = "channels.layers.InMemoryChannelLayer"


def _hint(text: str, check_id: str) -> str:
    return f"{text} (django-oscar-chat docs, System checks, {check_id})"


def missing_oscar_apps() -> list[str]:
    """Oscar's app labels the chat needs that are not installed (checked in ``OscarChatConfig.ready``)."""
    return [label for label in OSCAR_APP_LABELS if label not in apps.app_configs]


def _api_mounted() -> bool:
    try:
        reverse("oscar_chat_api:unread")
    except NoReverseMatch:
        return False
    return True


@register(Tags.urls)
def check_api_mounted(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if _api_mounted():
        return []
    return [
        Error(
            "The chat API is not in the URLconf: the widget, the stream and the admin's replies cannot work.",
            hint=_hint(
                'Add path("api/chat/", include("oscar_chat.api.urls")) to ROOT_URLCONF, '
                "before Oscar's catch-all URLs.",
                "oscar_chat.E001",
            ),
            id="oscar_chat.E001",
        )
    ]


@register()
def check_installed_apps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    # The API works without them; their catalogs (validation and token errors, in Indonesian too)
    # are found only for installed apps.
    missing = [name for name in ("rest_framework", "rest_framework_simplejwt") if not apps.is_installed(name)]
    if missing:
        messages.append(
            Warning(
                "Not in INSTALLED_APPS: "
                + ", ".join(f'"{name}"' for name in missing)
                + ": the chat API's validation and token errors are not translated.",
                hint=_hint("Add them to INSTALLED_APPS.", "oscar_chat.W008"),
                id="oscar_chat.W008",
            )
        )
    names = list(settings.INSTALLED_APPS)
    if "oscar_chat" in names and "django.contrib.admin" in names:
        if names.index("oscar_chat") > names.index("django.contrib.admin"):
            messages.append(
                Warning(
                    '"oscar_chat" comes after "django.contrib.admin" in INSTALLED_APPS: the admin index '
                    "does not show the number of unread conversations.",
                    hint=_hint('List "oscar_chat" above "django.contrib.admin".', "oscar_chat.W004"),
                    id="oscar_chat.W004",
                )
            )
    if "daphne" in names and names[0] != "daphne":
        messages.append(
            Warning(
                '"daphne" is in INSTALLED_APPS but not first: "runserver" is not daphne\'s, and does not serve '
                "the event stream.",
                hint=_hint('Put "daphne" at the top of INSTALLED_APPS.', "oscar_chat.W007"),
                id="oscar_chat.W007",
            )
        )
    return messages


def _serves_stream(application: Any, depth: int = 0) -> bool:
    """Whether an ASGI application is ``oscar_chat.asgi.wrap``'s, or routes to the stream's consumer."""
    from .sse.consumer import EventStreamConsumer

    if application is None or depth > 8:
        return False
    if getattr(application, "oscar_chat_stream", False):
        return True
    if getattr(application, "consumer_class", None) is EventStreamConsumer:
        return True
    # Wrappers: Django's static files handler and most middleware (.application, .app, .inner),
    # Channels' ProtocolTypeRouter (.application_mapping) and URLRouter (.routes).
    inner = [getattr(application, name, None) for name in ("application", "app", "inner")]
    inner += list((getattr(application, "application_mapping", None) or {}).values())
    inner += [getattr(route, "callback", None) for route in getattr(application, "routes", None) or []]
    return any(_serves_stream(candidate, depth + 1) for candidate in inner if candidate is not application)


@register()
def check_stream_served(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    name = getattr(settings, "ASGI_APPLICATION", None)
    if not name:
        return [
            Warning(
                "ASGI_APPLICATION is not set: nothing tells runserver which application serves the chat's event "
                "stream.",
                hint=_hint(
                    'Set ASGI_APPLICATION = "<project>.asgi.application" and wrap it with '
                    "oscar_chat.asgi.wrap in asgi.py.",
                    "oscar_chat.W001",
                ),
                id="oscar_chat.W001",
            )
        ]
    try:
        application = import_string(name)
    except Exception as error:  # the store's module: any error in it is worth reporting, not raising
        return [
            Warning(
                f"ASGI_APPLICATION {name!r} cannot be imported ({error}).",
                hint=_hint("Point ASGI_APPLICATION at the application in the project's asgi.py.", "oscar_chat.W001"),
                id="oscar_chat.W001",
            )
        ]
    if _serves_stream(application):
        return []
    return [
        Warning(
            f"ASGI_APPLICATION {name!r} does not serve the chat's event stream: it answers 503 and clients poll.",
            hint=_hint(
                "In asgi.py: from oscar_chat.asgi import wrap; application = wrap(application).", "oscar_chat.W001"
            ),
            id="oscar_chat.W001",
        )
    ]


@register()
def check_channel_layer(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    default = layers.get("default")
    if not default:
        return [
            Warning(
                "CHANNEL_LAYERS has no default layer: the chat's event stream answers 503 and clients poll.",
                hint=_hint(
                    "Set CHANNEL_LAYERS: channels_redis.pubsub.RedisPubSubChannelLayer, or for one process "
                    "channels.layers.InMemoryChannelLayer.",
                    "oscar_chat.W002",
                ),
                id="oscar_chat.W002",
            )
        ]
    if default.get("BACKEND") == IN_MEMORY_LAYER:
        return [
            Warning(
                "The default channel layer is in memory: events reach only the streams of the process that "
                "sent them, so the chat is live only when the store runs one server process.",
                hint=_hint(
                    "With more than one process use channels_redis.pubsub.RedisPubSubChannelLayer; "
                    'with one, silence this with SILENCED_SYSTEM_CHECKS = ["oscar_chat.W003"].',
                    "oscar_chat.W003",
                ),
                id="oscar_chat.W003",
            )
        ]
    return []


# Entries the chat keeps in the default cache: a slot per open stream, presence, tickets, throttles.
LOCMEM_CACHE = "django.core.cache.backends.locmem.LocMemCache"
LOCMEM_MIN_ENTRIES = 10_000


@register(Tags.caches)
def check_cache_room(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    default = (getattr(settings, "CACHES", None) or {}).get("default") or {}
    if default.get("BACKEND") != LOCMEM_CACHE:
        return []
    # Django's own default when OPTIONS do not say: 300.
    entries = int((default.get("OPTIONS") or {}).get("MAX_ENTRIES", 300))
    if entries >= LOCMEM_MIN_ENTRIES:
        return []
    return [
        Warning(
            f"The default cache (LocMemCache) holds {entries} entries: the chat keeps one per open stream and "
            "per recent user, so it evicts them (open streams go uncounted, customers watching the chat "
            "are emailed as if away).",
            hint=_hint(
                'Set CACHES["default"]["OPTIONS"]["MAX_ENTRIES"] to 100_000, or use a shared cache (Redis).',
                "oscar_chat.W009",
            ),
            id="oscar_chat.W009",
        )
    ]


def _speaks_indonesian() -> bool:
    # Django's default LANGUAGES lists every language; only a store's own list says it serves Indonesian.
    if not settings.is_overridden("LANGUAGES"):
        return False
    return any(code.split("-")[0].lower() == "id" for code, _name in settings.LANGUAGES)


@register()
def check_translation(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if _speaks_indonesian() and LOCALE_MIDDLEWARE not in settings.MIDDLEWARE:
        messages.append(
            Warning(
                "LANGUAGES lists Indonesian but LocaleMiddleware is not in MIDDLEWARE: the chat always answers in "
                "LANGUAGE_CODE.",
                hint=_hint(f'Add "{LOCALE_MIDDLEWARE}" after SessionMiddleware.', "oscar_chat.W005"),
                id="oscar_chat.W005",
            )
        )
    # W006 (no Django JavaScript catalog) is retired: the widget's own comes with the API (oscar_chat.jsi18n).
    return messages
