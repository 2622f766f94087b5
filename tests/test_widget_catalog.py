"""The widget's catalog (``<api root>i18n``): its own words in the language the URL names, as JSON, kept
an hour by the browser and revalidated."""

import pytest

from oscar_chat.jsi18n import plural_table, widget_msgids

pytestmark = pytest.mark.django_db


def catalog(client, **query):
    response = client.get("/api/chat/i18n", query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response, response.json()


def test_an_indonesian_customer_gets_the_widget_s_words_only(client):
    response, words = catalog(client, lang="id")
    strings = words["strings"]
    assert strings["Send"] == "Kirim"
    assert strings["%(n)s unread"] == ["%(n)s belum dibaca"]  # one plural form in Indonesian
    assert words["plural"] == "0"
    assert response["Content-Language"] == "id"
    # The admin's words (djangojs too) stay out, and so does what reads the same in English.
    assert "Enable notifications" not in strings
    assert set(strings) <= widget_msgids()
    assert "Send rating" in widget_msgids() and "Share a product" in widget_msgids()


def test_english_needs_no_words_and_the_url_chooses_the_language(client):
    _response, words = catalog(client, lang="en")
    assert words == {"plural": plural_table("(n != 1)"), "strings": {}}
    assert words["plural"][:3] == "101"  # 0 items, 1 item, 2 items
    # Without ?lang= (or with one the store does not speak) the request's language.
    response = client.get("/api/chat/i18n", {"lang": "xx"}, HTTP_ACCEPT_LANGUAGE="id")
    assert response.json()["strings"]["Send"] == "Kirim"
    assert "Accept-Language" in response["Vary"]


def test_a_plural_rule_travels_as_a_table_of_its_forms():
    import gettext

    expression = "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)"
    russian = plural_table(expression)
    assert len(russian) == 200
    # Russian's three forms: 1, 21, 101 → 0; 2–4, 22, 122 → 1; 5–20, 111, 112 → 2.
    assert [int(russian[n]) for n in (1, 2, 5, 11, 21, 22, 101, 111, 112, 122)] == [0, 1, 2, 2, 0, 1, 0, 2, 2, 1]
    # Past 199 the launcher reads 100 + n % 100, which the rule agrees with.
    rule = gettext.c2py(expression)
    assert all(int(russian[100 + n % 100]) == rule(n) for n in range(200, 5000))


def test_a_browser_keeps_it_privately_and_revalidates_with_its_etag(client):
    response, _words = catalog(client, lang="id")
    assert "private" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    again = client.get("/api/chat/i18n", {"lang": "id"}, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    english, _words = catalog(client, lang="en")
    assert english["ETag"] != response["ETag"]
