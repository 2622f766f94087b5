"""The stream consumer and its process hub in this process, on Channels' in-memory layer.

Here the test plays the channel layer's bad days by hand: notifications that come late,
twice, with the wrong data, or never. The stream must still carry each message once, in
seq order, with what the database holds.
"""

import asyncio
import gc

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from channels.testing import ApplicationCommunicator

from oscar_chat import events, services
from oscar_chat.sse import hub as hubs
from oscar_chat.sse.consumer import EventStreamConsumer

from .conftest import token
from .sse import Parser

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OSCAR_CHAT_SSE_CATCHUP_SECONDS = 0.3
    settings.OSCAR_CHAT_SSE_KEEPALIVE_SECONDS = 0.2
    yield channel_layers["default"]


class InProcessStream:
    def __init__(self, user, **query):
        qs = "&".join(f"{k}={v}" for k, v in query.items()).encode()
        self.scope = {
            "type": "http",
            "method": "GET",
            "path": "/api/chat/sse",
            "query_string": qs,
            "headers": [(b"authorization", f"Bearer {token(user)}".encode()), (b"host", b"testserver")],
            "client": ("127.0.0.1", 1),
            "server": ("testserver", 80),
        }
        self.app = ApplicationCommunicator(EventStreamConsumer.as_asgi(), self.scope)
        self.parser = Parser()
        self.events = []

    async def open(self):
        await self.app.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await self.app.receive_output(5)
        assert start["status"] == 200, start
        await self.read_until(lambda: self.parser.last_event_id is not None)
        return self

    async def read_until(self, done, timeout=5):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not done():
            message = await self.app.receive_output(max(deadline - loop.time(), 0.01))
            self.events.extend(self.parser.feed(message.get("body", b"")))

    async def close(self):
        await self.app.send_input({"type": "http.disconnect"})
        await self.app.wait(5)

    def messages(self):
        return [(int(e.id), e.json["message"]) for e in self.events if e.event == "message"]


def post_silently(monkeypatch, room, sender, texts):
    """Messages committed whose notifications the layer lost."""
    with monkeypatch.context() as patched:
        patched.setattr(events, "_send", lambda group, payload: None)
        return [services.post_message(room, sender, message=text)[0] for text in texts]


def test_messages_arrive_once_in_order_whatever_the_notifications_do(in_memory_layer, people, monkeypatch):
    customer, agent = people.customer(), people.agent()
    room = services.open_room(customer=customer, opened_by=customer, subject="Flaky layer")
    async_to_sync(_flaky_layer)(in_memory_layer, monkeypatch, customer, agent, room)


async def _flaky_layer(in_memory_layer, monkeypatch, customer, agent, room):
    stream = await InProcessStream(customer).open()
    hub = hubs._hubs[asyncio.get_running_loop()]

    stored = await sync_to_async(post_silently)(monkeypatch, room, agent, [f"m{n}" for n in range(1, 6)])
    seqs = [m.seq for m in stored]

    async def notify(seq, text):
        await in_memory_layer.group_send(
            events.MESSAGES_GROUP,
            {
                "type": "chat.message",
                "group": events.MESSAGES_GROUP,
                "event": "message",
                "seq": seq,
                "room": room.pk,
                "customer": customer.pk,
                "data": {"id": 0, "message": text},
            },
        )

    # Early (m3, then m5 twice: held for their turn), late (m1 comes after them), twice (m3
    # again), and m2 and m4 never: read from the database once the wait is over.
    disorder = [(2, "m3"), (4, "m5"), (0, "m1"), (2, "m3"), (4, "m5")]
    for index, text in disorder:
        await notify(seqs[index], text)
    await stream.read_until(lambda: len(stream.messages()) >= 5)
    assert stream.messages() == [(seq, f"m{n}") for n, seq in enumerate(seqs, 1)]

    # A message whose notification never comes is found by the periodic check.
    [silent] = await sync_to_async(post_silently)(monkeypatch, room, agent, ["m6"])
    await stream.read_until(lambda: len(stream.messages()) >= 6, timeout=3)
    assert stream.messages()[-1] == (silent.seq, "m6")
    # And the live path: a normal notification right after.
    live, _ = await sync_to_async(services.post_message)(room, agent, message="m7")
    await stream.read_until(lambda: len(stream.messages()) >= 7)
    assert [s for s, _ in stream.messages()] == [*seqs, silent.seq, live.seq]

    await stream.close()
    assert hub.streams == set() and hub.audiences == {} and hub.by_user == {} and not hub.running


def test_200_streams_in_and_out_leave_no_group_task_or_object(in_memory_layer, people):
    customer, agent = people.customer(), people.agent()
    room = services.open_room(customer=customer, opened_by=customer, subject="Churn")
    async_to_sync(_churn)(in_memory_layer, customer, agent, room)


async def _churn(in_memory_layer, customer, agent, room):
    warm = await InProcessStream(customer).open()
    await warm.close()
    gc.collect()
    tasks_before = len(asyncio.all_tasks())

    for n in range(200):
        user, query = (customer, {"room": room.pk}) if n % 2 else (agent, {})
        stream = await InProcessStream(user, **query).open()
        if n % 50 == 0:  # some are open at once, in every kind of group
            also = await InProcessStream(customer).open()
            await also.close()
        await stream.close()

    hub = hubs._hubs[asyncio.get_running_loop()]
    assert hub.streams == set() and hub.audiences == {} and hub.by_user == {} and not hub.running
    assert in_memory_layer.groups == {}  # no membership left in the layer
    del stream, also, warm
    gc.collect()
    assert len(asyncio.all_tasks()) <= tasks_before
    assert not [o for o in gc.get_objects() if isinstance(o, EventStreamConsumer)]


def test_on_a_server_other_than_daphne_the_stream_writes_through_send_and_holds_while_rechecked(
    in_memory_layer, people
):
    """Channels' test server is not daphne: its ``send`` may wait, so a writer task sends what
    the hub offers. Keep-alives come while idle; what is offered while the stream's access is
    re-checked waits, then arrives once, in order; the agent counts as online meanwhile."""
    customer, agent = people.customer(), people.agent()
    room = services.open_room(customer=customer, opened_by=customer, subject="Another server")
    async_to_sync(_through_send)(customer, agent, room)


async def _through_send(customer, agent, room):
    from oscar_chat import presence

    stream = await InProcessStream(customer).open()
    watching = await InProcessStream(agent).open()
    assert agent.pk in await sync_to_async(presence.online_agent_ids)()
    hub = hubs._hubs[asyncio.get_running_loop()]
    [consumer] = hub.by_user[customer.pk]
    assert not consumer.flow.direct and consumer.writer is not None

    await stream.read_until(lambda: stream.parser.comments >= 2)  # keep-alives, with nothing to say

    consumer.hold()  # as the hub does while it re-checks access
    sent = [(await sync_to_async(services.post_message)(room, agent, message=f"h{n}"))[0].seq for n in range(1, 4)]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while len(consumer.pending) < 3 and loop.time() < deadline:  # offered by the hub, and held
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # the writer would have sent them by now
    while not stream.app.output_queue.empty():
        stream.events.extend(stream.parser.feed(stream.app.output_queue.get_nowait().get("body", b"")))
    assert stream.messages() == []
    consumer.release()
    await stream.read_until(lambda: len(stream.messages()) >= 3)
    assert stream.messages() == [(seq, f"h{n}") for n, seq in enumerate(sent, 1)]

    await stream.close()
    await watching.close()
    assert hub.streams == set() and not hub.running


def test_a_room_state_announced_late_never_undoes_a_newer_one(in_memory_layer, people, monkeypatch, settings):
    """Two requests write one room at once (the agent opens the conversation, which reads it, and
    presses "e"): each announces the room after its commit, and the first may lose the CPU in
    between. The stream shows the newest state, whatever order the announcements come in."""
    settings.OSCAR_CHAT_SSE_CATCHUP_SECONDS = 30  # the notifications deliver here, not the database
    customer, agent = people.customer(), people.agent()
    room = services.open_room(customer=customer, opened_by=customer, subject="At once", message="Hello?")
    async_to_sync(_late_room_state)(in_memory_layer, monkeypatch, customer, agent, room)


async def _late_room_state(layer, monkeypatch, customer, agent, room):
    stream = await InProcessStream(agent).open()
    announced = []

    def write():
        with monkeypatch.context() as patched:
            patched.setattr(events, "_send", lambda group, payload: announced.append(payload))
            services.mark_read(room, agent)  # read, still open
            services.manage_room(room, status="RESOLVED", by=agent)
            services.post_message(room, customer, message="One more question")  # open again
            services.manage_room(room, priority="HIGH", by=agent)

    await sync_to_async(write)()
    read, resolved, message, urgent = [p for p in announced if p["event"] != "read"]
    for payload in (resolved, read, urgent, message):
        await layer.group_send(events.MESSAGES_GROUP, payload)
    await sync_to_async(services.set_typing)(room, customer, True)  # after them all, on the same channel
    await stream.read_until(lambda: any(e.event == "typing" for e in stream.events))

    assert [(e.json["status"], e.json["priority"]) for e in stream.events if e.event == "room"] == [
        ("RESOLVED", "NORMAL"),
        ("OPEN", "HIGH"),  # the message's own view of the room (open, normal) came later: older
    ]
    assert [text for _, text in stream.messages()] == ["One more question"]
    await stream.close()
