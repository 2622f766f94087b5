"""The widget's translations: only the words its scripts use, in one language, as JSON.

Django's ``JavaScriptCatalog`` ships its gettext library, the locale's formats and every
``djangojs`` string of the app, the admin's included; a customer's panel needs a dictionary of
its own words and the plural rule. Which words: the ``_("…")`` and ``ngettext("…", "…")`` calls
of the static files the widget loads (``js/widget/``, ``js/chat/``), read once per process, so the
list cannot drift from the code. The launcher fetches it with the panel; ``ui.js`` reads it from
``window.OscarChat.i18n``, and a string missing from it is shown in English.

The plural rule travels as data, not code (no ``eval`` under a Content Security Policy): the form
index of 0…199, one digit each. gettext's rules depend on ``n``'s last two digits past 100, so the
client reads ``n >= 200`` as ``100 + n % 100``.
"""

import gettext
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, JsonResponse
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


@lru_cache(maxsize=32)
def plural_table(expression: str | None) -> str:
    """The form index of n = 0…199 under a gettext ``Plural-Forms`` expression (English's without one)."""
    rule = gettext.c2py(expression or "(n != 1)")
    table = "".join(str(rule(n)) for n in range(200))
    return "0" if set(table) == {"0"} else table


class WidgetCatalogView(JavaScriptCatalog):
    """``GET <api root>i18n?lang=id``: ``{"plural": "0…", "strings": {…}}``, private, cached and ETagged."""

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
        response = JsonResponse(
            {"plural": plural_table(context["plural"]), "strings": strings},
            json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
        )
        response["Content-Language"] = translation.get_language()
        response["ETag"] = '"%s"' % hashlib.sha256(response.content).hexdigest()[:20]
        # An API answer is private (API.md); the browser keeps it an hour, then revalidates.
        patch_cache_control(response, private=True, max_age=3600)
        return get_conditional_response(self.request, etag=response["ETag"], response=response)
