"""Oscar's basket_addition, heard by the agents' customer panel: a ``customer`` event with the basket.

Baskets are filled through Oscar's own basket view and through the chat's basket endpoint;
what leaves is read from the real (in-memory) channel layer.
"""

import pytest
from django.test import Client
from django.urls import reverse
from oscar.core.loading import get_model

from oscar_chat import events
from oscar_chat.admin import selectors as dashboard
from tests.factories import open_room
from tests.test_realtime_services import in_memory_layer, listen, received  # noqa: F401 - the layer fixture

Basket = get_model("basket", "Basket")


@pytest.fixture
def coffee(catalogue):
    return catalogue.product("Kopi Arabika Gayo 250g", sku="SKU-0001", price="85000", stock=50)


@pytest.fixture
def tea(catalogue):
    return catalogue.product("Teh Melati", sku="SKU-0002", price="25000.50", stock=50)


@pytest.fixture
def agents_hear(in_memory_layer):  # noqa: F811
    channel = listen(in_memory_layer, events.MESSAGES_GROUP)
    return lambda: [m for m in received(in_memory_layer, channel) if m["type"] == "chat.customer"]


def test_oscars_own_add_to_basket_tells_the_agents_the_basket_of_a_chat_customer(
    client, customer, coffee, tea, oscar_site, agents_hear, django_capture_on_commit_callbacks
):
    room = open_room(customer, "Coffee", message="Fresh beans?")
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("basket:add", args=[coffee.pk]), {"quantity": 2}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("basket:add", args=[tea.pk]), {"quantity": 1}).status_code == 302
    first, second = agents_hear()
    assert first["customer"] == customer.pk and first["rooms"] == [room.pk]
    assert first["data"] == {
        "customer": customer.pk,
        "basket": {
            "num_items": 2,
            "total": "170000.00",
            "currency": "IDR",
            "lines": [{"title": "Kopi Arabika Gayo 250g", "quantity": 2}],
        },
    }
    assert second["data"]["basket"] == {
        "num_items": 3,
        "total": "195000.50",
        "currency": "IDR",
        "lines": [{"title": "Kopi Arabika Gayo 250g", "quantity": 2}, {"title": "Teh Melati", "quantity": 1}],
    }
    # The same figures as the panel's basket when the agent opens the conversation.
    panel = dashboard.open_basket(customer)
    assert (panel["num_items"], f"{panel['total']:.2f}") == (3, "195000.50")


def test_the_chats_basket_endpoint_tells_them_too(
    api, customer, coffee, agents_hear, django_capture_on_commit_callbacks
):
    open_room(customer, "Coffee", message="Fresh beans?")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(customer).post(f"/api/chat/products/{coffee.pk}/basket", {"quantity": 3}, format="json")
    assert response.status_code == 200
    [event] = agents_hear()
    assert event["data"]["basket"]["num_items"] == 3
    assert event["data"]["basket"]["total"] == response.json()["basket"]["total"] == "255000.00"


def test_shoppers_who_never_chatted_and_visitors_are_not_broadcast(
    client, customer, coffee, oscar_site, agents_hear, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("basket:add", args=[coffee.pk]), {"quantity": 1})  # an anonymous visitor
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("basket:add", args=[coffee.pk]), {"quantity": 1}).status_code == 302
    assert Basket.open.get(owner=customer).num_items == 1
    assert agents_hear() == []
