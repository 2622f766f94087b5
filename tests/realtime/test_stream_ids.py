"""The stream reads ids with the API's one parser, and answers with nosniff (API.md 1.1)."""

import httpx
import pytest

from .conftest import token
from .sse import Stream

ODD = ["²", "٣", "１２", "-1", "1e3", "1_000", "0x1F", "9223372036854775808", "9" * 25]


@pytest.mark.parametrize("value", ODD)
def test_odd_digits_in_stream_parameters_are_400_json(live, value):
    customer = live.customer()
    room = live.room(customer)
    headers = {"Authorization": f"Bearer {token(customer)}"}
    cases = [
        ({"room": value}, {}),
        ({"last_event_id": value}, {}),
        ({"room": room.pk}, {"Last-Event-ID": value.encode()}),
    ]
    for params, extra in cases:
        response = httpx.get(f"{live.url}/api/chat/sse", params=params, headers={**headers, **extra}, timeout=10)
        assert response.status_code == 400, (params, extra, response.text)
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.json()["detail"]


def test_the_stream_says_nosniff(live):
    customer = live.customer()
    with Stream(live.url, token=token(customer)) as stream:
        assert stream.status == 200
        assert stream.response_headers["x-content-type-options"] == "nosniff"
