import functools
import os
import socket
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PASSWORD = "pass-12345"


def require_service(available, what):
    """A test that needs a service fails under CI when it is missing; elsewhere it skips."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"{what} not available (set it up, or run .ci/run)")


def redis_url():
    return os.environ.get("REDIS_URL")


def redis_reachable():
    url = redis_url()
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(items):
    """How `make test`'s workers share the suite (``--dist loadgroup``): a test file stays on one
    worker, so its module's server starts once; the browser tests all go to one worker, so that CI's
    two cores run one Chromium at a time and Playwright's event loop stays out of the other."""
    for item in items:
        group = "browser" if item.get_closest_marker("browser") else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_configure(config):
    """pytest-django sets up the test database only for tests that ask for it by a mark or the
    ``db`` fixtures; the browser and live tests use it through their module's server fixture
    (``django_db_setup``), so run alone they met the real database, unmigrated. They count too."""
    from pytest_django import fixtures

    asked = getattr(fixtures, "_get_databases_for_test", None)
    if asked is None:
        return

    def databases_for_test(test):
        databases, serialized = asked(test)
        if not databases and "django_db_setup" in getattr(test, "fixturenames", ()):
            return ("default",), serialized
        return databases, serialized

    fixtures._get_databases_for_test = databases_for_test


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Typing throttles and stream tickets live in the cache; ids repeat across tests, so each starts clean."""
    from django.core.cache import cache

    from oscar_chat import access_memo
    from oscar_chat.operations import services as operations

    cache.clear()
    # What a process remembers beside the cache goes with it.
    access_memo.reset()
    operations.forget_queued_sweeps()


@pytest.fixture
def needs_postgres(settings):
    from django.db import connection

    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")


@pytest.fixture
def needs_redis():
    require_service(redis_reachable(), "Redis (REDIS_URL)")
    return redis_url()


@pytest.fixture
def file_stores(settings, tmp_path):
    """A temporary public MEDIA_ROOT and private attachments' folder: ``.media``, ``.private`` (Paths)."""
    media, private = tmp_path / "media", tmp_path / "private"
    media.mkdir()
    private.mkdir()
    settings.MEDIA_ROOT = str(media)
    settings.STORAGES = {
        **settings.STORAGES,
        "oscar_chat_attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(private)},
        },
    }
    return SimpleNamespace(media=media, private=private)


@functools.cache
def password_hash():
    """PASSWORD hashed once: hashing is slow by design, and most tests make several users."""
    return make_password(PASSWORD)


def make_user(username, *, staff=False, perms=(), superuser=False, active=True, first="", last=""):
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password=None,
        first_name=first,
        last_name=last,
        is_staff=staff or superuser,
        is_superuser=superuser,
        is_active=active,
    )
    user.password = password_hash()
    user.save(update_fields=["password"])
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(content_type__app_label="oscar_chat", codename=codename))
    return user


@pytest.fixture
def customer(db):
    return make_user("customer", first="Eka", last="Pratama")


@pytest.fixture
def other_customer(db):
    return make_user("other")


@pytest.fixture
def agent(db):
    return make_user("agent", staff=True, perms=["change_chatroom", "view_chatroom"], first="Budi", last="Santoso")


@pytest.fixture
def agent2(db):
    return make_user("agent2", staff=True, perms=["change_chatroom"], first="Citra")


@pytest.fixture
def staff_no_perm(db):
    """Staff without the chat permission: a customer as far as the chat is concerned."""
    return make_user("staffer", staff=True)


@pytest.fixture
def superuser(db):
    return make_user("root", superuser=True)


def jwt_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@pytest.fixture
def api():
    """``api(user)``: an API client authenticated with a JWT for ``user`` (None: anonymous)."""

    def make(user=None):
        return jwt_client(user) if user is not None else APIClient()

    return make


@pytest.fixture
def oscar_site(db):
    """Oscar's pages need the Site of SITE_ID; a transactional test's flush removes it."""
    from django.contrib.sites.models import Site

    Site.objects.update_or_create(pk=1, defaults={"domain": "testserver", "name": "Oscar Chat Sandbox"})


@pytest.fixture(scope="module")
def daphne_server(django_db_setup, django_db_blocker):
    """One daphne process serving the sandbox on the test database, for the module's tests."""
    from .live import start_daphne

    with django_db_blocker.unblock():
        server = start_daphne()
    yield server
    server.stop()
