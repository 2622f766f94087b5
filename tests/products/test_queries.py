"""Cards cost a constant number of queries, however many a search or a room history holds.

Oscar's thumbnailer makes each thumbnail once and then answers from its cache; the counts
below are for a catalogue whose thumbnails exist (each test warms them with one request).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oscar_chat import services
from oscar_chat.models import ChatRoom

MAX_QUERIES_SEARCH = 12
MAX_QUERIES_HISTORY = 20


def count_queries(request):
    with CaptureQueriesContext(connection) as queries:
        response = request()
    assert response.status_code == 200, response.content
    return len(queries), response


@pytest.fixture
def batik(catalogue):
    products = [
        catalogue.product(
            f"Batik motif {n}",
            sku=f"BM-{n}",
            brand="Batik Lawas",
            image=True,
            category=["Fashion > Batik", "Home > Decor > Batik"][n % 2],
        )
        for n in range(30)
    ]
    parent, __ = catalogue.parent_with_variants("Batik Kawung shirt", image=True, brand="Batik Lawas")
    return [parent, *products]


def test_search_query_count_does_not_grow_with_results(api, customer, batik, django_assert_max_num_queries):
    client = api(customer)
    client.get("/api/chat/products/search", {"q": "batik", "limit": 50})  # thumbnails made once
    few, response = count_queries(lambda: client.get("/api/chat/products/search", {"q": "batik", "limit": 3}))
    assert len(response.json()["results"]) == 3
    many, response = count_queries(lambda: client.get("/api/chat/products/search", {"q": "batik", "limit": 50}))
    assert len(response.json()["results"]) == 31
    assert all(
        card["image"] and card["category"] and card["brand"] == "Batik Lawas" for card in response.json()["results"]
    )
    assert few == many
    with django_assert_max_num_queries(MAX_QUERIES_SEARCH):
        client.get("/api/chat/products/search", {"limit": 50})
    with django_assert_max_num_queries(MAX_QUERIES_SEARCH):
        client.get("/api/chat/products/search", {"q": "BM-1"})


def share(room, sender, products):
    for product in products:
        services.post_message(room, sender, message_type="PRODUCT", product=product)


def test_room_history_query_count_does_not_grow_with_product_cards(
    api, agent, customer, batik, settings, django_assert_max_num_queries
):
    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = 1000
    small = ChatRoom.objects.create(user=customer, subject="A few")
    large = ChatRoom.objects.create(user=customer, subject="Many")
    share(small, agent, batik[:3])
    share(large, agent, batik)
    share(large, customer, batik[:10])  # the same product shared twice costs nothing more
    batik[5].delete()  # gone: rendered from its snapshot, still no extra query
    client = api(customer)
    client.get(f"/api/chat/rooms/{large.pk}")  # thumbnails made once
    few, __ = count_queries(lambda: client.get(f"/api/chat/rooms/{small.pk}"))
    many, response = count_queries(lambda: client.get(f"/api/chat/rooms/{large.pk}"))
    cards = [m["product"] for m in response.json()["results"]]
    assert len(cards) == 41 and all(card["title"] for card in cards)
    assert sum(not card["availability"]["is_available_to_buy"] for card in cards) == 2  # shared twice
    assert few == many
    with django_assert_max_num_queries(MAX_QUERIES_HISTORY):
        api(agent).get(f"/api/chat/rooms/{large.pk}")
