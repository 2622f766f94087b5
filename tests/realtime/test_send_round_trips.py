"""What a send asks the shared cache, in a process serving streams (a server process), on Channels'
in-memory layer: with Redis each cache operation is a network round trip taken before the send
is answered. An agent's steady send asks nothing: the token's user and the agent check come from
the process's memory (``oscar_chat.access_memo``), this minute's auto-resolve sweep is known to be
queued, and the customer's stream is open in this process. What another process changes still
reaches that memory, through the hub's access notices."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth import get_user_model
from django.core.cache.backends.base import BaseCache
from django.db import transaction

from oscar_chat import access_memo, events, services
from oscar_chat.sse import hub as hubs

from ..test_send_cost import _fast_send
from .test_hub import InProcessStream, in_memory_layer  # noqa: F401 - a fixture

pytestmark = pytest.mark.timeout(60)

CACHE_OPERATIONS = ("get", "get_many", "set", "set_many", "add", "delete", "delete_many", "touch", "incr", "has_key")


@pytest.fixture
def cache_calls(monkeypatch):
    """The cache operations made, by name: the real cache answers every one of them."""
    made = []
    for backend in {type(cache) for cache in _caches()}:
        for name in CACHE_OPERATIONS:
            real = getattr(backend, name, None) or getattr(BaseCache, name)

            def counted(self, *args, _real=real, _name=name, **kwargs):
                made.append((_name, args[0] if args else None))
                return _real(self, *args, **kwargs)

            monkeypatch.setattr(backend, name, counted)
    return made


def _caches():
    from django.core.cache import caches

    return [caches[alias] for alias in caches]


def test_an_agents_steady_send_asks_the_shared_cache_nothing(in_memory_layer, people, settings, cache_calls):  # noqa: F811
    settings.OSCAR_CHAT_AUTO_RESOLVE_AFTER = 3600
    settings.OSCAR_CHAT_REPLY_EMAIL_DELAY = 120
    customer, agent = people.customer(), people.agent()
    room = services.open_room(customer=customer, opened_by=customer, subject="Round trips")
    async_to_sync(_steady_send)(customer, agent, room, cache_calls)


async def _steady_send(customer, agent, room, cache_calls):
    stream = await InProcessStream(customer).open()
    try:
        await sync_to_async(_fast_send, thread_sensitive=False)(room, agent, "First reply", "c-1")
        cache_calls.clear()
        data, status = await sync_to_async(_fast_send, thread_sensitive=False)(room, agent, "Second reply", "c-2")
        assert status == 201
        assert cache_calls == []
        await stream.read_until(lambda: len(stream.messages()) >= 2)
        assert [text for _, text in stream.messages()] == ["First reply", "Second reply"]
    finally:
        await stream.close()


def test_a_change_another_process_announces_is_forgotten_by_the_hub(in_memory_layer, people):  # noqa: F811
    """As another process deactivating the agent: it changes the row and clears the shared cache
    (here: by hand, no signal in this process), and its notice reaches this process's hub, which
    forgets what this process remembered."""
    customer, agent = people.customer(), people.agent()
    async_to_sync(_announced)(customer, agent)


async def _announced(customer, agent):
    from django.core.cache import cache

    from oscar_chat import user_cache
    from oscar_chat.user_cache import CachedUsers

    def token_user():
        return CachedUsers(get_user_model()).objects.get(id=str(agent.pk))

    stream = await InProcessStream(customer).open()
    try:
        assert (await sync_to_async(token_user)()).is_active
        assert access_memo.recall("user", agent.pk) is not None

        def deactivate_elsewhere():
            with transaction.atomic():
                get_user_model().objects.filter(pk=agent.pk).update(is_active=False)
                cache.delete(user_cache._key(agent.pk))
                events.publish_access_changed([agent.pk])

        await sync_to_async(deactivate_elsewhere)()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while access_memo.recall("user", agent.pk) is not None:
            assert loop.time() < deadline, "the hub did not forget the user"
            await asyncio.sleep(0.01)
        assert (await sync_to_async(token_user)()).is_active is False
    finally:
        await stream.close()
    assert not hubs.has_local_stream(customer.pk)
