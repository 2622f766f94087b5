"""``manage.py check`` names each misconfiguration of the chat (docs/checks.md)."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from oscar_chat.asgi import wrap

REDIS_LAYER = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379/0"]},
    }
}
IN_MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# A sound store, as the sandbox is but with a shared layer; each test breaks one thing.
SOUND = {"CHANNEL_LAYERS": REDIS_LAYER, "SILENCED_SYSTEM_CHECKS": []}


async def plain_django_application(scope, receive, send):
    """Stands for ``get_asgi_application()``'s result in the ASGI_APPLICATION tests."""


wrapped_application = wrap(plain_django_application)


def _chat_issues():
    """The chat's check ids ``manage.py check`` reports, or raises on (errors)."""
    out = StringIO()
    try:
        call_command("check", stdout=out, stderr=out)
    except SystemCheckError as error:
        out.write(str(error))
    return sorted({word.strip("():") for word in out.getvalue().split() if word.startswith("(oscar_chat.")})


def apps_without(*names):
    return [name for name in django_settings.INSTALLED_APPS if name not in names]


@override_settings(**SOUND)
def test_a_sound_store_has_no_chat_issues():
    assert _chat_issues() == []


@override_settings(**SOUND, ROOT_URLCONF="tests.urls_without_api", OSCAR_CHAT_WIDGET_JS_CATALOG_URL=None)
def test_the_api_not_mounted_is_an_error():
    assert _chat_issues() == ["oscar_chat.E001"]


def test_oscar_apps_missing_stop_the_store_with_a_clear_error(tmp_path):
    # Without Oscar the chat's modules cannot even be imported: the app says so while starting.
    (tmp_path / "store_without_oscar.py").write_text(
        'SECRET_KEY = "x"\nROOT_URLCONF = "store_without_oscar"\nurlpatterns = []\n'
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}\n'
        'INSTALLED_APPS = ["oscar_chat", "django.contrib.admin", "django.contrib.auth", '
        '"django.contrib.contenttypes", "django.contrib.sessions", "django.contrib.messages", "rest_framework"]\n'
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "store_without_oscar"}
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "oscar_chat.E002: Oscar's apps are missing from INSTALLED_APPS: oscar, catalogue" in result.stderr


def test_rest_framework_or_simplejwt_missing_leaves_their_messages_untranslated():
    with override_settings(**SOUND, INSTALLED_APPS=apps_without("rest_framework_simplejwt")):
        assert _chat_issues() == ["oscar_chat.W008"]
    with override_settings(**SOUND, INSTALLED_APPS=apps_without("rest_framework", "drf_spectacular")):
        from oscar_chat.checks import check_installed_apps

        messages = check_installed_apps()
        assert [m.id for m in messages] == ["oscar_chat.W008"] and '"rest_framework"' in messages[0].msg


def test_oscar_chat_below_the_admin_loses_the_index_badge():
    names = apps_without("oscar_chat")
    names.insert(names.index("django.contrib.admin") + 1, "oscar_chat")
    with override_settings(**SOUND, INSTALLED_APPS=names):
        assert _chat_issues() == ["oscar_chat.W004"]


def test_daphne_not_first_is_a_warning():
    names = apps_without("daphne")
    names.insert(3, "daphne")
    with override_settings(**SOUND, INSTALLED_APPS=names):
        assert _chat_issues() == ["oscar_chat.W007"]


@pytest.mark.parametrize(
    ("asgi_application", "expected"),
    [
        ("tests.test_checks.wrapped_application", []),
        # The sandbox's: the static files handler inside wrap().
        ("sandbox.asgi.application", []),
        ("tests.test_checks.plain_django_application", ["oscar_chat.W001"]),
        ("tests.test_checks.no_such_application", ["oscar_chat.W001"]),
        (None, ["oscar_chat.W001"]),
    ],
)
def test_the_stream_not_served_by_asgi_application_is_a_warning(asgi_application, expected):
    with override_settings(**SOUND, ASGI_APPLICATION=asgi_application):
        assert _chat_issues() == expected


def test_an_application_wrapped_around_wrap_still_serves_the_stream():
    from channels.routing import ProtocolTypeRouter
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from oscar_chat.checks import _serves_stream

    assert _serves_stream(ProtocolTypeRouter({"http": ASGIStaticFilesHandler(wrapped_application)}))
    assert not _serves_stream(ProtocolTypeRouter({"http": ASGIStaticFilesHandler(plain_django_application)}))


def test_channels_urlrouter_with_the_stream_patterns_serves_the_stream():
    from channels.routing import URLRouter

    from oscar_chat.asgi import http_urlpatterns
    from oscar_chat.checks import _serves_stream

    assert _serves_stream(URLRouter(http_urlpatterns()))


@pytest.mark.parametrize(("layers", "expected"), [({}, ["oscar_chat.W002"]), (IN_MEMORY_LAYER, ["oscar_chat.W003"])])
def test_no_channel_layer_or_the_in_memory_one_is_a_warning(layers, expected):
    with override_settings(**{**SOUND, "CHANNEL_LAYERS": layers}):
        assert _chat_issues() == expected


LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.parametrize(
    ("caches", "expected"),
    [
        ({"default": {"BACKEND": LOCMEM}}, ["oscar_chat.W009"]),  # Django's default: 300 entries
        ({"default": {"BACKEND": LOCMEM, "OPTIONS": {"MAX_ENTRIES": 1000}}}, ["oscar_chat.W009"]),
        ({"default": {"BACKEND": LOCMEM, "OPTIONS": {"MAX_ENTRIES": 100_000}}}, []),
        ({"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}, []),
    ],
)
def test_a_small_local_memory_cache_is_a_warning(caches, expected):
    with override_settings(**SOUND, CACHES=caches):
        assert _chat_issues() == expected


def test_indonesian_without_locale_middleware_is_a_warning():
    middleware = [m for m in django_settings.MIDDLEWARE if m != "django.middleware.locale.LocaleMiddleware"]
    with override_settings(**SOUND, MIDDLEWARE=middleware):
        assert _chat_issues() == ["oscar_chat.W005"]
    # A store in English only needs no LocaleMiddleware for the chat.
    with override_settings(**SOUND, MIDDLEWARE=middleware, LANGUAGES=[("en", "English")]):
        assert _chat_issues() == []


def test_a_store_without_django_s_javascript_catalog_is_sound():
    # The widget's catalog comes with the API (oscar_chat.jsi18n): nothing else to mount.
    with override_settings(**SOUND, ROOT_URLCONF="tests.urls_without_jsi18n", OSCAR_CHAT_WIDGET_JS_CATALOG_URL=None):
        assert _chat_issues() == []
