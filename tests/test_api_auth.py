"""Who may call what: the role matrix of every endpoint, JWT and session auth, CSRF, paths."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from oscar_chat.models import ChatRoom

from .conftest import PASSWORD, jwt_client, make_user
from .factories import db_state, open_room, say

# name: (method, path, JSON body)
ENDPOINTS = {
    "rooms_list": ("get", "/api/chat/rooms", None),
    "rooms_create": ("post", "/api/chat/rooms", {"subject": "A new question"}),
    "history": ("get", "/api/chat/rooms/{room}", None),
    "send": ("post", "/api/chat/rooms/{room}", {"message": "Hello there"}),
    "manage": ("patch", "/api/chat/rooms/{room}/manage", {"status": "RESOLVED"}),
    "read": ("post", "/api/chat/rooms/{room}/read", {}),
    "typing": ("post", "/api/chat/rooms/{room}/typing", {"is_typing": True}),
    "unread": ("get", "/api/chat/unread", None),
}

OWNER = {
    "rooms_list": 200,
    "rooms_create": 201,
    "history": 200,
    "send": 201,
    "manage": 403,
    "read": 200,
    "typing": 204,
    "unread": 200,
}
STRANGER = {**OWNER, "history": 404, "send": 404, "manage": 404, "read": 404, "typing": 404}
AGENT = {**OWNER, "manage": 200}
NOBODY = dict.fromkeys(ENDPOINTS, 401)

# role: expected status per endpoint, on a room of the "customer" fixture.
MATRIX = {
    "customer": OWNER,
    "other_customer": STRANGER,
    "staff_no_perm": STRANGER,  # staff without the chat permission is a customer
    "perm_not_staff": STRANGER,  # the permission without is_staff is not enough
    "agent": AGENT,
    "group_agent": AGENT,  # the permission through a group
    "superuser": AGENT,
    "anonymous": NOBODY,
    "inactive_customer": NOBODY,
    "inactive_agent": NOBODY,
    "expired_token": NOBODY,
    "garbage_token": NOBODY,
    "refresh_token_as_access": NOBODY,
    "deleted_user_token": NOBODY,
}


@pytest.fixture
def room(customer, agent):
    room = open_room(customer, "Size of the batik shirt", message="Do you have it in XL?")
    say(room, agent, "Let me check for you.")
    return room


def _expired_token(user):
    token = AccessToken.for_user(user)
    token.set_exp(from_time=token.current_time - timedelta(hours=2), lifetime=timedelta(minutes=5))
    return str(token)


def _bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def client_for(request, customer):
    def make(role):
        if role == "anonymous":
            return APIClient()
        if role == "perm_not_staff":
            return jwt_client(make_user("permonly", perms=["change_chatroom"]))
        if role == "group_agent":
            group = Group.objects.create(name="Chat agents")
            group.permissions.add(
                Permission.objects.get(codename="change_chatroom", content_type__app_label="oscar_chat")
            )
            user = make_user("groupie", staff=True)
            user.groups.add(group)
            return jwt_client(user)
        if role == "inactive_customer":
            return jwt_client(make_user("sleeper", active=False))
        if role == "inactive_agent":
            return jwt_client(make_user("retired", staff=True, perms=["change_chatroom"], active=False))
        if role == "expired_token":
            return _bearer(_expired_token(customer))
        if role == "garbage_token":
            return _bearer("not.a.token")
        if role == "refresh_token_as_access":
            return _bearer(str(RefreshToken.for_user(customer)))
        if role == "deleted_user_token":
            user = make_user("gone")
            token = AccessToken.for_user(user)
            user.delete()
            return _bearer(str(token))
        return jwt_client(request.getfixturevalue(role))

    return make


def call(client, endpoint, room, slash=""):
    method, path, body = ENDPOINTS[endpoint]
    path = path.format(room=room.pk if room else 0) + slash
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body, format="json")


@pytest.mark.parametrize("role", MATRIX)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_role_matrix(client_for, role, endpoint, room):
    client = client_for(role)
    before = db_state()
    response = call(client, endpoint, room)
    expected = MATRIX[role][endpoint]
    assert response.status_code == expected, response.content
    if expected == 204:
        assert response.content == b""
    else:
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
    if expected >= 400:
        assert set(body) == {"detail"} or "code" in body
        assert db_state() == before, "a refused request changed the database"
    if expected == 401:
        assert "Bearer" in response["WWW-Authenticate"]


def test_another_customers_room_is_indistinguishable_from_a_missing_one(api, room, other_customer):
    client = api(other_customer)
    theirs = client.get(f"/api/chat/rooms/{room.pk}")
    missing = client.get("/api/chat/rooms/987654")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert room.pk not in [r["id"] for r in client.get("/api/chat/rooms").json()["results"]]


def test_staff_without_the_permission_is_treated_as_a_customer(api, room, staff_no_perm):
    client = api(staff_no_perm)
    own = client.post("/api/chat/rooms", {"subject": "Staff shopping too"}, format="json").json()
    assert own["user"] == {"id": staff_no_perm.pk, "name": "staffer@example.com", "is_agent": False}
    assert [r["id"] for r in client.get("/api/chat/rooms").json()["results"]] == [own["id"]]
    assert client.patch(f"/api/chat/rooms/{own['id']}/manage", {"status": "CLOSED"}, format="json").status_code == 403


def test_superuser_is_an_agent(api, room, superuser):
    response = api(superuser).post(f"/api/chat/rooms/{room.pk}", {"message": "Root here"}, format="json")
    assert response.status_code == 201
    assert response.json()["sender"]["is_agent"] is True


@pytest.mark.parametrize("param", ["token", "access_token", "jwt", "access", "auth", "ticket"])
def test_tokens_in_the_query_string_are_never_accepted(customer, room, param):
    token = str(AccessToken.for_user(customer))
    for path in ("/api/chat/rooms", f"/api/chat/rooms/{room.pk}", "/api/chat/unread"):
        response = APIClient().get(path, {param: token})
        assert response.status_code == 401, (path, param)


def test_a_jwt_from_the_token_endpoint_opens_the_api(customer, room):
    tokens = APIClient().post("/api/auth/token/", {"username": "customer", "password": PASSWORD}, format="json")
    assert tokens.status_code == 200
    client = _bearer(tokens.json()["access"])
    assert client.get("/api/chat/rooms").json()["count"] == 1
    refreshed = APIClient().post("/api/auth/token/refresh/", {"refresh": tokens.json()["refresh"]}, format="json")
    assert _bearer(refreshed.json()["access"]).get("/api/chat/unread").status_code == 200


def test_a_user_deactivated_after_getting_a_token_is_refused(api, customer, room):
    client = api(customer)
    assert client.get("/api/chat/rooms").status_code == 200
    customer.is_active = False
    customer.save()
    assert client.get("/api/chat/rooms").status_code == 401


# Session auth: the store's own pages call the API with the session cookie and the CSRF token.


def _csrf_pair():
    """A CSRF cookie value and a matching token for the X-CSRFToken header."""
    request = HttpRequest()
    token = get_token(request)
    return request.META["CSRF_COOKIE"], token


@pytest.fixture
def session(customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    return client


UNSAFE = ["rooms_create", "send", "read", "typing"]


@pytest.mark.parametrize("endpoint", UNSAFE + ["manage"])
def test_session_writes_without_the_csrf_token_are_refused(endpoint, session, room):
    before = db_state()
    method, path, body = ENDPOINTS[endpoint]
    response = getattr(session, method)(path.format(room=room.pk), body, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert db_state() == before


@pytest.mark.parametrize("endpoint", UNSAFE)
def test_session_writes_with_the_csrf_token_succeed(endpoint, session, room):
    cookie, token = _csrf_pair()
    session.cookies["csrftoken"] = cookie
    method, path, body = ENDPOINTS[endpoint]
    response = getattr(session, method)(
        path.format(room=room.pk), body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == OWNER[endpoint], response.content


def test_session_reads_need_no_csrf_token(session, room):
    assert session.get("/api/chat/rooms").json()["count"] == 1
    assert session.get(f"/api/chat/rooms/{room.pk}").status_code == 200
    assert session.get("/api/chat/unread").json() == {"total": 1, "rooms": 1}


def test_an_agent_manages_rooms_with_the_session_and_csrf_token(agent, room):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    cookie, token = _csrf_pair()
    client.cookies["csrftoken"] = cookie
    response = client.patch(
        f"/api/chat/rooms/{room.pk}/manage",
        {"status": "CLOSED"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert ChatRoom.objects.get(pk=room.pk).status == "CLOSED"


def test_a_bearer_token_needs_no_csrf_token_even_next_to_a_session(customer, room):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(customer)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(customer)}")
    assert client.post(f"/api/chat/rooms/{room.pk}", {"message": "Via JWT"}, format="json").status_code == 201


def test_an_inactive_users_session_is_anonymous(room):
    sleeper = make_user("sleeper", active=False)
    client = Client()
    client.force_login(sleeper)
    assert client.get("/api/chat/rooms").status_code == 401


def test_a_logged_out_session_is_anonymous(session, room):
    session.logout()
    response = session.get("/api/chat/rooms")
    assert response.status_code == 401
    assert "detail" in response.json()


# Paths: with and without the trailing slash, for every method.


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_path_works_with_and_without_trailing_slash(api, agent, room, endpoint, slash):
    response = call(api(agent), endpoint, room, slash)
    assert response.status_code == AGENT[endpoint], response.content


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_gets_401_with_and_without_trailing_slash(room, endpoint, slash):
    assert call(APIClient(), endpoint, room, slash).status_code == 401


NOT_ALLOWED = [
    ("put", "/api/chat/rooms"),
    ("patch", "/api/chat/rooms"),
    ("delete", "/api/chat/rooms"),
    ("put", "/api/chat/rooms/{room}"),
    ("patch", "/api/chat/rooms/{room}"),
    ("delete", "/api/chat/rooms/{room}"),
    ("get", "/api/chat/rooms/{room}/manage"),
    ("post", "/api/chat/rooms/{room}/manage"),
    ("put", "/api/chat/rooms/{room}/manage"),
    ("delete", "/api/chat/rooms/{room}/manage"),
    ("get", "/api/chat/rooms/{room}/read"),
    ("delete", "/api/chat/rooms/{room}/read"),
    ("get", "/api/chat/rooms/{room}/typing"),
    ("put", "/api/chat/rooms/{room}/typing"),
    ("post", "/api/chat/unread"),
    ("delete", "/api/chat/unread"),
]


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize(("method", "path"), NOT_ALLOWED)
def test_other_methods_answer_405_json_and_change_nothing(api, agent, room, method, path, slash):
    before = db_state()
    response = getattr(api(agent), method)(path.format(room=room.pk) + slash, {"status": "CLOSED"}, format="json")
    assert response.status_code == 405
    assert "detail" in response.json()
    assert db_state() == before


@pytest.mark.parametrize("path", ["/api/chat/", "/api/chat/nothing", "/api/chat/rooms/1/nothing"])
def test_unknown_paths_under_the_api_answer_404_json(api, customer, path):
    response = api(customer).get(path)
    assert response.status_code == 404
    assert "detail" in response.json()


def test_logging_out_with_the_sandbox_blacklists_the_refresh_token(customer):
    """The sandbox turns on simplejwt's rotation and blacklist: a refresh token used or logged
    out with no longer gives access tokens."""
    client = APIClient()
    pair = client.post("/api/auth/token/", {"username": customer.username, "password": PASSWORD}).json()
    rotated = client.post("/api/auth/token/refresh/", {"refresh": pair["refresh"]})
    assert rotated.status_code == 200 and rotated.json()["refresh"] != pair["refresh"]
    assert client.post("/api/auth/token/refresh/", {"refresh": pair["refresh"]}).status_code == 401
    assert client.post("/api/auth/token/blacklist/", {"refresh": rotated.json()["refresh"]}).status_code == 200
    assert client.post("/api/auth/token/refresh/", {"refresh": rotated.json()["refresh"]}).status_code == 401
