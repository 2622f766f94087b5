"""Bad input of every kind on every endpoint: a 4xx JSON answer, never a 500, and nothing changed."""

import pytest

from .factories import db_state, make_product, open_room, say

ROOMS = "/api/chat/rooms"
ROOM = "/api/chat/rooms/{room}"
MANAGE = "/api/chat/rooms/{room}/manage"
READ = "/api/chat/rooms/{room}/read"
TYPING = "/api/chat/rooms/{room}/typing"

HUGE = 99999999999999999999
BAD_IDS = [None, "", "abc", "1.5", 1.5, 0, -1, HUGE, -HUGE, 2**63, True, [1], {"id": 1}, 987654, "１２"]
BAD_TEXT = [None, ["text"], {"text": 1}, True, "nul\x00byte", "x" * 5001]
BAD_ENUM = [None, "", "unknown", 1, ["OPEN"], {"v": 1}, "open\x00"]

# (who, method, path, JSON body) — each body is invalid for that endpoint.
BODY_CASES = (
    [("customer", "post", ROOMS, {"subject": v}) for v in [None, "", "  ", "x" * 201, ["a"], {"a": 1}, True, "a\x00"]]
    + [("customer", "post", ROOMS, {"subject": "ok", "message": v}) for v in BAD_TEXT + ["   "]]
    + [("customer", "post", ROOMS, {"subject": "ok", "product_id": v}) for v in BAD_IDS + ["HIDDEN"]]
    + [
        ("customer", "post", ROOMS, {"subject": "ok", "priority": "HIGH"}),
        ("customer", "post", ROOMS, {"subject": "ok", "user_id": "OTHER"}),
    ]
    + [("agent", "post", ROOMS, {"subject": "ok", "priority": v}) for v in BAD_ENUM]
    + [("agent", "post", ROOMS, {"subject": "ok", "user_id": v}) for v in BAD_IDS + ["INACTIVE"]]
    + [("customer", "post", ROOM, {"message": v}) for v in BAD_TEXT + ["", "   "]]
    + [("agent", "post", ROOM, {"message": "ok", "message_type": v}) for v in BAD_ENUM]
    + [("customer", "post", ROOM, {"message_type": "PRODUCT", "product_id": v}) for v in BAD_IDS + ["HIDDEN"]]
    + [("customer", "post", ROOM, {"message_type": t}) for t in ["IMAGE", "FILE", "PRODUCT"]]
    + [
        ("customer", "post", ROOM, {"message": "ok", "client_id": v})
        for v in [None, "", "x" * 65, ["a"], {"a": 1}, "nul\x00"]
    ]
    + [("agent", "patch", MANAGE, {"status": v}) for v in BAD_ENUM]
    + [("agent", "patch", MANAGE, {"priority": v}) for v in BAD_ENUM]
    + [("agent", "patch", MANAGE, {"admin_id": v}) for v in BAD_IDS[1:] + ["CUSTOMER", "STAFF", "INACTIVE"]]
    + [("customer", "patch", MANAGE, {"status": "CLOSED"})]
    + [("customer", "post", TYPING, {"is_typing": v}) for v in [None, "perhaps", [], {}, 2, "\x00"]]
    + [("customer", "post", TYPING, {})]
)

# Bodies that are not a JSON object at all, for every endpoint that takes one.
NOT_OBJECTS = ["[]", "[1, 2]", '"text"', "123", "null", "true"]
UNPARSABLE = [
    "{",
    '{"subject": ',
    "{subject: 1}",
    "{'subject': 'x'}",
    '{"a": NaN}',
    '{"a": Infinity}',
    "[" * 50000 + "]" * 50000,
    '{"a":' * 50000 + "1" + "}" * 50000,
    b"\xff\xfe\x00",
]
RAW_CASES = (
    [
        (who, method, path, body, "application/json")
        for who, method, path in [
            ("customer", "post", ROOMS),
            ("customer", "post", ROOM),
            ("agent", "patch", MANAGE),
            ("customer", "post", TYPING),
        ]
        for body in NOT_OBJECTS + UNPARSABLE
    ]
    + [("customer", "post", READ, body, "application/json") for body in UNPARSABLE]
    + [
        (who, method, path, "hello", ctype)
        for who, method, path in [
            ("customer", "post", ROOMS),
            ("customer", "post", ROOM),
            ("agent", "patch", MANAGE),
            ("customer", "post", TYPING),
            ("customer", "post", READ),
        ]
        for ctype in ["text/plain", "application/xml"]
    ]
    + [
        ("customer", "post", ROOM, "garbage", "multipart/form-data"),
        ("customer", "post", ROOM, "--zz\r\ngarbage", "multipart/form-data; boundary=zz"),
        ("customer", "post", ROOMS, "subject=%00", "application/x-www-form-urlencoded"),
        # No subject and nothing to derive one from (API 1.1): a stray undecodable byte is no message.
        ("customer", "post", ROOMS, "subject=&message=%20&priority=%ff", "application/x-www-form-urlencoded"),
    ]
)

QUERY_CASES = (
    [("agent", ROOMS, {"status": v}) for v in ["BOGUS", "OPEN,BOGUS", "\x00", "OPEN\x00"]]
    + [("agent", ROOMS, {"priority": v}) for v in ["BOGUS", "HIGH;LOW", "\x00"]]
    + [("agent", ROOMS, {"unread": v}) for v in ["maybe", "2", "\x00"]]
    + [("agent", ROOMS, {"assigned": v}) for v in ["someone", "-1", "0", "1.5", "²", "١٢", str(HUGE), "\x00"]]
    + [("customer", ROOMS, {"assigned": "me"})]
    + [("agent", ROOMS, {"q": v}) for v in ["\x00", "x" * 201]]
    + [("agent", ROOMS, {"cursor": v}) for v in ["zzz", "cD0yMDI0"]]
    + [("customer", ROOM, {"before": v}) for v in ["0", "-1", "abc", "1.5", str(HUGE), "\x00"]]
    + [("customer", ROOM, {"after": v}) for v in ["-1", "abc", str(HUGE), "\x00"]]
    + [("customer", ROOM, {"before": "5", "after": "2"})]
)

BAD_ROOM_IDS = ["0", "-1", str(HUGE), str(2**63), "1e3", "%00", "１", "abc", "1.0"]
PATH_CASES = [
    (method, template.replace("{room}", bad_id))
    for bad_id in BAD_ROOM_IDS
    for method, template in [("get", ROOM), ("post", ROOM), ("patch", MANAGE), ("post", READ), ("post", TYPING)]
]


@pytest.fixture
def world(customer, other_customer, agent, staff_no_perm):
    from .conftest import make_user

    room = open_room(customer, "Everything at once", message="Hello")
    say(room, agent, "Hi there")
    return {
        "room": room,
        "users": {"customer": customer, "agent": agent},
        "values": {
            "OTHER": other_customer.pk,
            "CUSTOMER": customer.pk,
            "STAFF": staff_no_perm.pk,
            "INACTIVE": make_user("retired", staff=True, perms=["change_chatroom"], active=False).pk,
            "HIDDEN": make_product("Hidden", public=False).pk,
        },
    }


def assert_refused(response, before):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert response.json()
    assert db_state() == before, "a refused request changed the database"


@pytest.mark.parametrize(("who", "method", "path", "body"), BODY_CASES, ids=[str(i) for i in range(len(BODY_CASES))])
def test_bad_json_fields_are_refused(api, world, who, method, path, body):
    body = {k: world["values"].get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = db_state()
    response = getattr(api(world["users"][who]), method)(path.format(room=world["room"].pk), body, format="json")
    assert_refused(response, before)
    if response.status_code == 400:
        # The error names the field at fault (or the field the body lacks).
        assert set(response.json()) <= set(body) | {"non_field_errors", "file", "product_id", "is_typing"}


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "content_type"), RAW_CASES, ids=[str(i) for i in range(len(RAW_CASES))]
)
def test_bad_bodies_are_refused(api, world, who, method, path, body, content_type):
    before = db_state()
    client = api(world["users"][who])
    response = getattr(client, method)(path.format(room=world["room"].pk), body, content_type=content_type)
    assert_refused(response, before)


@pytest.mark.parametrize(("who", "path", "query"), QUERY_CASES, ids=[str(i) for i in range(len(QUERY_CASES))])
def test_bad_query_parameters_are_refused(api, world, who, path, query):
    before = db_state()
    response = api(world["users"][who]).get(path.format(room=world["room"].pk), query)
    assert_refused(response, before)


@pytest.mark.parametrize("who", ["customer", "agent"])
@pytest.mark.parametrize(("method", "path"), PATH_CASES)
def test_bad_room_ids_in_the_path_are_400(api, world, who, method, path):
    # API.md 1.1: ids are ASCII digits (1 to 2**63-1); anything else is a 400.
    before = db_state()
    response = getattr(api(world["users"][who]), method)(path, {"message": "x", "is_typing": True}, format="json")
    assert response.status_code == 400
    assert_refused(response, before)
