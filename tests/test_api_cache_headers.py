"""Answers of the API are personal: every one says no cache may keep it (API.md 1.1)."""

import pytest

from .factories import open_room


@pytest.fixture
def room(customer):
    return open_room(customer, "Cache")


@pytest.mark.parametrize(
    ("who", "method", "path", "status"),
    [
        ("customer", "get", "rooms", 200),
        ("customer", "get", "rooms/{room}", 200),
        ("customer", "post", "rooms/{room}/read", 200),
        ("customer", "get", "unread", 200),
        ("customer", "get", "products/search", 200),
        ("customer", "get", "rooms/999999", 404),
        ("customer", "get", "rooms/x", 400),
        ("customer", "patch", "rooms/{room}/manage", 403),
        ("customer", "get", "no/such/endpoint", 404),
        (None, "get", "rooms", 401),
        (None, "get", "schema", 200),
    ],
)
def test_every_api_response_forbids_caching(request, api, room, who, method, path, status):
    user = request.getfixturevalue(who) if who else None
    response = getattr(api(user), method)("/api/chat/" + path.format(room=room.pk), format="json")
    assert response.status_code == status
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives


def test_answers_django_gives_before_the_view_forbid_caching_too(settings):
    from django.test import Client

    settings.ALLOWED_HOSTS = ["shop.example"]
    refused = Client().get("/api/chat/rooms", HTTP_HOST="attacker.example")
    assert refused.status_code == 400 and refused["Content-Type"] == "application/json"
    assert "no-store" in refused["Cache-Control"]
