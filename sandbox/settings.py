"""Settings of the sandbox store: a real Oscar storefront with oscar_chat installed.

Environment: DATABASE_URL (default: SQLite file under sandbox/; PostgreSQL gets a connection
pool of DATABASE_POOL_SIZE, default 10), REDIS_URL (default: the in-memory channel layer, one
process), MEDIA_ROOT, SECRET_KEY (without it, loopback only), DEBUG, EMAIL_BACKEND (default: the
console: the chat's emails are printed where `make run` runs).
"""

import os
import sys
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.utils.translation import gettext_lazy as _
from oscar.defaults import *  # noqa: F401,F403 - Oscar's OSCAR_* defaults

from sandbox.guard import PUBLIC_KEY, refuse_public_bind

BASE_DIR = Path(__file__).resolve().parent

# The default key is public: with it the sandbox serves loopback only (sandbox/guard.py).
SECRET_KEY = os.environ.get("SECRET_KEY", PUBLIC_KEY)
refuse_public_bind(SECRET_KEY, sys.argv)
DEBUG = os.environ.get("DEBUG", "1") == "1"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "daphne",
    # Above django.contrib.admin: its admin/index.html adds the unread count to admin's index.
    "oscar_chat",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "oscar.config.Shop",
    "oscar.apps.analytics.apps.AnalyticsConfig",
    "oscar.apps.checkout.apps.CheckoutConfig",
    "oscar.apps.address.apps.AddressConfig",
    "oscar.apps.shipping.apps.ShippingConfig",
    "oscar.apps.catalogue.apps.CatalogueConfig",
    "oscar.apps.catalogue.reviews.apps.CatalogueReviewsConfig",
    "oscar.apps.communication.apps.CommunicationConfig",
    "oscar.apps.partner.apps.PartnerConfig",
    "oscar.apps.basket.apps.BasketConfig",
    "oscar.apps.payment.apps.PaymentConfig",
    "oscar.apps.offer.apps.OfferConfig",
    "oscar.apps.order.apps.OrderConfig",
    "oscar.apps.customer.apps.CustomerConfig",
    "oscar.apps.search.apps.SearchConfig",
    "oscar.apps.voucher.apps.VoucherConfig",
    "oscar.apps.wishlists.apps.WishlistsConfig",
    "oscar.apps.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.reports.apps.ReportsDashboardConfig",
    "oscar.apps.dashboard.users.apps.UsersDashboardConfig",
    "oscar.apps.dashboard.orders.apps.OrdersDashboardConfig",
    "oscar.apps.dashboard.catalogue.apps.CatalogueDashboardConfig",
    "oscar.apps.dashboard.offers.apps.OffersDashboardConfig",
    "oscar.apps.dashboard.partners.apps.PartnersDashboardConfig",
    "oscar.apps.dashboard.pages.apps.PagesDashboardConfig",
    "oscar.apps.dashboard.ranges.apps.RangesDashboardConfig",
    "oscar.apps.dashboard.reviews.apps.ReviewsDashboardConfig",
    "oscar.apps.dashboard.vouchers.apps.VouchersDashboardConfig",
    "oscar.apps.dashboard.communications.apps.CommunicationsDashboardConfig",
    "oscar.apps.dashboard.shipping.apps.ShippingDashboardConfig",
    "widget_tweaks",
    "haystack",
    "treebeard",
    "sorl.thumbnail",
    "django_tables2",
    "rest_framework",
    "rest_framework_simplejwt",
    # Refresh tokens rotate and the used ones are blacklisted, so logging out (POST
    # api/auth/token/blacklist/) revokes; open streams end when their access token expires.
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "channels",
    # Background work: the tasks backport on Django 5.2 (built in from 6), the database backend.
    *([] if find_spec("django.tasks") else ["django_tasks"]),
    "django_tasks_db",
    "sandbox.demo",
]

# The chat's background work runs on the database-backed worker: `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Its emails (reply digests, new-conversation notices) are printed by the worker: a sandbox has no
# mail server, and Django's default (SMTP on localhost) made every such task fail.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

SITE_ID = 1

MIDDLEWARE = [
    # First: errors of the other middleware under the chat API's mount answer JSON too.
    "oscar_chat.middleware.APIErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
]

ROOT_URLCONF = "sandbox.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "sandbox.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.core.context_processors.metadata",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.config(default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Waiting on a write lock beats failing under a few concurrent requests; the test
    # database is a file so that server processes started by the tests can share it.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Writers take the lock when their transaction begins: a read-then-write transaction
    # (select_for_update is a no-op here) cannot then fail with "database is locked".
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or str(BASE_DIR / "test_db.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_oscar_chat")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg's pool (docs/deployment.md): each process holds at most DATABASE_POOL_SIZE
    # connections and reuses them; a request finding none free waits up to the timeout, then
    # answers 503. Django's request threads are not bounded, the database's connections are.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("DATABASE_POOL_SIZE", "10")),
        "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "20")),
    }
    # With the pool: a connection the server dropped (a restart) is replaced when taken, not failed on.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    # Pub/sub ignores Redis database numbers: the prefix keeps stores (and test runs) that
    # share one Redis server apart. The layer class is chosen by measurement (README).
    _redis_db = urlparse(REDIS_URL).path.strip("/") or "0"
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": os.environ.get("OSCAR_CHAT_CHANNEL_LAYER", "channels_redis.pubsub.RedisPubSubChannelLayer"),
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", f"oscar_chat_sandbox.db{_redis_db}."),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # One pool for the process, not a connection per request (oscar_chat.redis_pool).
            "OPTIONS": {"pool_class": "oscar_chat.redis_pool.SharedConnectionPool"},
        }
    }
else:
    # One process: a server process's event hub holds one channel for all its streams, so
    # give it room for bursts (the default capacity is 100).
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
    # The chat keeps an entry per open stream (its slot lease), per recent user and per agent
    # check: the default 300 entries would evict them (streams then go uncounted, customers
    # watching get reply emails, every request reads its user again).
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 100_000}}
    }
    # Without Redis the sandbox is one process: the in-memory layer's warning does not apply.
    SILENCED_SYSTEM_CHECKS = ["oscar_chat.W003"]

AUTHENTICATION_BACKENDS = (
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
)
LOGIN_REDIRECT_URL = "/"

# Oscar browses and searches its catalogue through Haystack; Whoosh is a pure-Python index kept in a
# folder, so the sandbox's catalogue pages list products without a search server. load_demo builds it.
HAYSTACK_CONNECTIONS = {
    "default": {
        "ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
        "PATH": os.environ.get("SEARCH_INDEX_PATH", str(BASE_DIR / "whoosh_index")),
    }
}
HAYSTACK_SIGNAL_PROCESSOR = "haystack.signals.BaseSignalProcessor"
# Whoosh cannot facet; the sandbox's category pages filter well enough without facets.
OSCAR_SEARCH_FACETS = {"fields": {}, "queries": {}}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("id", _("Indonesian"))]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static_collected"
MEDIA_URL = "/media/"
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media"))

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SIMPLE_JWT = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}

OSCAR_SHOP_NAME = "Oscar Chat Sandbox"
OSCAR_DEFAULT_CURRENCY = "IDR"
OSCAR_CURRENCY_FORMAT = {"IDR": {"format": "Rp #,##0", "format_type": "standard"}}
OSCAR_INITIAL_ORDER_STATUS = "Pending"
OSCAR_INITIAL_LINE_STATUS = "Pending"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"oscar_chat": {"handlers": ["console"], "level": "INFO"}},
}

# Text messages sent with a token skip Django's request cycle (docs/realtime-performance.md);
# OSCAR_CHAT_FAST_SEND=0 in the environment turns it off.
OSCAR_CHAT_FAST_SEND = os.environ.get("OSCAR_CHAT_FAST_SEND", "1") == "1"

# Numeric OSCAR_CHAT_* settings from the environment (the tests run servers with short
# keep-alives and ticket lifetimes this way), e.g. OSCAR_CHAT_SSE_KEEPALIVE_SECONDS=0.5.
from oscar_chat.conf import DEFAULTS as _CHAT_DEFAULTS  # noqa: E402

for _name, _default in _CHAT_DEFAULTS.items():
    _value = os.environ.get(f"OSCAR_CHAT_{_name}")
    if _value is not None and isinstance(_default, (int, float)) and not isinstance(_default, bool):
        _number = float(_value)
        globals()[f"OSCAR_CHAT_{_name}"] = (
            int(_number) if isinstance(_default, int) and _number.is_integer() else _number
        )
