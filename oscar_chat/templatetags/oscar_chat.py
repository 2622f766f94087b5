"""``{% load oscar_chat %}{% oscar_chat_widget %}``: the customer's chat widget on a storefront page.

The tag renders only the launcher (a small script and style) and a JSON block with what the
script needs (API root, sign-in URL, CSRF token, the user's state, the URLs of what loads on
the first open); the script builds the widget. ``{% oscar_chat_ask_about product %}`` renders
an "Ask about this product" button the launcher answers.
"""

import logging

from django import template
from django.conf import settings
from django.middleware.csrf import get_token
from django.shortcuts import resolve_url
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language, gettext

try:  # Django 6: the Content Security Policy's nonce, for the script tags
    from django.middleware.csp import get_nonce
except ImportError:  # Django 5.2 has no CSP of its own: no nonce, nothing to add
    get_nonce = None

from .. import conf, selectors
from ..roles import display_name, is_agent

register = template.Library()
logger = logging.getLogger(__name__)
_warned = set()


def _warn_once(key: str, message: str) -> None:
    """Log a configuration problem once per process, not on every page."""
    if key not in _warned:
        _warned.add(key)
        logger.warning(message)


def _reverse(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _api_root():
    """The API's mount, or None where the store has not mounted ``oscar_chat.api.urls``."""
    try:
        unread = reverse("oscar_chat_api:unread")
    except NoReverseMatch:
        _warn_once(
            "api",
            'oscar_chat: the chat API is not mounted (path("api/chat/", include("oscar_chat.api.urls")) '
            "in the URLconf); {% oscar_chat_widget %} renders nothing.",
        )
        return None
    return unread[: unread.rindex("unread")]


def _login_url(request):
    login = resolve_url(settings.LOGIN_URL)
    next_url = request.get_full_path()
    if request.path == login.split("?")[0]:
        # On the sign-in page itself, keep where the visitor was going.
        wanted = request.GET.get("next", "")
        next_url = wanted if url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()) else "/"
    return f"{login}?{urlencode({'next': next_url})}"


def currency_formats():
    """How Oscar's ``currency`` filter prints each configured currency: Babel's pattern and decimals."""
    from babel.numbers import get_currency_precision

    formats = getattr(settings, "OSCAR_CURRENCY_FORMAT", None)
    formats = formats if isinstance(formats, dict) else {}
    result = {}
    for currency in {settings.OSCAR_DEFAULT_CURRENCY, *formats}:
        spec = formats.get(currency)
        spec = spec if isinstance(spec, dict) else {}
        entry = {"digits": get_currency_precision(currency)}
        if isinstance(spec.get("format"), str):
            entry["format"] = spec["format"]
            if not spec.get("currency_digits", True):
                entry["digits"] = None  # the pattern's own decimals
        result[currency] = entry
    return result


_currency_formats = currency_formats  # the admin's name for it


def _catalog_urls() -> dict[str, str | None]:
    """``wordsUrl``: the widget's own words (JSON, oscar_chat.jsi18n); ``catalogUrl``: a script catalog
    the store names instead (``OSCAR_CHAT_WIDGET_JS_CATALOG_URL``, e.g. Django's ``JavaScriptCatalog``).
    One URL per language, so that a browser may cache it without mixing languages."""
    catalog = conf.get("WIDGET_JS_CATALOG_URL")
    key = "wordsUrl" if catalog is None else "catalogUrl"
    url = _reverse("oscar_chat_api:widget-catalog") if catalog is None else catalog
    if url and "?" not in url:
        url += "?" + urlencode({"lang": get_language()})
    return {"wordsUrl": None, "catalogUrl": None, key: url or None}


def widget_config(request):
    """The data the widget's script reads, or None where the widget is not shown (once per request)."""
    if not hasattr(request, "_oscar_chat_widget_config"):
        request._oscar_chat_widget_config = _widget_config(request)
    return request._oscar_chat_widget_config


def _widget_config(request):
    user = request.user
    signed_in = bool(user.is_authenticated and user.is_active)
    if signed_in and is_agent(user) and not conf.get("WIDGET_FOR_AGENTS"):
        return None  # agents answer in the admin; their API view spans every customer's rooms
    api_root = _api_root()
    if api_root is None:
        return None
    login_path = resolve_url(settings.LOGIN_URL).split("?")[0]
    basket_url = _reverse("basket:summary")
    config = {
        "apiRoot": api_root,
        "signedIn": signed_in,
        "loginUrl": _login_url(request),
        "basketUrl": basket_url,
        # Where an open panel would stand in the way, it does not reopen by itself.
        "quietPage": request.path in {login_path, basket_url},
        "currencyFormats": currency_formats(),
        "pollInterval": conf.get("WIDGET_POLL_INTERVAL_MS"),
        "maxLength": conf.get("MAX_MESSAGE_LENGTH"),
        "maxUploadSize": conf.get("MAX_UPLOAD_SIZE"),
        "imageTypes": list(conf.get("IMAGE_CONTENT_TYPES")),
        "fileTypes": sorted(set(conf.get("IMAGE_CONTENT_TYPES")) | set(conf.get("FILE_CONTENT_TYPES"))),
        "language": get_language(),
        # Loaded on the first open (ES modules; the relative imports of app.js follow it).
        "appUrl": static("oscar_chat/js/widget/app.js"),
        "css": [static("oscar_chat/css/chat-ui.css"), static("oscar_chat/css/widget.css")],
        **_catalog_urls(),
        # The launcher's own words, so that it needs no catalog while closed.
        "strings": {
            "chat": gettext("Chat with us"),
            "close": gettext("Close chat"),
            "unreadOne": gettext("%(n)s unread message"),
            "unreadMany": gettext("%(n)s unread messages"),
        },
    }
    if signed_in:
        config["user"] = {"id": user.pk, "name": display_name(user)}
        config["csrfToken"] = get_token(request)
        config["csrfCookie"] = settings.CSRF_COOKIE_NAME
        # The launcher reports the page (POST activity) for the agents' customer panel: only for
        # a customer with a conversation, so other visitors cost no request.
        if conf.get("CUSTOMER_PAGES") and not is_agent(user) and selectors.has_rooms(user):
            config["activity"] = True
    return config


def csp_nonce(context) -> str:
    """The page's CSP nonce (Django 6's ``csp`` context processor or middleware), or ""."""
    # Django's LazyNonce is falsy until first read: test for None, and str() generates it (which
    # is what puts the nonce into the response's header).
    nonce = context.get("csp_nonce")
    request = context.get("request")
    if nonce is None and get_nonce is not None and request is not None:
        nonce = get_nonce(request)
    return str(nonce) if nonce is not None else ""


@register.inclusion_tag("oscar_chat/widget.html", takes_context=True)
def oscar_chat_widget(context):
    request = context.get("request")
    config = widget_config(request) if request is not None else None
    return {"config": config, "nonce": csp_nonce(context) if config else ""}


@register.inclusion_tag("oscar_chat/ask_about.html", takes_context=True)
def oscar_chat_ask_about(context, product, label=None):
    """An "Ask about this product" button (product detail pages, basket lines).

    The widget's launcher answers it: the customer lands in a conversation about ``product``
    (a variant too), its card at the top. Nothing where the widget is not on the page.
    """
    request = context.get("request")
    shown = product is not None and getattr(product, "pk", None) and request is not None
    if shown:
        shown = widget_config(request) is not None
    return {"product": product if shown else None, "label": label or gettext("Ask about this product")}
