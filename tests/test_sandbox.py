"""The sandbox store: demo data a newcomer can try every feature with."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from oscar.core.loading import get_model

from oscar_chat.models import CannedResponse, ChatRoom
from oscar_chat.roles import is_agent

Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(oscar_site):
    call_command("load_demo", verbosity=0)


def test_demo_catalogue_has_what_the_chat_needs_to_be_tried(demo):
    standalone = Product.objects.filter(structure=Product.STANDALONE)
    assert standalone.count() >= 30
    categories = {c.full_name.split(" > ")[0] for p in standalone for c in p.get_categories().all()}
    assert len(categories) >= 4
    assert all(p.attr.brand for p in standalone)
    assert all(p.images.exists() for p in standalone)
    assert set(StockRecord.objects.values_list("price_currency", flat=True)) == {"IDR"}
    assert StockRecord.objects.filter(num_in_stock=0).exists()
    parent = Product.objects.get(structure=Product.PARENT)
    assert parent.children.count() >= 2


def test_demo_users_have_their_roles_and_conversations(demo):
    users = get_user_model().objects
    assert is_agent(users.get(username="agent"))
    assert not is_agent(users.get(username="viewer"))
    assert users.get(username="viewer").has_perm("oscar_chat.view_chatroom")
    assert not is_agent(users.get(username="customer"))
    assert users.get(username="customer").check_password("demo12345")
    assert ChatRoom.objects.filter(user__username="customer").count() >= 2
    assert ChatRoom.objects.filter(messages__message_type="PRODUCT").exists()
    assert CannedResponse.objects.exists()


def test_load_demo_runs_again_without_duplicating(demo):
    counts = (Product.objects.count(), ChatRoom.objects.count(), get_user_model().objects.count())
    call_command("load_demo", verbosity=0)
    assert (Product.objects.count(), ChatRoom.objects.count(), get_user_model().objects.count()) == counts


def test_storefront_catalogue_and_search_list_the_demo_products(demo, client):
    catalogue = client.get("/catalogue/", follow=True)
    assert catalogue.status_code == 200
    assert catalogue.content.decode().count('class="product_pod"') >= 20
    search = client.get("/search/", {"q": "kopi"}, follow=True)
    assert "Kopi Arabika Gayo 250g" in search.content.decode()


def test_the_sandbox_prints_its_emails_where_make_run_runs():
    # `make run`'s worker sends the chat's emails with the sandbox's own settings (no mail server
    # there); pytest-django swaps the backend in-process, so ask a separate manage.py.
    environment = {key: value for key, value in os.environ.items() if key != "EMAIL_BACKEND"}
    done = subprocess.run(
        [sys.executable, "sandbox/manage.py", "sendtestemail", "customer@example.com"],
        cwd=Path(__file__).resolve().parent.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "To: customer@example.com" in done.stdout
