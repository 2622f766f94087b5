"""A server process keeps its users and agent checks in its own memory while its event hub hears
every change of access (``oscar_chat.access_memo``): a request of a known user then asks neither
the shared cache nor the database, and a change of access is never answered from memory."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oscar_chat import access_memo, roles
from oscar_chat.user_cache import CachedUsers


@pytest.fixture
def listening():
    """As while a hub of this process listens to ``oscar_chat.access`` (the realtime tests open real ones)."""
    access_memo.listening(True)
    yield
    access_memo.listening(False)


def token_user(user):
    """The user of a token naming ``user``, as simplejwt's ``get_user`` reads it (the id as a string)."""
    return CachedUsers(get_user_model()).objects.get(id=str(user.pk))


def test_a_known_user_and_agent_check_cost_no_cache_read_and_no_query(db, agent, listening):
    first = token_user(agent)
    assert roles.is_agent(first)
    cache.clear()  # not from the shared cache...
    with CaptureQueriesContext(connection) as counted:  # ...nor from the database
        again = token_user(agent)
        assert roles.is_agent(again)
    assert counted.captured_queries == []
    assert again.pk == agent.pk and again.username == "agent"


def test_each_request_gets_a_user_of_its_own(db, agent, listening):
    first = token_user(agent)
    first.first_name = "Changed by one request"
    first._oscar_chat_holds_permission = False
    again = token_user(agent)
    assert again is not first and again.first_name == "Budi"
    assert roles.is_agent(again)


def test_without_a_listening_hub_every_request_asks_the_cache(db, agent):
    token_user(agent)
    roles.is_agent(token_user(agent))
    cache.clear()
    with CaptureQueriesContext(connection) as counted:
        assert roles.is_agent(token_user(agent))
    assert len(counted.captured_queries) >= 2  # the user, then their permissions


def test_a_deactivated_user_is_read_afresh_at_once(db, customer, listening):
    assert token_user(customer).is_active
    customer.is_active = False
    customer.save()
    assert token_user(customer).is_active is False


def test_a_removed_permission_ends_the_agent_check_at_once(db, agent, listening):
    assert roles.is_agent(token_user(agent))
    agent.user_permissions.remove(Permission.objects.get(codename="change_chatroom"))
    assert not roles.is_agent(token_user(agent))


def test_a_read_that_raced_a_change_is_not_kept(db, agent, listening):
    """A request that read the user before another forgot them must not put the old row back."""
    read_at = access_memo.generation()
    access_memo.forget_users([agent.pk])  # a change committed meanwhile
    access_memo.remember("user", agent.pk, agent, read_at)
    assert access_memo.recall("user", agent.pk) is None


def test_entries_live_at_most_access_memo_seconds(db, agent, listening, monkeypatch):
    """For a notice pub/sub dropped, or a change written without a signal (raw SQL)."""
    import time

    token_user(agent)
    assert access_memo.recall("user", agent.pk) is not None
    later = time.monotonic() + access_memo.lifetime() + 0.1
    monkeypatch.setattr(access_memo.time, "monotonic", lambda: later)
    assert access_memo.recall("user", agent.pk) is None


def test_zero_seconds_remembers_nothing(db, agent, listening, settings):
    settings.OSCAR_CHAT_ACCESS_MEMO_SECONDS = 0
    token_user(agent)
    roles.is_agent(token_user(agent))
    assert access_memo.recall("user", agent.pk) is None and access_memo.recall("agent", agent.pk) is None


def test_the_last_hub_to_stop_listening_takes_the_memo_with_it(db, agent, listening):
    token_user(agent)
    access_memo.listening(True)  # a second event loop's hub
    access_memo.listening(False)
    assert access_memo.recall("user", agent.pk) is not None
    access_memo.listening(False)
    access_memo.listening(True)  # listening again: what was known before is not trusted
    assert access_memo.recall("user", agent.pk) is None


# Tokens ---------------------------------------------------------------------------------


def _validate(raw: str):
    from oscar_chat.api.auth import ChatJWTAuthentication

    return ChatJWTAuthentication().get_validated_token(raw.encode())


@pytest.fixture
def signature_checks(monkeypatch):
    """How many times simplejwt checked a token (the real check runs every time it is asked)."""
    from rest_framework_simplejwt.authentication import JWTAuthentication

    checked = []
    real = JWTAuthentication.get_validated_token

    def counted(self, raw_token):
        checked.append(raw_token)
        return real(self, raw_token)

    monkeypatch.setattr(JWTAuthentication, "get_validated_token", counted)
    return checked


@pytest.fixture
def fresh_tokens():
    from oscar_chat.api import auth

    auth._validated.clear()
    yield
    auth._validated.clear()


def test_a_token_is_checked_once_then_remembered(db, agent, signature_checks, fresh_tokens):
    from rest_framework_simplejwt.tokens import AccessToken

    raw = str(AccessToken.for_user(agent))
    assert _validate(raw)["user_id"] == str(agent.pk)
    assert _validate(raw)["user_id"] == str(agent.pk)
    assert len(signature_checks) == 1


def test_a_remembered_token_is_refused_once_it_expires(db, agent, fresh_tokens):
    import time
    from datetime import timedelta

    from rest_framework_simplejwt.exceptions import InvalidToken
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(agent)
    token.set_exp(lifetime=timedelta(seconds=1))
    raw = str(token)
    _validate(raw)
    time.sleep(1.1)
    with pytest.raises(InvalidToken):
        _validate(raw)


def test_a_stores_own_token_classes_are_asked_every_time(db, agent, settings, signature_checks, fresh_tokens):
    """A store's token class may check a blacklist: its answer can change before the token expires."""
    from rest_framework_simplejwt.tokens import AccessToken

    settings.SIMPLE_JWT = {
        **getattr(settings, "SIMPLE_JWT", {}),
        "AUTH_TOKEN_CLASSES": ("tests.test_access_memo.StoreToken",),
    }
    raw = str(AccessToken.for_user(agent))
    _validate(raw)
    _validate(raw)
    assert len(signature_checks) == 2


def _store_token_class():
    from rest_framework_simplejwt.tokens import AccessToken

    class StoreToken(AccessToken):
        pass

    return StoreToken


StoreToken = _store_token_class()
