"""The widget's catalog (``<api root>i18n.js``): its own words in the language the URL names, cacheable."""

import json
import re

import pytest

from oscar_chat.jsi18n import widget_msgids

pytestmark = pytest.mark.django_db
SCRIPT = re.compile(
    r"^\(window\.OscarChat = window\.OscarChat \|\| \{\}\)\.i18n = \{plural: \(n\) => \+\((.*)\), strings: (.*)\};\n$"
)


def catalog(client, **query):
    response = client.get("/api/chat/i18n.js", query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    plural, strings = SCRIPT.match(response.content.decode()).groups()
    return response, plural, json.loads(strings)


def test_an_indonesian_customer_gets_the_widget_s_words_only(client):
    response, plural, strings = catalog(client, lang="id")
    assert strings["Send"] == "Kirim"
    assert strings["%(n)s unread"] == ["%(n)s belum dibaca"]  # one plural form in Indonesian
    assert plural == "0"
    assert response["Content-Language"] == "id"
    # The admin's words (djangojs too) stay out, and so does what reads the same in English.
    assert "Enable notifications" not in strings
    assert set(strings) <= widget_msgids()
    assert "Send rating" in widget_msgids() and "Share a product" in widget_msgids()


def test_english_needs_no_words_and_the_url_chooses_the_language(client):
    _response, plural, strings = catalog(client, lang="en")
    assert (plural, strings) == ("(n != 1)", {})
    # Without ?lang= (or with one the store does not speak) the request's language.
    response = client.get("/api/chat/i18n.js", {"lang": "xx"}, HTTP_ACCEPT_LANGUAGE="id")
    assert '"Send":"Kirim"' in response.content.decode()


def test_a_browser_keeps_it_and_revalidates_with_its_etag(client):
    response, _plural, _strings = catalog(client, lang="id")
    assert "public" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    again = client.get("/api/chat/i18n.js", {"lang": "id"}, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    english, _plural, _strings = catalog(client, lang="en")
    assert english["ETag"] != response["ETag"]
