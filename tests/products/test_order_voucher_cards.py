"""ORDER and VOUCHER cards (API 1.1) and POST vouchers/{code}/basket, with Oscar's own orders and vouchers."""

import datetime

import pytest
from django.utils import timezone
from django.utils.translation import gettext
from oscar.core.loading import get_model
from oscar.test.factories import create_order, create_voucher

from oscar_chat.models import ChatMessage
from oscar_chat.vouchers import card_from_snapshot
from tests.factories import db_state, open_room

Basket = get_model("basket", "Basket")


@pytest.fixture
def room(customer):
    return open_room(customer, "About my order", message="Where is it?")


def send(client, room, body):
    return client.post(f"/api/chat/rooms/{room.pk}", body, format="json")


@pytest.fixture
def order(customer, oscar_site):
    return create_order(number="100042", user=customer)


def test_an_agent_shares_the_customers_order_as_a_card(api, agent, customer, room, order):
    response = send(api(agent), room, {"message_type": "ORDER", "order_number": "100042"})
    assert response.status_code == 201, response.content
    card = response.json()["order"]
    line = order.lines.get()
    assert card == {
        "number": "100042",
        "status": order.status,
        "date_placed": order.date_placed.isoformat(),
        "total": f"{order.total_incl_tax:.2f}",
        "currency": order.currency,
        "lines": [{"title": line.title, "quantity": line.quantity}],
        "url": "/accounts/orders/100042/",
    }
    assert response.json()["voucher"] is None and response.json()["product"] is None
    # The customer sees the same card in their history, and its link opens their order page.
    history = api(customer).get(f"/api/chat/rooms/{room.pk}").json()
    assert history["results"][-1]["order"] == card
    assert history["room"]["last_message"] == "🧾 100042"


def test_another_customers_order_is_refused_and_nothing_is_stored(api, agent, other_customer, room, oscar_site):
    create_order(number="100077", user=other_customer)
    before = db_state()
    response = send(api(agent), room, {"message_type": "ORDER", "order_number": "100077"})
    assert response.status_code == 400
    assert "order_number" in response.json()
    assert db_state() == before


@pytest.mark.parametrize("body", [{"message_type": "ORDER"}, {"message_type": "ORDER", "order_number": "nope"}])
def test_a_missing_or_unknown_order_is_a_400(api, agent, room, order, body):
    before = db_state()
    response = send(api(agent), room, body)
    assert response.status_code == 400
    assert "order_number" in response.json()
    assert db_state() == before


@pytest.mark.parametrize(
    "body",
    [
        {"message_type": "ORDER", "order_number": "100042"},
        {"message_type": "VOUCHER", "voucher_code": "GAYO10"},
    ],
)
def test_a_customer_cannot_send_order_or_voucher_cards(api, customer, room, order, body):
    create_voucher(code="GAYO10", name="Gayo ten")
    before = db_state()
    response = send(api(customer), room, body)
    assert response.status_code == 400
    assert db_state() == before


@pytest.fixture
def voucher(db):
    return create_voucher(code="GAYO10", name="Gayo ten percent")


def test_an_agent_shares_a_voucher_as_a_card(api, agent, customer, room, voucher):
    response = send(api(agent), room, {"message_type": "VOUCHER", "voucher_code": "gayo10"})
    assert response.status_code == 201, response.content
    card = response.json()["voucher"]
    assert card == {
        "code": "GAYO10",
        "name": "Gayo ten percent",
        "description": card["description"],
        "end_datetime": voucher.end_datetime.isoformat(),
        "is_active": True,
    }
    assert isinstance(card["description"], str)
    assert api(customer).get(f"/api/chat/rooms/{room.pk}").json()["results"][-1]["voucher"] == card
    # Once the voucher's period is over, the card says so.
    stored = ChatMessage.objects.get(pk=response.json()["id"]).voucher_snapshot
    assert card_from_snapshot(stored, now=voucher.end_datetime + datetime.timedelta(seconds=1))["is_active"] is False


def test_an_unknown_voucher_is_a_400(api, agent, room, db):
    before = db_state()
    response = send(api(agent), room, {"message_type": "VOUCHER", "voucher_code": "NOPE"})
    assert response.status_code == 400
    assert "voucher_code" in response.json()
    assert db_state() == before


def oscar_words(text, code):
    """What Oscar's own voucher view says, in the store's language."""
    return gettext(text) % {"code": code}


def basket_url(code):
    return f"/api/chat/vouchers/{code}/basket"


def test_the_customer_applies_a_voucher_to_their_basket(api, customer, voucher, catalogue, oscar_site):
    coffee = catalogue.product("Kopi Arabika Gayo 250g", sku="SKU-1", price="100000", stock=5)
    client = api(customer)
    assert client.post(f"/api/chat/products/{coffee.pk}/basket").status_code == 200
    response = client.post(basket_url("gayo10"))
    assert response.status_code == 200, response.content
    basket = Basket.open.get(owner=customer)
    assert list(basket.vouchers.values_list("code", flat=True)) == ["GAYO10"]
    assert response.json()["basket"]["id"] == basket.pk
    # Oscar's offer of the voucher (20% off) is in the total.
    assert response.json()["basket"]["total"] == "80000.00"
    again = client.post(basket_url("GAYO10"))
    assert again.status_code == 400
    assert again.json()["detail"] == oscar_words(
        "You have already added the '%(code)s' voucher to your basket", "GAYO10"
    )


def test_oscar_refuses_a_voucher_for_an_empty_basket_in_its_words(api, customer, voucher, oscar_site):
    response = api(customer).post(basket_url("GAYO10"))
    assert response.status_code == 400
    assert response.json()["detail"] == gettext("Your basket does not qualify for a voucher discount")
    assert not Basket.objects.filter(owner=customer, vouchers__isnull=False).exists()


def test_an_expired_or_unknown_voucher_is_refused(api, customer, catalogue, oscar_site):
    create_voucher(
        code="OLD",
        name="Old one",
        start_datetime=timezone.now() - datetime.timedelta(days=9),
        end_datetime=timezone.now() - datetime.timedelta(days=1),
    )
    response = api(customer).post(basket_url("OLD"))
    assert response.status_code == 400
    assert response.json()["detail"] == oscar_words("The '%(code)s' voucher has expired", "OLD")
    assert api(customer).post(basket_url("NOPE")).status_code == 404


def test_a_session_applies_the_voucher_to_the_basket_the_storefront_shows(customer, voucher, catalogue, oscar_site):
    from django.test import Client

    from tests.conftest import PASSWORD

    coffee = catalogue.product("Kopi Toraja 250g", sku="SKU-2", price="50000", stock=5)
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username="customer", password=PASSWORD)
    browser.get("/basket/")
    token = browser.cookies["csrftoken"].value
    added = browser.post(
        f"/api/chat/products/{coffee.pk}/basket", {}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert added.status_code == 200
    refused = browser.post(basket_url("GAYO10"), {}, content_type="application/json")
    assert refused.status_code == 403  # no CSRF token: nothing applied
    response = browser.post(basket_url("GAYO10"), {}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    assert response.json()["basket"]["total"] == "40000.00"
    page = browser.get("/basket/")
    assert page.context["basket"].pk == response.json()["basket"]["id"]
    assert [v.code for v in page.context["basket"].vouchers.all()] == ["GAYO10"]
