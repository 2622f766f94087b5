"""The widget's translations: only the words its scripts use, in one language, as a small script.

Django's ``JavaScriptCatalog`` ships its gettext library, the locale's formats and every
``djangojs`` string of the app, the admin's included; a customer's panel needs a dictionary of
its own words and the plural rule. Which words: the ``_("…")`` and ``ngettext("…", "…")`` calls
of the static files the widget loads (``js/widget/``, ``js/chat/``), read once per process, so the
list cannot drift from the code. ``ui.js`` reads ``window.OscarChat.i18n``; a string missing from
it is shown in English.
"""

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.views.i18n import JavaScriptCatalog

SCRIPTS = Path(__file__).resolve().parent / "static" / "oscar_chat" / "js"
_STRING = r'"((?:[^"\\]|\\.)*)"'
_GETTEXT = re.compile(r"(?<![\w.$])_\(\s*" + _STRING)
_NGETTEXT = re.compile(r"\bngettext\(\s*" + _STRING + r"\s*,\s*" + _STRING)


@lru_cache(maxsize=1)
def widget_msgids() -> frozenset[str]:
    """Every msgid the widget's modules translate (plural entries by their singular, as catalogs key them)."""
    found = set()
    for path in sorted([*SCRIPTS.glob("chat/*.js"), *SCRIPTS.glob("widget/*.js")]):
        source = path.read_text(encoding="utf-8")
        # A JavaScript string in double quotes reads as JSON (the code writes no \x or \u{} escapes in them).
        found.update(json.loads(f'"{m.group(1)}"') for m in _GETTEXT.finditer(source))
        found.update(json.loads(f'"{m.group(1)}"') for m in _NGETTEXT.finditer(source))
    return frozenset(found)


def _language(request: HttpRequest) -> tuple[str, bool]:
    """``?lang=`` when it is one of the store's languages (the URL says which, so it caches), else the request's."""
    wanted = request.GET.get("lang", "")
    if wanted in {code for code, _name in settings.LANGUAGES}:
        return wanted, True
    return translation.get_language(), False


class WidgetCatalogView(JavaScriptCatalog):
    """``GET <api root>i18n.js?lang=id``: ``window.OscarChat.i18n = {plural, strings}``, cached and ETagged."""

    packages = ["oscar_chat"]

    def get(self, request, *args, **kwargs):
        language, chosen_by_url = _language(request)
        with translation.override(language):
            response = super().get(request, *args, **kwargs)
        if not chosen_by_url:
            patch_vary_headers(response, ["Accept-Language", "Cookie"])  # the request chose the language
        return response

    def get_context_data(self, **kwargs):
        return {"catalog": self.get_catalog(), "plural": self.get_plural()}  # no formats: the widget uses Intl

    def render_to_response(self, context, **response_kwargs):
        wanted = widget_msgids()
        # Without an entry ui.js shows the English: a translation that is the same is not sent.
        strings = {
            msgid: text
            for msgid, text in sorted(context["catalog"].items())
            if msgid in wanted and text != msgid and (not isinstance(text, list) or any(text))
        }
        # The Plural-Forms expression, as Django's own catalog runs it: a number or a boolean.
        plural = context["plural"] or "(n != 1)"
        body = (
            "(window.OscarChat = window.OscarChat || {}).i18n = {plural: (n) => +(%s), strings: %s};\n"
            % (plural, json.dumps(strings, ensure_ascii=False, separators=(",", ":")))
        ).encode()
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
        response["Content-Language"] = translation.get_language()
        response["ETag"] = '"%s"' % hashlib.sha256(body).hexdigest()[:20]
        patch_cache_control(response, public=True, max_age=3600)
        return get_conditional_response(self.request, etag=response["ETag"], response=response)
