"""Ids and cursors are ASCII digits everywhere they are read: anything else is a 400, never a 500."""

from urllib.parse import quote

import pytest
from django.test import Client

from oscar_chat.ids import MAX_ID, parse_id

from .conftest import make_user
from .factories import db_state, make_product, open_room, say

# Digits str.isdigit() or int() take that are not an id: superscript, Arabic-Indic and
# full-width digits, signs, exponents, underscores, spaces, hex, beyond bigint.
ODD = ["²", "٣", "１２", "-1", "+7", "1e3", "1_000", " 7", "7 ", "0x1F", "7.0", str(MAX_ID + 1), "9" * 25, "0"]


@pytest.mark.parametrize("value", ODD)
def test_parse_id_takes_ascii_digits_only(value):
    assert parse_id(value) is None


def test_parse_id_reads_ids_and_json_integers():
    assert [parse_id("7"), parse_id("0007"), parse_id(7), parse_id(str(MAX_ID)), parse_id("0", minimum=0)] == [
        7,
        7,
        7,
        MAX_ID,
        0,
    ]
    assert [parse_id(True), parse_id(7.0), parse_id(None), parse_id(["7"]), parse_id(-1)] == [None] * 5


@pytest.fixture
def world(customer, agent):
    room = open_room(customer, "Odd digits")
    say(room, customer, "hello")
    return {"room": room, "product": make_product()}


PATH_CASES = [
    ("customer", "get", "rooms/{v}", None),
    ("customer", "post", "rooms/{v}", {"message": "hi"}),
    ("agent", "patch", "rooms/{v}/manage", {"status": "CLOSED"}),
    ("customer", "post", "rooms/{v}/read", None),
    ("customer", "post", "rooms/{v}/typing", {"is_typing": True}),
    ("customer", "get", "products/{v}", None),
    ("customer", "post", "products/{v}/basket", {"quantity": 1}),
    ("customer", "post", "products/{v}/wishlist", None),
    ("customer", "get", "attachments/{v}", None),
]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(("who", "method", "path", "body"), PATH_CASES, ids=[c[2] + " " + c[1] for c in PATH_CASES])
def test_odd_digits_in_api_paths_are_400(request, api, world, who, method, path, body, value):
    client = api(request.getfixturevalue(who))
    before = db_state()
    response = getattr(client, method)("/api/chat/" + path.format(v=quote(value)), body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()
    assert db_state() == before


QUERY_CASES = [
    ("customer", "rooms/{room}", "before"),
    ("customer", "rooms/{room}", "after"),
    ("agent", "rooms", "assigned"),
]


@pytest.mark.parametrize("value", [v for v in ODD if v != "0"])
@pytest.mark.parametrize(("who", "path", "name"), QUERY_CASES, ids=[c[2] for c in QUERY_CASES])
def test_odd_digits_in_api_queries_are_400(request, api, world, who, path, name, value):
    client = api(request.getfixturevalue(who))
    response = client.get("/api/chat/" + path.format(room=world["room"].pk), {name: value})
    assert response.status_code == 400, response.content
    assert name in response.json()


BODY_CASES = [
    ("customer", "post", "rooms", {"subject": "s"}, "product_id"),
    ("agent", "post", "rooms", {"subject": "s"}, "user_id"),
    ("customer", "post", "rooms/{room}", {"message_type": "PRODUCT"}, "product_id"),
    ("agent", "patch", "rooms/{room}/manage", {}, "admin_id"),
]


# JSON, and the multipart form a browser's upload sends (PATCH manage is sent as JSON).
BODY_CASES = [(*case, "json") for case in BODY_CASES] + [
    (*case, "multipart") for case in BODY_CASES if case[1] == "post"
]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    ("who", "method", "path", "body", "name", "body_format"), BODY_CASES, ids=[f"{c[4]}-{c[5]}" for c in BODY_CASES]
)
def test_odd_digits_in_api_bodies_are_400(request, api, world, who, method, path, body, name, value, body_format):
    client = api(request.getfixturevalue(who))
    before = db_state()
    response = getattr(client, method)(
        "/api/chat/" + path.format(room=world["room"].pk), {**body, name: value}, format=body_format
    )
    assert response.status_code == 400, response.content
    assert name in response.json()
    assert db_state() == before


def test_real_ids_still_work(api, customer, agent, world):
    room, product = world["room"], world["product"]
    assert api(customer).get(f"/api/chat/rooms/{room.pk}", {"after": "0"}).status_code == 200
    assert api(customer).get(f"/api/chat/rooms/{room.pk:05d}").status_code == 200
    assert api(customer).get(f"/api/chat/products/{product.pk}").status_code == 200
    assert api(agent).get("/api/chat/rooms", {"assigned": str(agent.pk)}).status_code == 200
    assert api(customer).get(f"/api/chat/rooms/{MAX_ID}").status_code == 404


@pytest.fixture
def agent_browser(agent):
    client = Client()
    client.force_login(agent)
    return client


@pytest.mark.parametrize("value", ODD)
def test_admin_assignee_filter_ignores_odd_digits(agent_browser, world, value):
    response = agent_browser.get("/admin/oscar_chat/chatroom/", {"assignee": value})
    # Django admin's answer to a bad filter value: back to the list with ?e=1, not a 500.
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


@pytest.mark.parametrize("value", [v for v in ODD if v != "0"])
def test_admin_history_refuses_odd_digits(agent_browser, world, value):
    response = agent_browser.get(f"/admin/oscar_chat/chatroom/{world['room'].pk}/history.json", {"before": value})
    assert response.status_code == 400
    assert response.json()["before"]


def test_viewer_staff_history_still_pages(world):
    viewer = make_user("viewer", staff=True, perms=["view_chatroom"])
    client = Client()
    client.force_login(viewer)
    response = client.get(f"/admin/oscar_chat/chatroom/{world['room'].pk}/history.json", {"before": "9999"})
    assert response.status_code == 200 and response.json()["results"]


def test_the_schema_documents_path_ids_as_integers(api):
    schema = api().get("/api/chat/schema/", {"format": "json"}).json()
    path_ids = [
        parameter["schema"]
        for operations in schema["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"] != "code"  # vouchers/{code}: Oscar's voucher code
    ]
    assert len(path_ids) >= 9
    assert all(p == {"type": "integer", "minimum": 1, "maximum": MAX_ID} for p in path_ids)
