"""``{% load oscar_chat %}{% oscar_chat_widget %}``: the customer's chat widget on a storefront page.

The tag renders only links to the app's static files and a JSON block with what the script
needs (API root, sign-in URL, CSRF token, the user's state); the script builds the widget.
"""

from django import template
from django.conf import settings
from django.middleware.csrf import get_token
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language

from .. import conf
from ..roles import display_name, is_agent

register = template.Library()


def _reverse(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _api_root():
    unread = reverse("oscar_chat_api:unread")
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


def widget_config(request):
    """The data the widget's script reads, or None where the widget is not shown."""
    user = request.user
    signed_in = bool(user.is_authenticated and user.is_active)
    if signed_in and is_agent(user) and not conf.get("WIDGET_FOR_AGENTS"):
        return None  # agents answer in the admin; their API view spans every customer's rooms
    config = {
        "apiRoot": _api_root(),
        "signedIn": signed_in,
        "loginUrl": _login_url(request),
        "basketUrl": _reverse("basket:summary"),
        "currencyFormats": currency_formats(),
        "pollInterval": conf.get("WIDGET_POLL_INTERVAL_MS"),
        "maxLength": conf.get("MAX_MESSAGE_LENGTH"),
        "language": get_language(),
    }
    if signed_in:
        config["user"] = {"id": user.pk, "name": display_name(user)}
        config["csrfToken"] = get_token(request)
        config["csrfCookie"] = settings.CSRF_COOKIE_NAME
    return config


@register.inclusion_tag("oscar_chat/widget.html", takes_context=True)
def oscar_chat_widget(context):
    request = context.get("request")
    config = widget_config(request) if request is not None else None
    catalog = conf.get("WIDGET_JS_CATALOG_URL")
    if catalog is None:
        catalog = _reverse("javascript-catalog")
    return {"config": config, "js_catalog_url": catalog}
