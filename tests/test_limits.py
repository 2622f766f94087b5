"""Opening rooms is limited per customer; bodies over the API's limits are a JSON 413; errors are JSON."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from oscar_chat.models import ChatRoom

from .factories import db_state, open_room


def open_via_api(client, subject="Question", **extra):
    return client.post("/api/chat/rooms", {"subject": subject, **extra}, format="json")


# Opening rooms


def test_a_customer_opens_ten_rooms_an_hour_then_gets_429_with_retry_after(api, customer, other_customer):
    client = api(customer)
    for n in range(10):
        assert open_via_api(client, f"Question {n}").status_code == 201
    before = db_state()
    refused = open_via_api(client, "One more", message="Hello?")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert "conversations" in refused.json()["detail"]
    assert 3500 <= int(refused["Retry-After"]) <= 3601
    assert db_state() == before
    # Per customer: another one still opens theirs.
    assert open_via_api(api(other_customer), "Mine").status_code == 201


def test_rooms_older_than_the_window_do_not_count_and_retry_after_follows_the_oldest(api, customer):
    now = timezone.now()
    ChatRoom.objects.bulk_create(
        ChatRoom(user=customer, subject=f"Old {n}", created_at=now - timedelta(hours=2)) for n in range(20)
    )
    ChatRoom.objects.bulk_create(
        ChatRoom(user=customer, subject=f"Recent {n}", created_at=now - timedelta(minutes=50)) for n in range(9)
    )
    client = api(customer)
    assert open_via_api(client, "Tenth").status_code == 201
    refused = open_via_api(client, "Eleventh")
    assert refused.status_code == 429
    # The oldest room in the window (50 minutes ago) leaves it in about 10 minutes.
    assert 500 <= int(refused["Retry-After"]) <= 601


def test_agents_opening_rooms_for_a_customer_are_not_limited(api, agent, customer, settings):
    settings.OSCAR_CHAT_RATE_LIMIT_ROOMS = 1
    client = api(agent)
    for n in range(3):
        response = client.post("/api/chat/rooms", {"subject": f"For you {n}", "user_id": customer.pk}, format="json")
        assert response.status_code == 201
    for n in range(3):
        assert open_via_api(client, f"Own {n}").status_code == 201


def test_the_room_limit_and_window_are_settings(api, customer, settings):
    settings.OSCAR_CHAT_RATE_LIMIT_ROOMS = 2
    settings.OSCAR_CHAT_RATE_LIMIT_ROOMS_WINDOW = 60
    client = api(customer)
    assert [open_via_api(client, f"Q{n}").status_code for n in range(3)] == [201, 201, 429]
    settings.OSCAR_CHAT_RATE_LIMIT_ROOMS = None
    assert open_via_api(client, "Unlimited").status_code == 201
    settings.OSCAR_CHAT_RATE_LIMIT_ROOMS = 0
    stopped = open_via_api(client, "Stopped")
    assert stopped.status_code == 429
    assert stopped["Retry-After"] == "60"


def test_the_room_limit_holds_in_the_services_too(customer, settings):
    from oscar_chat.exceptions import RateLimited

    settings.OSCAR_CHAT_RATE_LIMIT_ROOMS = 1
    open_room(customer, "First")
    with pytest.raises(RateLimited):
        open_room(customer, "Second")
    assert ChatRoom.objects.filter(user=customer).count() == 1


# Bodies too large: JSON 413, nothing stored


@pytest.fixture
def room(customer):
    return open_room(customer, "Uploads")


def test_a_json_body_over_django_s_limit_is_a_json_413(api, customer, room, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = db_state()
    body = json.dumps({"message": "x" * 20_000})
    response = api(customer).post(f"/api/chat/rooms/{room.pk}", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert db_state() == before
    big_subject = json.dumps({"subject": "y" * 20_000})
    opened = api(customer).post("/api/chat/rooms", big_subject, content_type="application/json")
    assert opened.status_code == 413
    assert db_state() == before


def test_a_file_over_the_upload_limit_is_a_json_413(api, customer, room, settings):
    settings.OSCAR_CHAT_MAX_UPLOAD_SIZE = 1000
    before = db_state()
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4 " + b"x" * 1000, content_type="application/pdf")
    body = {"message_type": "FILE", "file": big}
    response = api(customer).post(f"/api/chat/rooms/{room.pk}", body, format="multipart")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "file" in response.json()["detail"].lower()
    assert db_state() == before


def test_a_multipart_body_that_cannot_fit_the_limits_is_refused_before_it_is_parsed(api, customer, room, settings):
    settings.OSCAR_CHAT_MAX_UPLOAD_SIZE = 1000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = db_state()
    # The file alone fits; with the caption the body is larger than any valid upload can be.
    small = SimpleUploadedFile("ok.pdf", b"%PDF-1.4 tiny", content_type="application/pdf")
    response = api(customer).post(
        f"/api/chat/rooms/{room.pk}",
        {"message_type": "FILE", "file": small, "message": "z" * 3000},
        format="multipart",
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert db_state() == before


@pytest.mark.parametrize("setting", ["DATA_UPLOAD_MAX_NUMBER_FIELDS", "DATA_UPLOAD_MAX_NUMBER_FILES"])
def test_multipart_over_django_s_field_and_file_counts_is_a_json_413(api, customer, room, settings, setting):
    setattr(settings, setting, 3)
    before = db_state()
    body = {"message_type": "FILE", "message": "many"}
    body.update({f"extra{n}": "1" for n in range(5)})
    body.update({f"file{n}": SimpleUploadedFile(f"f{n}.txt", b"hi", content_type="text/plain") for n in range(5)})
    response = api(customer).post(f"/api/chat/rooms/{room.pk}", body, format="multipart")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert db_state() == before


def test_a_form_body_over_django_s_limit_is_a_json_413(api, customer, room, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = db_state()
    response = api(customer).post(f"/api/chat/rooms/{room.pk}", {"message": "w" * 5000}, format="multipart")
    assert response.status_code == 413
    form = api(customer).generic(
        "POST", f"/api/chat/rooms/{room.pk}", "message=" + "w" * 5000, content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 413
    assert form["Content-Type"] == "application/json"
    assert db_state() == before


# Errors raised before the API's view runs: JSON under the API's mount, the store's pages elsewhere


def test_a_request_refused_by_django_before_the_view_is_json_under_the_api_only(client, db, settings):
    settings.ALLOWED_HOSTS = ["shop.example"]
    settings.DEBUG = False
    refused = client.get("/api/chat/rooms", HTTP_HOST="attacker.example")
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/json"
    assert refused.json() == {"detail": "Bad request."}
    unknown = client.get("/api/chat/no/such/thing", HTTP_HOST="shop.example")
    assert (unknown.status_code, unknown["Content-Type"]) == (404, "application/json")
    store_page = client.get("/", HTTP_HOST="attacker.example")
    assert store_page.status_code == 400
    assert store_page["Content-Type"].startswith("text/html")


def test_a_browser_asking_for_html_gets_json(api, customer):
    response = api(customer).get("/api/chat/rooms", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "results" in response.json()
    unknown = api(customer).get("/api/chat/nothing/here", HTTP_ACCEPT="text/html")
    assert (unknown.status_code, unknown["Content-Type"]) == (404, "application/json")
