"""The OpenAPI 3 schema at /api/chat/schema/: the chat's endpoints, and only them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parent.parent

PATHS = {
    "/api/chat/rooms/": {"get", "post"},
    "/api/chat/rooms/{room_id}/": {"get", "post"},
    "/api/chat/rooms/{room_id}/manage/": {"patch"},
    "/api/chat/rooms/{room_id}/read/": {"post"},
    "/api/chat/rooms/{room_id}/typing/": {"post"},
    "/api/chat/unread/": {"get"},
    # API.md 1.1, operations
    "/api/chat/rooms/{room_id}/rating/": {"post"},
    "/api/chat/stats/": {"get"},
}


@pytest.fixture
def schema(db):
    GENERATOR_STATS.reset()
    response = APIClient().get("/api/chat/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_openapi_3_with_every_chat_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "oscar_chat API"
    operations = {path: set(item) - {"parameters"} for path, item in schema["paths"].items()}
    # Later issues add their endpoints; these are the core's.
    for path, methods in PATHS.items():
        assert methods <= operations.get(path, set()), path
    assert all(path.startswith("/api/chat/") for path in schema["paths"])


def test_the_schema_documents_the_contract_shapes(schema):
    components = schema["components"]["schemas"]
    room = components["Room"]["properties"]
    assert {
        "id",
        "subject",
        "status",
        "priority",
        "user",
        "admin",
        "last_message",
        "last_activity",
        "created_at",
        "is_read",
        "unread_count",
    } <= set(room)
    assert set(components["Message"]["properties"]) >= {
        "id",
        "room",
        "sender",
        "message",
        "message_type",
        "product",
        "attachment",
        "is_read",
        "created_at",
        "client_id",
    }
    rooms_list = schema["paths"]["/api/chat/rooms/"]["get"]
    assert {"status", "priority", "q", "unread", "assigned", "cursor"} <= {p["name"] for p in rooms_list["parameters"]}
    assert {"jwtAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_the_schema_documents_the_conversation_tools_of_version_1_1(schema):
    """API.md 1.1, "Conversation tools": the message types, the cards, labels and the send fields."""
    components = schema["components"]["schemas"]
    assert {"NOTE", "ORDER", "VOUCHER"} <= set(components["MessageTypeEnum"]["enum"])
    message = components["Message"]["properties"]
    assert message["order"]["allOf"] == [{"$ref": "#/components/schemas/OrderCard"}] and message["order"]["nullable"]
    assert message["voucher"]["allOf"] == [{"$ref": "#/components/schemas/VoucherCard"}]
    order = components["OrderCard"]["properties"]
    assert set(order) == {"number", "status", "date_placed", "total", "currency", "lines", "url"}
    assert order["lines"]["items"] == {"$ref": "#/components/schemas/OrderLine"}
    assert set(components["OrderLine"]["properties"]) == {"title", "quantity"}
    assert set(components["VoucherCard"]["properties"]) == {"code", "name", "description", "end_datetime", "is_active"}
    assert components["VoucherCard"]["properties"]["is_active"]["type"] == "boolean"
    room = components["Room"]["properties"]
    assert room["labels"]["type"] == "array" and room["labels"]["items"] == {"type": "string"}
    assert {"first_response_at", "resolved_at", "rating"} <= set(room)
    labels = components["PatchedManage"]["properties"]["labels"]
    assert labels["type"] == "array" and labels["items"] == {"type": "string"}
    assert {"order_number", "voucher_code"} <= set(components["MessageCreate"]["properties"])
    rooms_list = schema["paths"]["/api/chat/rooms/"]["get"]
    assert "label" in {p["name"] for p in rooms_list["parameters"]}
    assert "post" in schema["paths"]["/api/chat/vouchers/{code}/basket/"]


def test_the_schema_is_generated_without_warnings(schema):
    assert not GENERATOR_STATS, "drf-spectacular warned while generating the schema"


def test_the_schema_is_served_as_yaml_by_default_to_anyone(db):
    response = APIClient().get("/api/chat/schema")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["paths"]


def test_the_schema_is_served_whatever_the_stores_rest_framework_settings():
    # In a process of its own: drf-spectacular's decorators read DEFAULT_SCHEMA_CLASS on import.
    script = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client(HTTP_HOST='localhost').get('/api/chat/schema/', {'format': 'json'}); "
        "print(r.status_code, '/api/chat/rooms/' in json.loads(r.content)['paths'] if r.status_code == 200 else '')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings_drf_defaults"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split()[-2:] == ["200", "True"], result.stdout + result.stderr
