"""PRODUCT messages: a product shared in a room, shown live, and from its snapshot once gone."""

import pytest

from oscar_chat.models import ChatMessage


@pytest.fixture
def coffee(catalogue):
    return catalogue.product(
        "Kopi Arabika Gayo 250g", sku="SKU-0001", price="85000", brand="Gayo Highlands", image=True
    )


def open_room(api, user, **extra):
    response = api(user).post("/api/chat/rooms", {"subject": "About coffee", **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def history(api, user, room_id):
    response = api(user).get(f"/api/chat/rooms/{room_id}")
    assert response.status_code == 200
    return response.json()["results"]


def test_opening_a_room_with_a_product_shares_it(api, customer, agent, coffee):
    room_id = open_room(api, customer, message="Is this fresh?", product_id=coffee.pk)
    messages = history(api, agent, room_id)
    assert [m["message_type"] for m in messages] == ["TEXT", "PRODUCT"]
    card = messages[1]["product"]
    assert card["id"] == coffee.pk and card["title"] == "Kopi Arabika Gayo 250g"
    assert card["price"]["amount"] == "85000.00" and card["availability"]["is_available_to_buy"] is True
    assert messages[0]["product"] is None


def test_sending_a_product_with_and_without_caption(api, customer, agent, coffee):
    room_id = open_room(api, customer, message="Hello")
    with_caption = api(agent).post(
        f"/api/chat/rooms/{room_id}",
        {"message_type": "PRODUCT", "product_id": coffee.pk, "message": "This one?"},
        format="json",
    )
    assert with_caption.status_code == 201, with_caption.content
    assert with_caption.json()["message"] == "This one?"
    assert with_caption.json()["product"]["title"] == "Kopi Arabika Gayo 250g"
    bare = api(customer).post(
        f"/api/chat/rooms/{room_id}", {"message_type": "PRODUCT", "product_id": coffee.pk}, format="json"
    )
    assert bare.status_code == 201
    assert bare.json()["message"] == "" and bare.json()["product"]["id"] == coffee.pk
    assert [m["message_type"] for m in history(api, customer, room_id)] == ["TEXT", "PRODUCT", "PRODUCT"]


def test_a_product_id_without_message_type_shares_the_product(api, customer, agent, coffee):
    room_id = open_room(api, customer, message="Hello")
    response = api(customer).post(f"/api/chat/rooms/{room_id}", {"product_id": coffee.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["message_type"] == "PRODUCT"
    assert response.json()["product"]["id"] == coffee.pk
    assert history(api, agent, room_id)[-1]["product"]["title"] == "Kopi Arabika Gayo 250g"


def test_a_product_id_on_a_text_message_is_refused_and_nothing_is_stored(api, customer, coffee):
    room_id = open_room(api, customer, message="Hello")
    response = api(customer).post(
        f"/api/chat/rooms/{room_id}", {"message_type": "TEXT", "message": "Hi", "product_id": coffee.pk}, format="json"
    )
    assert response.status_code == 400
    assert "product_id" in response.json()
    assert ChatMessage.objects.filter(room_id=room_id).count() == 1


@pytest.mark.parametrize("product_id", ["hidden", "child", 999999, "missing", "abc"])
def test_a_product_message_needs_a_public_shareable_product(api, customer, catalogue, coffee, product_id):
    hidden = catalogue.product("Internal", sku="INT", public=False)
    parent, children = catalogue.parent_with_variants()
    product_id = {"hidden": hidden.pk, "child": children[0].pk}.get(product_id, product_id)
    room_id = open_room(api, customer, message="Hello")
    body = {"message_type": "PRODUCT"}
    if product_id != "missing":
        body["product_id"] = product_id
    response = api(customer).post(f"/api/chat/rooms/{room_id}", body, format="json")
    assert response.status_code == 400
    assert "product_id" in response.json()
    assert ChatMessage.objects.filter(message_type="PRODUCT").count() == 0
    refused = api(customer).post("/api/chat/rooms", {"subject": "x", "product_id": hidden.pk}, format="json")
    assert refused.status_code == 400 and "product_id" in refused.json()


def test_a_deleted_product_still_renders_from_its_snapshot(api, customer, agent, coffee):
    room_id = open_room(api, customer, product_id=coffee.pk)
    shared = history(api, customer, room_id)[0]["product"]
    coffee.delete()
    for user in (customer, agent):
        card = history(api, user, room_id)[0]["product"]
        assert card["availability"] == {
            "code": "unavailable",
            "message": "No longer available",
            "is_available_to_buy": False,
        }
        assert {k: v for k, v in card.items() if k != "availability"} == {
            k: v for k, v in shared.items() if k != "availability"
        }


def test_an_unpublished_product_renders_from_its_snapshot_and_comes_back_live(api, customer, coffee):
    room_id = open_room(api, customer, product_id=coffee.pk)
    coffee.is_public = False
    coffee.save()
    card = history(api, customer, room_id)[0]["product"]
    assert card["title"] == "Kopi Arabika Gayo 250g"
    assert card["availability"]["is_available_to_buy"] is False
    coffee.is_public = True
    coffee.save()
    assert history(api, customer, room_id)[0]["product"]["availability"]["is_available_to_buy"] is True


def test_history_cards_are_live(api, customer, coffee):
    room_id = open_room(api, customer, product_id=coffee.pk)
    stockrecord = coffee.stockrecords.get()
    stockrecord.price = 90000
    stockrecord.num_in_stock = 0
    stockrecord.save()
    card = history(api, customer, room_id)[0]["product"]
    assert card["price"]["amount"] == "90000.00"
    assert card["availability"]["is_available_to_buy"] is False
    # The stored snapshot keeps what was shown when shared.
    snapshot = ChatMessage.objects.get(room_id=room_id).product_snapshot
    assert snapshot["price"]["amount"] == "85000.00"


def test_cards_speak_the_visitors_language(api, customer, coffee):
    room_id = open_room(api, customer, product_id=coffee.pk)
    coffee.delete()
    response = api(customer).get(f"/api/chat/rooms/{room_id}", HTTP_ACCEPT_LANGUAGE="id")
    assert response.json()["results"][0]["product"]["availability"]["message"] == "Tidak tersedia lagi"
    missing = api(customer).get("/api/chat/products/999999", HTTP_ACCEPT_LANGUAGE="id")
    assert missing.json() == {"detail": "Produk tidak ditemukan."}
