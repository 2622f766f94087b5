"""POST products/{id}/wishlist: into the customer's Oscar wish list."""

import pytest
from oscar.core.loading import get_model

WishList = get_model("wishlists", "WishList")


def url(product_id):
    return f"/api/chat/products/{product_id}/wishlist"


@pytest.fixture
def coffee(catalogue):
    return catalogue.product("Kopi Arabika Gayo 250g", sku="SKU-0001")


def test_first_add_makes_the_default_wishlist_and_asking_again_changes_nothing(api, customer, coffee):
    first = api(customer).post(url(coffee.pk))
    assert first.status_code == 200, first.content
    wishlist = WishList.objects.get(owner=customer)
    assert first.json() == {
        "wishlist": {"id": wishlist.pk, "name": "Default", "url": wishlist.get_absolute_url()},
        "added": True,
    }
    second = api(customer).post(url(coffee.pk) + "/")
    assert second.json() == {**first.json(), "added": False}
    assert [(line.product_id, line.quantity) for line in wishlist.lines.all()] == [(coffee.pk, 1)]


def test_uses_the_users_first_wishlist_as_oscar_does(api, customer, other_customer, coffee):
    theirs = WishList.objects.create(owner=other_customer, name="Not mine")
    oldest = WishList.objects.create(owner=customer, name="Gifts")
    WishList.objects.create(owner=customer, name="Later")
    response = api(customer).post(url(coffee.pk))
    assert response.json()["wishlist"]["id"] == oldest.pk
    assert list(oldest.lines.values_list("product_id", flat=True)) == [coffee.pk]
    assert not theirs.lines.exists()


def test_the_wishlist_page_shows_it(api, customer, coffee, oscar_site, client):
    path = api(customer).post(url(coffee.pk)).json()["wishlist"]["url"]
    client.force_login(customer)
    page = client.get(path)
    assert page.status_code == 200
    assert "Kopi Arabika Gayo 250g" in page.content.decode()


def test_hidden_wishlists_feature_is_404(api, customer, coffee, settings):
    settings.OSCAR_HIDDEN_FEATURES = ["wishlists"]
    response = api(customer).post(url(coffee.pk))
    assert response.status_code == 404
    assert "detail" in response.json()
    assert not WishList.objects.exists()


def test_hidden_or_unknown_product_is_404(api, customer, catalogue):
    hidden = catalogue.product("Internal", sku="INT", public=False)
    for product_id in (hidden.pk, 999999):
        assert api(customer).post(url(product_id)).status_code == 404
    assert not WishList.objects.exists()


def test_needs_a_user(api, coffee):
    assert api().post(url(coffee.pk)).status_code == 401
