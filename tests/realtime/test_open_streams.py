"""The stream tells the chat's operations who has it open (reply emails, agent notices), across processes."""

import time

import pytest

from oscar_chat.operations import presence

from .conftest import token
from .sse import Stream

pytestmark = [pytest.mark.live, pytest.mark.redis]


def until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_an_open_stream_counts_until_it_closes(needs_redis, live):
    customer, agent = live.customer(), live.agent()
    assert not presence.has_open_stream(customer.pk)

    customer_stream = Stream(live.url, token=token(customer))
    agent_stream = Stream(live.url, token=token(agent))
    assert until(lambda: presence.has_open_stream(customer.pk))
    assert until(lambda: presence.agents_online() >= 1)  # GET presence's count (it lapses after a TTL)

    customer_stream.close()
    agent_stream.close()
    assert until(lambda: not presence.has_open_stream(customer.pk))
