"""POST activity: the page a chat customer has open, for the agents' customer panel (API 1.1 extension).

What leaves is read from the real (in-memory) channel layer; the page kept, through
``presence.customer_page`` as the agents' panel reads it.
"""

import json
import re

import pytest
from django.test import Client

from oscar_chat import events, presence
from oscar_chat.services import PAGE_REPORTS_PER_MINUTE

from .conftest import PASSWORD
from .factories import open_room
from .test_realtime_services import in_memory_layer, listen, received  # noqa: F401 - the layer fixture

pytestmark = pytest.mark.django_db

URL = "/api/chat/activity"


@pytest.fixture
def chat_customer(customer):
    open_room(customer, "Batik sizes", message="Do you have L?")
    return customer


@pytest.fixture
def agents_hear(in_memory_layer):  # noqa: F811
    """``agents_hear()``: the ``customer`` events published since the fixture started."""
    channel = listen(in_memory_layer, events.MESSAGES_GROUP)

    def heard():
        return [m for m in received(in_memory_layer, channel) if m["type"] == "chat.customer"]

    return heard


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    """Each request here runs what waits for its commit before it answers, as in autocommit."""
    global _capture
    _capture = django_capture_on_commit_callbacks
    yield
    _capture = None


_capture = None


def committed(call, *args, **kwargs):
    with _capture(execute=True):
        return call(*args, **kwargs)


def report(client, url="/catalogue/batik-shirt_12/", title="Batik shirt | Toko", **extra):
    return committed(client.post, URL, {"url": url, "title": title, **extra}, format="json")


def test_a_customer_with_a_room_reports_the_page_agents_hear_and_the_panel_reads(api, chat_customer, agents_hear):
    room = chat_customer.chat_rooms.get()
    response = report(api(chat_customer), "/catalogue/batik-shirt_12/?colour=blue")
    assert response.status_code == 204
    page = presence.customer_page(chat_customer.pk)
    assert page["url"] == "/catalogue/batik-shirt_12/?colour=blue"
    assert page["title"] == "Batik shirt | Toko"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", page["at"])
    [event] = agents_hear()
    assert event["customer"] == chat_customer.pk and event["rooms"] == [room.pk]
    assert event["data"] == {"customer": chat_customer.pk, "page": page}


def test_an_absolute_url_of_this_site_is_kept_as_its_path(api, chat_customer):
    assert report(api(chat_customer), "http://testserver/basket/#top").status_code == 204
    assert presence.customer_page(chat_customer.pk)["url"] == "/basket/"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://evil.example/catalogue/"}, "url"),
        ({"url": "//evil.example/x"}, "url"),
        ({"url": "/\\evil.example"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "ftp://testserver/file"}, "url"),
        ({"url": "catalogue/relative"}, "url"),
        ({"url": "/with space"}, "url"),
        ({"url": ""}, "url"),
        ({"url": "/" + "a" * 2000}, "url"),
        ({"url": ["/"]}, "url"),
        ({"title": "t" * 201}, "title"),
        ({"url": None}, "url"),
    ],
)
def test_bad_input_is_a_400_for_its_field_and_changes_nothing(api, chat_customer, agents_hear, body, field):
    data = {"url": "/catalogue/", "title": "Catalogue", **body}
    response = committed(api(chat_customer).post, URL, data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert presence.customer_page(chat_customer.pk) is None
    assert agents_hear() == []


def test_the_url_is_required_and_a_broken_body_is_a_400(api, chat_customer):
    client = api(chat_customer)
    assert client.post(URL, {"title": "x"}, format="json").json() == {"url": ["This field is required."]}
    broken = client.post(URL, "{not json", content_type="application/json")
    assert broken.status_code == 400 and "detail" in broken.json()


def test_anonymous_is_401_agents_403_and_customers_without_a_room_change_nothing(api, customer, agent, agents_hear):
    assert report(api()).status_code == 401
    refused = report(api(agent))
    assert refused.status_code == 403 and refused.json()["detail"]
    # A shopper who never chatted: answered, but nobody is told and nothing is kept.
    assert report(api(customer)).status_code == 204
    assert presence.customer_page(customer.pk) is None
    assert agents_hear() == []


def test_a_reload_storm_costs_one_event_and_a_new_page_passes_at_once(api, chat_customer, agents_hear):
    client = api(chat_customer)
    for _ in range(10):
        assert report(client, "/catalogue/").status_code == 204
    assert len(agents_hear()) == 1
    first_at = presence.customer_page(chat_customer.pk)["at"]
    assert report(client, "/basket/", "Basket").status_code == 204
    assert report(client, "/catalogue/").status_code == 204  # back: a change, so told again
    pages = [e["data"]["page"]["url"] for e in agents_hear()]
    assert pages == ["/catalogue/", "/basket/", "/catalogue/"]
    assert presence.customer_page(chat_customer.pk)["at"] >= first_at


def test_the_same_page_is_told_again_after_the_repeat_period(settings, api, chat_customer, agents_hear):
    settings.OSCAR_CHAT_CUSTOMER_PAGE_REPEAT_SECONDS = 0
    client = api(chat_customer)
    report(client, "/catalogue/")
    report(client, "/catalogue/")
    assert len(agents_hear()) == 2


def test_a_client_looping_over_pages_is_stopped_with_429(api, chat_customer, agents_hear):
    client = api(chat_customer)
    for n in range(PAGE_REPORTS_PER_MINUTE):
        assert report(client, f"/catalogue/?page={n}").status_code == 204
    refused = report(client, "/catalogue/?page=last")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert len(agents_hear()) == PAGE_REPORTS_PER_MINUTE


def test_the_session_needs_its_csrf_token_as_everywhere(chat_customer, oscar_site):
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="customer", password=PASSWORD)
    body = json.dumps({"url": "/catalogue/", "title": "Catalogue"})
    assert browser.post(URL, body, content_type="application/json").status_code == 403
    browser.get("/catalogue/")  # the widget's page sets the cookie; the launcher reads it
    token = browser.cookies["csrftoken"].value
    response = committed(browser.post, URL, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 204
    assert presence.customer_page(chat_customer.pk)["url"] == "/catalogue/"


def test_the_store_can_turn_page_reports_off(settings, api, chat_customer):
    settings.OSCAR_CHAT_CUSTOMER_PAGES = False
    assert report(api(chat_customer)).status_code == 404
    assert presence.customer_page(chat_customer.pk) is None


# The launcher's configuration: only a customer with a room reports pages.

CONFIG = re.compile(r'<script id="oscar-chat-config" type="application/json">(.*?)</script>', re.DOTALL)


def widget_config(client, user):
    client.force_login(user)
    return json.loads(CONFIG.search(client.get("/catalogue/").content.decode()).group(1))


def test_the_launcher_reports_pages_only_for_a_customer_with_a_room(client, settings, customer, oscar_site):
    assert "activity" not in widget_config(client, customer)
    open_room(customer, "Hello", message="Hi")
    assert widget_config(client, customer)["activity"] is True
    settings.OSCAR_CHAT_CUSTOMER_PAGES = False
    assert "activity" not in widget_config(client, customer)
