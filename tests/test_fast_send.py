"""``OSCAR_CHAT_FAST_SEND``: the same answers as the view, through the ASGI application a store
serves (``oscar_chat.asgi.wrap``), for sends it answers itself and for those it hands to Django."""

import asyncio
import concurrent.futures
import json

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.asgi import get_asgi_application
from rest_framework_simplejwt.tokens import AccessToken

from oscar_chat.asgi import wrap
from oscar_chat.models import ChatMessage

from .factories import open_room

pytestmark = pytest.mark.django_db(transaction=True)
VOLATILE = {"id", "created_at", "client_id", "message"}


async def _post(settings, fast, path, body, headers, host=b"testserver"):
    settings.OSCAR_CHAT_FAST_SEND = fast
    application = wrap(get_asgi_application())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", host), (b"content-length", str(len(body)).encode())] + headers,
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await communicator.receive_output(20)
    content = b""
    while True:
        message = await communicator.receive_output(20)
        content += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(5)
    return start["status"], {k.lower(): v for k, v in start["headers"]}, json.loads(content)


def _bearer(user):
    return [(b"authorization", f"Bearer {AccessToken.for_user(user)}".encode())]


JSON = [(b"content-type", b"application/json")]


def _both(settings, path, payloads, headers):
    """The answer of the view (fast send off), then of the fast path, to the same request."""
    first = _run_post(settings, False, path, json.dumps(payloads[0]).encode(), headers)
    second = _run_post(settings, True, path, json.dumps(payloads[1]).encode(), headers)
    return first, second


def test_a_text_message_gets_the_views_answer(settings, customer, agent):
    room = open_room(customer)
    (status_a, headers_a, body_a), (status_b, headers_b, body_b) = _both(
        settings,
        f"/api/chat/rooms/{room.pk}",
        [{"message": "From the view", "client_id": "v-1"}, {"message": "Fast", "client_id": "f-1"}],
        _bearer(agent) + JSON,
    )
    assert status_a == status_b == 201, (body_a, body_b)
    assert {k: v for k, v in body_a.items() if k not in VOLATILE} == {
        k: v for k, v in body_b.items() if k not in VOLATILE
    }
    assert body_b["message"] == "Fast" and body_b["client_id"] == "f-1"
    for header in (b"content-type", b"cache-control", b"x-content-type-options"):
        assert headers_a[header] == headers_b[header]
    assert list(room.messages.values_list("message", flat=True)) == ["From the view", "Fast"]


def test_the_same_client_id_returns_the_first_message(settings, customer, agent):
    room = open_room(customer)
    path, headers = f"/api/chat/rooms/{room.pk}", _bearer(agent) + JSON
    first = _run_post(settings, True, path, b'{"message": "Once", "client_id": "same"}', headers)
    again = _run_post(settings, True, path, b'{"message": "Once", "client_id": "same"}', headers)
    assert (first[0], again[0]) == (201, 200) and first[2]["id"] == again[2]["id"]
    assert ChatMessage.objects.filter(room=room).count() == 1


@pytest.mark.parametrize(
    "case",
    [
        "bad host",
        "bad token",
        "no such room",
        "too long",
        "empty",
        "not json",
        "other customer",
        "product",
        "rate limited",
    ],
)
def test_a_refused_send_gets_the_views_error(settings, case, customer, other_customer, agent):
    room = open_room(customer)
    path, sender, payload, body = f"/api/chat/rooms/{room.pk}", agent, {"message": "Hi"}, None
    headers, host = None, b"testserver"
    if case == "bad host":
        settings.ALLOWED_HOSTS = ["testserver"]
        host = b"evil.example"
    elif case == "bad token":
        headers = [(b"authorization", b"Bearer not.a.token")] + JSON
    elif case == "no such room":
        path = "/api/chat/rooms/987654"
    elif case == "too long":
        payload = {"message": "x" * 5001}
    elif case == "empty":
        payload = {"message": "   "}
    elif case == "not json":
        body = b"{not json"
    elif case == "other customer":
        sender = other_customer
    elif case == "product":
        payload = {"message_type": "PRODUCT", "product_id": 987654}
    elif case == "rate limited":
        settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = 0
        sender = customer
    headers = headers or _bearer(sender) + JSON
    body = body or json.dumps(payload).encode()
    view = _run_post(settings, False, path, body, headers, host)
    fast = _run_post(settings, True, path, body, headers, host)
    assert view[0] >= 400
    assert fast[:1] + (fast[2],) == view[:1] + (view[2],)
    assert ChatMessage.objects.filter(room=room).count() == 0


def _run_post(*args):
    """``_post`` on an event loop of its own, in a thread of its own (the browser tests leave
    Playwright's loop running in the main thread)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _post(*args)).result()


def test_a_throttled_api_is_left_to_drf(settings, monkeypatch, customer, agent):
    from rest_framework.throttling import BaseThrottle

    from oscar_chat.api.views import RoomDetailView

    class RefuseAll(BaseThrottle):
        def allow_request(self, request, view):
            return False

        def wait(self):
            return 30

    monkeypatch.setattr(RoomDetailView, "throttle_classes", [RefuseAll])
    room = open_room(customer)
    status, headers, body = _run_post(
        settings, True, f"/api/chat/rooms/{room.pk}", b'{"message": "Hi"}', _bearer(agent) + JSON
    )
    assert status == 429 and headers[b"retry-after"] == b"30"
    assert ChatMessage.objects.filter(room=room).count() == 0


ODD_PAYLOADS = [
    {"message": 5},
    {"message": "Hi", "client_id": " padded "},
    {"message": "Hi", "client_id": None},
    {"message": "Hi", "client_id": ""},
    {"message": "Hi", "client_id": "x" * 65},
    {"message": "a\x00b"},
    {"message": "Hi", "client_id": 7},
    {"message": ["Hi"]},
    {"message": None},
    {},
]


@pytest.mark.parametrize("payload", ODD_PAYLOADS, ids=range(len(ODD_PAYLOADS)))
def test_odd_input_gets_the_views_answer(settings, payload, customer, other_customer, agent):
    rooms = open_room(customer), open_room(other_customer)
    headers, body = _bearer(agent) + JSON, json.dumps(payload).encode()
    view = _run_post(settings, False, f"/api/chat/rooms/{rooms[0].pk}", body, headers)
    fast = _run_post(settings, True, f"/api/chat/rooms/{rooms[1].pk}", body, headers)
    volatile = {"id", "created_at", "room"}
    assert fast[0] == view[0]
    assert {k: v for k, v in fast[2].items() if k not in volatile} == {
        k: v for k, v in view[2].items() if k not in volatile
    }


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("payload", [*ODD_PAYLOADS, {"message": "Hi", "client_id": "c-1"}, {"message": "😀 ok"}])
def test_what_the_fast_path_takes_the_serializer_takes_unchanged(payload):
    from oscar_chat.api.fast_send import plainly_valid
    from oscar_chat.api.serializers import MessageCreateSerializer

    taken = plainly_valid(payload)
    if taken is None:
        return  # the view answers it
    serializer = MessageCreateSerializer(data=payload)
    assert serializer.is_valid(), serializer.errors
    assert (serializer.validated_data.get("message", ""), serializer.validated_data.get("client_id")) == taken
