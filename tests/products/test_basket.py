"""POST products/{id}/basket: into the very Oscar basket the customer sees in the storefront."""

import pytest
from django.test import Client
from oscar.apps.partner.strategy import Default
from oscar.core.loading import get_model

from tests.conftest import PASSWORD

Basket = get_model("basket", "Basket")
ProductRecord = get_model("analytics", "ProductRecord")


def url(product):
    return f"/api/chat/products/{getattr(product, 'pk', product)}/basket"


def open_lines(user):
    return {
        line.product.get_title(): line.quantity
        for basket in Basket.open.filter(owner=user)
        for line in basket.lines.all()
    }


def storefront(username="customer"):
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username=username, password=PASSWORD)
    return browser


@pytest.fixture
def coffee(catalogue):
    return catalogue.product("Kopi Arabika Gayo 250g", sku="SKU-0001", price="85000", stock=5, image=True)


def test_jwt_adds_to_the_users_open_basket_shown_by_the_storefront(api, customer, coffee, oscar_site):
    response = api(customer).post(url(coffee), {"quantity": 2}, format="json")
    assert response.status_code == 200, response.content
    basket = Basket.open.get(owner=customer)
    assert response.json() == {"basket": {"id": basket.pk, "num_items": 2, "total": "170000.00", "currency": "IDR"}}
    assert open_lines(customer) == {"Kopi Arabika Gayo 250g": 2}
    page = storefront().get("/basket/")
    assert page.status_code == 200
    assert page.context["basket"].pk == basket.pk
    assert "Kopi Arabika Gayo 250g" in page.content.decode()
    # Oscar's basket_addition signal reached Oscar's analytics.
    assert ProductRecord.objects.get(product=coffee).num_basket_additions == 1


def test_session_adds_to_the_middlewares_basket_with_csrf(customer, coffee, oscar_site):
    browser = storefront()
    browser.get("/basket/")  # the storefront page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    refused = browser.post(url(coffee), {"quantity": 1}, content_type="application/json")
    assert refused.status_code == 403  # no CSRF token: refused, nothing added
    assert open_lines(customer) == {}
    response = browser.post(url(coffee), {"quantity": 1}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    assert response.json()["basket"]["num_items"] == 1
    page = browser.get("/basket/")
    assert "Kopi Arabika Gayo 250g" in page.content.decode()
    assert page.context["basket"].pk == response.json()["basket"]["id"]
    # Adding again through the API adds up on the same line, as Oscar's own form does.
    again = browser.post(url(coffee), {}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert again.json()["basket"] == {**response.json()["basket"], "num_items": 2, "total": "170000.00"}
    assert open_lines(customer) == {"Kopi Arabika Gayo 250g": 2}


def test_default_quantity_is_one_and_a_variant_can_be_bought(api, customer, catalogue):
    parent, children = catalogue.parent_with_variants()
    response = api(customer).post(url(children[0]))
    assert response.status_code == 200, response.content
    assert open_lines(customer) == {"Kaos Batik Kawung S": 1}


def test_duplicate_open_baskets_are_merged_as_oscar_does(api, customer, coffee, catalogue):
    tea = catalogue.product("Teh Melati", sku="TEA", price="25000")
    first = Basket.objects.create(owner=customer)
    second = Basket.objects.create(owner=customer)
    second.strategy = Default()
    second.add_product(tea, 1)
    response = api(customer).post(url(coffee), {"quantity": 1}, format="json")
    assert response.status_code == 200, response.content
    assert Basket.open.filter(owner=customer).count() == 1
    assert response.json()["basket"]["id"] == first.pk
    assert open_lines(customer) == {"Kopi Arabika Gayo 250g": 1, "Teh Melati": 1}


def refused(api, user, product, body=None):
    response = api(user).post(url(product), body if body is not None else {}, format="json")
    assert response.status_code == 400, response.content
    assert open_lines(user) == {}
    return response.json()


def test_out_of_stock_is_refused_with_oscars_reason(api, customer, catalogue):
    product = catalogue.product("Kopi Luwak", sku="LUWAK", stock=0)
    assert refused(api, customer, product) == {"detail": "No stock available"}


def test_more_than_the_stock_is_refused(api, customer, coffee):
    assert refused(api, customer, coffee, {"quantity": 6}) == {"detail": "A maximum of 5 can be bought"}
    assert api(customer).post(url(coffee), {"quantity": 4}, format="json").status_code == 200
    # Oscar counts what is already in the basket.
    response = api(customer).post(url(coffee), {"quantity": 2}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "A maximum of 5 can be bought"}
    assert open_lines(customer) == {"Kopi Arabika Gayo 250g": 4}


def test_no_price_is_refused(api, customer, catalogue):
    product = catalogue.product("Coming soon", sku="SOON", price=None)
    assert refused(api, customer, product)["detail"] == (
        "This product cannot be added to the basket because a price could not be determined for it."
    )


def test_a_parent_is_refused_naming_its_variants(api, customer, catalogue):
    parent, children = catalogue.parent_with_variants(brand="Batik Lawas")
    body = refused(api, customer, parent)
    assert body["detail"] == "Kaos Batik Kawung comes in variants; choose one: Size: S; Size: M; Size: L."
    assert [(v["id"], v["label"], v["availability"]["is_available_to_buy"]) for v in body["variants"]] == [
        (children[0].pk, "Size: S", True),
        (children[1].pk, "Size: M", False),
        (children[2].pk, "Size: L", True),
    ]
    assert all(v["price"]["amount"] == "149000.00" for v in body["variants"])


@pytest.mark.parametrize("quantity", [0, -1, "two", 1.5, None, True, [1]])
def test_quantity_below_one_or_not_a_number_is_refused(api, customer, coffee, quantity):
    assert "quantity" in refused(api, customer, coffee, {"quantity": quantity})


def test_more_than_oscars_basket_threshold_is_refused(api, customer, catalogue, settings):
    settings.OSCAR_MAX_BASKET_QUANTITY_THRESHOLD = 5
    voucher = catalogue.product("Gift voucher", sku="GV", product_class=catalogue.digital)
    # Oscar's own message (its English catalogue says "cart").
    [message] = refused(api, customer, voucher, {"quantity": 6})["quantity"]
    assert message.startswith("Due to technical limitations we are not able to ship more than 5 items")
    assert api(customer).post(url(voucher), {"quantity": 5}, format="json").status_code == 200
    assert api(customer).post(url(voucher), {"quantity": 1}, format="json").status_code == 400
    assert open_lines(customer) == {"Gift voucher": 5}


def test_huge_quantity_is_refused_without_an_error(api, customer, catalogue):
    voucher = catalogue.product("Gift voucher", sku="GV", product_class=catalogue.digital)
    assert "quantity" in refused(api, customer, voucher, {"quantity": 10**30})


def test_hidden_or_unknown_products_are_404_and_nothing_is_added(api, customer, catalogue):
    hidden = catalogue.product("Internal", sku="INT", public=False)
    parent, children = catalogue.parent_with_variants("Hidden parent", sku="HP", public=False)
    for product_id in (hidden.pk, children[0].pk, 999999):
        response = api(customer).post(url(product_id), {"quantity": 1}, format="json")
        assert response.status_code == 404
    assert open_lines(customer) == {}


def test_needs_a_user(api, coffee):
    assert api().post(url(coffee), {"quantity": 1}, format="json").status_code == 401
    assert not Basket.objects.exists()


def test_body_that_is_not_an_object_is_a_400(api, customer, coffee):
    response = api(customer).post(url(coffee), [1, 2], format="json")
    assert response.status_code == 400
    assert open_lines(customer) == {}


def test_a_token_wins_over_another_users_session(api, customer, other_customer, coffee):
    client = api(customer)
    client.force_login(other_customer)  # a session cookie of someone else in the same browser
    assert client.post(url(coffee), {"quantity": 1}, format="json").status_code == 200
    assert open_lines(customer) == {"Kopi Arabika Gayo 250g": 1}
    assert open_lines(other_customer) == {}
