"""GET products/{id}: a product card, priced by Oscar's strategy for whoever asks."""

import json
import os
from decimal import Decimal

import pytest
from django.test import Client
from oscar.apps.partner import strategy as oscar_strategy

from oscar_chat.api import shop
from tests.conftest import PASSWORD

from .conftest import card_keys


def url(product_id):
    return f"/api/chat/products/{product_id}"


def test_card_shows_the_product_as_the_store_does(api, customer, catalogue, media, settings):
    product = catalogue.product(
        "Kopi Arabika Gayo 250g",
        sku="SKU-0001",
        upc="8991001000011",
        price="85000",
        stock=40,
        brand="Gayo Highlands",
        category="Food > Coffee",
        image=True,
    )
    response = api(customer).get(url(product.pk))
    assert response.status_code == 200
    card = response.json()
    assert set(card) == card_keys()
    assert card["id"] == product.pk
    assert card["title"] == "Kopi Arabika Gayo 250g"
    assert card["url"] == product.get_absolute_url()
    assert card["price"] == {"amount": "85000.00", "currency": "IDR", "incl_tax": True}
    assert card["availability"] == {"code": "instock", "message": "In stock", "is_available_to_buy": True}
    assert card["category"] == "Food > Coffee"
    assert card["brand"] == "Gayo Highlands"
    assert card["sku"] == "SKU-0001"
    assert card["upc"] == "8991001000011"
    assert card["is_parent"] is False
    # A real thumbnail made by Oscar's thumbnailer, served from MEDIA_URL.
    assert card["image"].startswith(settings.MEDIA_URL)
    assert os.path.exists(os.path.join(media, card["image"][len(settings.MEDIA_URL) :]))


def test_missing_image_is_null_and_out_of_stock_cannot_be_bought(api, customer, catalogue):
    product = catalogue.product("Kopi Luwak", sku="SKU-3", stock=0, category=None)
    card = api(customer).get(url(product.pk)).json()
    assert card["image"] is None
    assert card["category"] is None and card["brand"] is None
    assert card["availability"] == {"code": "outofstock", "message": "Unavailable", "is_available_to_buy": False}


def test_product_without_price_has_no_price(api, customer, catalogue):
    product = catalogue.product("Coming soon", sku="SOON", price=None)
    card = api(customer).get(url(product.pk)).json()
    assert card["price"] is None
    assert card["availability"]["is_available_to_buy"] is False


def test_parent_card_is_priced_from_its_variants(api, customer, catalogue):
    parent, children = catalogue.parent_with_variants(brand="Batik Lawas", category="Fashion > Men", image=True)
    card = api(customer).get(url(parent.pk)).json()
    assert card["is_parent"] is True
    assert card["price"] == {"amount": "149000.00", "currency": "IDR", "incl_tax": True}
    assert card["availability"]["is_available_to_buy"] is True
    assert card["sku"] is None
    assert card["category"] == "Fashion > Men" and card["brand"] == "Batik Lawas"
    # A public variant has a card of its own (the parent's brand, category and picture).
    child = api(customer).get(url(children[0].pk)).json()
    assert child["title"] == "Kaos Batik Kawung S" and child["sku"] == "KAWUNG-S" and child["is_parent"] is False
    assert child["brand"] == "Batik Lawas" and child["category"] == "Fashion > Men" and child["image"]


def test_hidden_and_unknown_products_are_404(api, customer, catalogue):
    hidden = catalogue.product("Internal", sku="INT", public=False)
    parent, children = catalogue.parent_with_variants("Hidden parent", sku="HP", public=False)
    for product_id in (hidden.pk, parent.pk, children[0].pk, 999999, 2**63 - 1):
        response = api(customer).get(url(product_id))
        assert response.status_code == 404, product_id
        assert "detail" in response.json()
    # Not an id at all (beyond bigint): a 400 (API.md 1.1).
    assert api(customer).get(url(9999999999999999999)).status_code == 400


class PerUserSelector:
    """A store's own Selector, as a fork of Oscar's partner app would define it: the customer
    is priced by Oscar's UK strategy (20% tax included), everyone else by the Default one."""

    def strategy(self, request=None, user=None, **kwargs):
        user = user or getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.username == "customer":
            return oscar_strategy.UK(request)
        return oscar_strategy.Default(request)


@pytest.fixture
def per_user_pricing(monkeypatch):
    from oscar.apps.basket import middleware

    monkeypatch.setattr(shop, "Selector", PerUserSelector)
    monkeypatch.setattr(middleware, "selector", PerUserSelector())


def test_card_is_priced_by_the_strategy_of_the_requesting_user(api, customer, agent, catalogue, per_user_pricing):
    product = catalogue.product("Rice Cooker", sku="RC-1", price="100000")
    uk_price = oscar_strategy.UK().fetch_for_product(product).price
    assert api(customer).get(url(product.pk)).json()["price"] == {
        "amount": f"{uk_price.incl_tax:.2f}",
        "currency": uk_price.currency,
        "incl_tax": True,
    }
    assert uk_price.incl_tax == Decimal("120000.00")
    assert api(agent).get(url(product.pk)).json()["price"]["amount"] == "100000.00"
    # Through the storefront session, the strategy Oscar's middleware built for the visitor.
    browser = Client()
    browser.login(username="customer", password=PASSWORD)
    assert browser.get(url(product.pk)).json()["price"]["amount"] == "120000.00"
    search = api(customer).get("/api/chat/products/search", {"q": "rice"}).json()["results"]
    assert search[0]["price"]["amount"] == "120000.00"


def test_unknown_tax_shows_the_net_price(api, customer, catalogue, monkeypatch):
    class USSelector:
        def strategy(self, request=None, user=None, **kwargs):
            return oscar_strategy.US(request)

    monkeypatch.setattr(shop, "Selector", USSelector)
    product = catalogue.product("Power bank", sku="PB-1", price="12.50", currency="USD")
    assert api(customer).get(url(product.pk)).json()["price"] == {
        "amount": "12.50",
        "currency": "USD",
        "incl_tax": False,
    }


FORBIDDEN_KEYS = {
    "cost_price",
    "num_in_stock",
    "num_allocated",
    "net_stock_level",
    "low_stock_threshold",
    "partner",
    "partner_id",
    "partner_name",
    "stockrecord",
    "stockrecords",
}


def keys_of(value):
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_of(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_of(v) for v in value)) if value else set()
    return set()


def test_no_cost_stock_allocation_or_partner_data_in_any_response(api, customer, agent, catalogue):
    product = catalogue.product(
        "Smartwatch Aktif", sku="SW-9", upc="8991003000062", stock=4321, allocated=1234, brand="Gerak", image=True
    )
    client = api(customer)
    room = client.post("/api/chat/rooms", {"subject": "Watch", "product_id": product.pk}, format="json").json()
    responses = [
        client.get("/api/chat/products/search", {"q": "smartwatch"}),
        client.get("/api/chat/products/search"),
        client.get(url(product.pk)),
        client.post(f"{url(product.pk)}/basket", {"quantity": 2}, format="json"),
        client.post(
            f"/api/chat/rooms/{room['id']}", {"message_type": "PRODUCT", "product_id": product.pk}, format="json"
        ),
        client.get(f"/api/chat/rooms/{room['id']}"),
        api(agent).get(f"/api/chat/rooms/{room['id']}"),
    ]
    for response in responses:
        assert response.status_code in (200, 201), response.content
        body = response.json()
        assert not keys_of(body) & FORBIDDEN_KEYS
        text = json.dumps(body)
        for secret in ("4321", "1234", "3087", "Secret Supplier"):
            assert secret not in text, (secret, text)
    history = responses[-2].json()["results"]
    assert [m["product"]["title"] for m in history] == ["Smartwatch Aktif", "Smartwatch Aktif"]
