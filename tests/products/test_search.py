"""GET products/search: what a customer or agent finds when they look for a product to share."""

import pytest

from .conftest import card_keys

URL = "/api/chat/products/search"


def titles(response):
    assert response.status_code == 200, response.content
    return [card["title"] for card in response.json()["results"]]


@pytest.fixture
def shop(catalogue):
    c = catalogue
    return {
        "gayo": c.product("Kopi Arabika Gayo 250g", sku="SKU-0001", upc="8991001000011", brand="Gayo Highlands"),
        "robusta": c.product(
            "Kopi Robusta Lampung 500g", sku="SKU-0002", upc="8991001000028", brand="Lampung Roasters"
        ),
        "earbuds": c.product(
            "Wireless Earbuds Pro", sku="AUD-77", upc="8991003000017", brand="Suara", category="Electronics > Audio"
        ),
        # Its title holds the other product's SKU: the exact SKU match must still come first.
        "decoy": c.product(
            "Speaker compatible with SKU-0002 dock",
            sku="SPK-1",
            upc="8991003000024",
            brand="Suara",
            category="Electronics > Audio",
        ),
        "hidden": c.product(
            "Kopi Rahasia Internal", sku="SKU-HIDDEN", upc="8991001000099", brand="Gayo Highlands", public=False
        ),
    }


def test_title_words_match_case_insensitively_and_in_any_order(api, customer, shop):
    assert titles(api(customer).get(URL, {"q": "KOPI"})) == ["Kopi Robusta Lampung 500g", "Kopi Arabika Gayo 250g"]
    assert titles(api(customer).get(URL, {"q": "gayo arabika"})) == ["Kopi Arabika Gayo 250g"]
    assert titles(api(customer).get(URL, {"q": "earbuds  wireless"})) == ["Wireless Earbuds Pro"]


def test_brand_matches(api, customer, shop):
    assert titles(api(customer).get(URL, {"q": "lampung roasters"})) == ["Kopi Robusta Lampung 500g"]
    assert set(titles(api(customer).get(URL, {"q": "suara"}))) == {
        "Wireless Earbuds Pro",
        "Speaker compatible with SKU-0002 dock",
    }


def test_partner_sku_matches_exactly_and_in_part(api, customer, shop):
    assert titles(api(customer).get(URL, {"q": "aud-77"})) == ["Wireless Earbuds Pro"]
    assert titles(api(customer).get(URL, {"q": "aud-7"})) == ["Wireless Earbuds Pro"]


def test_upc_matches_exactly_and_in_part(api, customer, shop):
    assert titles(api(customer).get(URL, {"q": "8991003000017"})) == ["Wireless Earbuds Pro"]
    assert titles(api(customer).get(URL, {"q": "899100300001"})) == ["Wireless Earbuds Pro"]


def test_exact_sku_or_upc_ranks_before_title_then_brand_then_partial_codes(api, customer, shop, catalogue):
    # "SKU-0002" is the robusta's exact SKU and a word of the decoy's title.
    assert titles(api(customer).get(URL, {"q": "sku-0002"})) == [
        "Kopi Robusta Lampung 500g",
        "Speaker compatible with SKU-0002 dock",
    ]
    catalogue.product("Gift box", sku="BOX-1", upc="GAYO-BOX", brand="Other")
    catalogue.product("Gayo tasting notes booklet", sku="BOOK-1", brand="Other")
    # Exact UPC, then title, then brand, then partial code.
    catalogue.product("Tote bag", sku="BAG-1", upc="gayo")
    assert titles(api(customer).get(URL, {"q": "GAYO"})) == [
        "Tote bag",
        "Gayo tasting notes booklet",
        "Kopi Arabika Gayo 250g",
        "Gift box",
    ]


def test_hidden_products_are_never_found(api, customer, shop):
    for q in ("rahasia", "SKU-HIDDEN", "8991001000099", "Kopi"):
        assert "Kopi Rahasia Internal" not in titles(api(customer).get(URL, {"q": q}))
    assert "Kopi Rahasia Internal" not in titles(api(customer).get(URL))


def test_variants_are_reached_through_their_parent(api, customer, catalogue):
    parent, children = catalogue.parent_with_variants(brand="Batik Lawas")
    hidden_parent, __ = catalogue.parent_with_variants("Kaos Rahasia", sizes=(("S", 1),), sku="RHS", public=False)
    for q in ("KAWUNG-M", "kawung l", parent.upc, children[0].upc, "batik lawas"):
        response = api(customer).get(URL, {"q": q})
        assert titles(response) == ["Kaos Batik Kawung"], q
        card = response.json()["results"][0]
        assert card["id"] == parent.pk and card["is_parent"] is True
    assert titles(api(customer).get(URL, {"q": "rahasia"})) == []
    newest = api(customer).get(URL).json()["results"]
    assert [card["id"] for card in newest] == [parent.pk]


def test_empty_query_lists_the_newest_public_products(api, customer, shop):
    response = api(customer).get(URL, {"q": "  "})
    assert titles(response) == [
        "Speaker compatible with SKU-0002 dock",
        "Wireless Earbuds Pro",
        "Kopi Robusta Lampung 500g",
        "Kopi Arabika Gayo 250g",
    ]
    assert all(set(card) == card_keys() for card in response.json()["results"])


def test_no_match_is_an_empty_list(api, customer, shop):
    assert titles(api(customer).get(URL, {"q": "sepeda lipat"})) == []
    assert titles(api(customer).get(URL, {"q": "%"})) == []
    assert titles(api(customer).get(URL, {"q": "_"})) == []


def test_limit_defaults_to_20_and_is_capped_at_50(api, customer, catalogue):
    for n in range(55):
        catalogue.product(f"Batik motif {n}", sku=f"BM-{n}", category=None)
    assert len(titles(api(customer).get(URL, {"q": "batik"}))) == 20
    assert len(titles(api(customer).get(URL, {"q": "batik", "limit": 5}))) == 5
    assert len(titles(api(customer).get(URL, {"q": "batik", "limit": 500}))) == 50
    assert len(titles(api(customer).get(URL, {"limit": 50}))) == 50


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": -3}, {"limit": "ten"}, {"q": "x" * 201}])
def test_bad_parameters_are_a_400(api, customer, shop, params):
    response = api(customer).get(URL, params)
    assert response.status_code == 400
    assert set(response.json()) <= {"limit", "q"}


def test_search_needs_a_user(api, shop):
    assert api().get(URL, {"q": "kopi"}).status_code == 401


def test_path_works_with_a_trailing_slash(api, customer, shop):
    assert titles(api(customer).get(URL + "/", {"q": "kopi"}))


def test_brand_as_an_option_attribute_matches(api, customer, catalogue):
    from oscar.core.loading import get_model

    AttributeOptionGroup = get_model("catalogue", "AttributeOptionGroup")
    ProductAttribute = get_model("catalogue", "ProductAttribute")
    ProductClass = get_model("catalogue", "ProductClass")
    group = AttributeOptionGroup.objects.create(name="Brands")
    option = group.options.create(option="Dapur Pintar")
    kitchen = ProductClass.objects.create(name="Kitchen", track_stock=True)
    ProductAttribute.objects.create(
        product_class=kitchen, code="brand", name="Brand", type="option", option_group=group
    )
    product = catalogue.product("Rice Cooker Digital", sku="RC-1", product_class=kitchen)
    product.attr.brand = option
    product.attr.save()
    catalogue.product("Wajan", sku="WJ-1", brand="Merapi Craft")
    response = api(customer).get(URL, {"q": "pintar"})
    assert titles(response) == ["Rice Cooker Digital"]
    assert response.json()["results"][0]["brand"] == "Dapur Pintar"
