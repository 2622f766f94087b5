import httpx
import pytest


@pytest.mark.django_db(transaction=True)
def test_daphne_serves_the_store_and_the_api_on_the_test_database(daphne_server, customer):
    token = httpx.post(f"{daphne_server.url}/api/auth/token/", json={"username": "customer", "password": "pass-12345"})
    assert token.status_code == 200, token.text
    rooms = httpx.get(
        f"{daphne_server.url}/api/chat/rooms", headers={"Authorization": f"Bearer {token.json()['access']}"}
    )
    assert rooms.status_code == 200
    assert rooms.json()["count"] == 0
    home = httpx.get(f"{daphne_server.url}/catalogue/", follow_redirects=True)
    assert home.status_code == 200
    assert "Oscar Chat Sandbox" in home.text
