"""{% oscar_chat_widget %}: what the storefront pages carry for the widget's script."""

import importlib.util
import json
import re
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from oscar.core.loading import get_model
from oscar.templatetags.currency_filters import currency
from oscar.test.factories import create_product

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

CONFIG = re.compile(r'<script id="oscar-chat-config" type="application/json">(.*?)</script>', re.S)
Category = get_model("catalogue", "Category")
HAS_DJANGO_CSP = importlib.util.find_spec("django.middleware.csp") is not None


def oscar_idr_decimals():
    """Decimals in a rupiah price as Oscar's own |currency filter prints it on the store's pages."""
    printed = currency(Decimal("125000"), "IDR")
    return len(printed.rsplit(".", 1)[1]) if "." in printed else 0


def widget_config(response):
    assert response.status_code == 200
    html = response.content.decode()
    blocks = CONFIG.findall(html)
    assert len(blocks) == 1, "the page should carry exactly one widget"
    return json.loads(blocks[0])


def test_a_visitor_gets_the_widget_with_a_sign_in_link_back_to_the_page(client, oscar_site):
    response = client.get("/catalogue/?page=1")
    config = widget_config(response)
    assert config["signedIn"] is False
    assert config["loginUrl"] == "/accounts/login/?next=%2Fcatalogue%2F%3Fpage%3D1"
    assert "user" not in config and "csrfToken" not in config
    html = response.content.decode()
    # While closed, the page carries the launcher only; the rest loads on the first open.
    for path in ("oscar_chat/js/widget/launcher.js", "oscar_chat/css/launcher.css"):
        assert f"/static/{path}" in html
        assert finders.find(path), path
    assert '<script type="module" src="/static/oscar_chat/js/widget/launcher.js" data-oc-launcher>' in html
    assert "widget/app.js" not in html.replace(json.dumps(config["appUrl"])[1:-1], "")
    assert config["appUrl"] == "/static/oscar_chat/js/widget/app.js" and finders.find("oscar_chat/js/widget/app.js")
    for url in config["css"]:
        assert finders.find(url.removeprefix("/static/")), url
    assert (config["wordsUrl"], config["catalogUrl"]) == ("/api/chat/i18n?lang=en", None)  # the widget's own words
    assert config["strings"]["chat"] == "Chat with us"
    # Nothing from another host.
    assert not re.search(r'oscar_chat[^"]*"[^>]*https?://', html)


def test_a_signed_in_customer_gets_their_state_and_the_api_urls(client, customer, oscar_site):
    client.force_login(customer)
    config = widget_config(client.get("/catalogue/"))
    assert config["signedIn"] is True
    assert config["user"] == {"id": customer.pk, "name": "Eka Pratama"}
    assert config["apiRoot"] == "/api/chat/"
    assert config["basketUrl"] == "/basket/"
    # As Oscar's |currency filter prints prices: the store's pattern with the decimals the installed
    # Babel gives IDR (2 before Babel 2.19, 0 since), so the widget's prices match the store's pages.
    assert config["currencyFormats"] == {"IDR": {"format": "Rp #,##0", "digits": oscar_idr_decimals()}}
    assert config["csrfToken"] and config["csrfCookie"] == "csrftoken"
    assert config["language"] == "en"


def test_user_data_cannot_break_out_of_the_data_block(client, oscar_site):
    user = make_user("mallory", first="</script><script>alert(1)</script>", last="<b>&")
    client.force_login(user)
    response = client.get("/catalogue/")
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert widget_config(response)["user"]["name"] == "</script><script>alert(1)</script> <b>&"


def test_the_sign_in_page_keeps_a_safe_next(client, oscar_site):
    config = widget_config(client.get("/accounts/login/", {"next": "/basket/"}))
    assert config["loginUrl"] == "/accounts/login/?next=%2Fbasket%2F"
    config = widget_config(client.get("/accounts/login/", {"next": "https://elsewhere.example/"}))
    assert config["loginUrl"] == "/accounts/login/?next=%2F"


def test_every_storefront_page_carries_the_widget(client, customer, oscar_site):
    product = create_product(title="Kopi Gayo", price=Decimal("85000"), num_in_stock=5)
    category = Category.add_root(name="Coffee")
    product.categories.add(category)
    pages = [
        "/",
        "/catalogue/",
        product.get_absolute_url(),
        category.get_absolute_url(),
        "/basket/",
        "/search/?q=kopi",
        "/accounts/login/",
        "/offers/",
    ]
    for path in pages:
        assert widget_config(client.get(path, follow=True))["signedIn"] is False, path
    client.force_login(customer)
    for path in pages[:-2] + ["/accounts/", "/accounts/wishlists/", "/accounts/orders/"]:
        assert widget_config(client.get(path, follow=True))["signedIn"] is True, path


def test_agents_answer_in_the_admin_so_the_store_shows_them_no_widget(client, agent, oscar_site, settings):
    client.force_login(agent)
    assert 'id="oscar-chat-config"' not in client.get("/catalogue/").content.decode()
    settings.OSCAR_CHAT_WIDGET_FOR_AGENTS = True
    assert widget_config(client.get("/catalogue/"))["signedIn"] is True


def test_the_admin_does_not_carry_the_storefront_widget(client, superuser):
    client.force_login(superuser)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert 'id="oscar-chat-config"' not in response.content.decode()


def test_an_indonesian_page_asks_for_the_indonesian_catalog(client, oscar_site):
    client.cookies["django_language"] = "id"
    response = client.get("/catalogue/")
    config = widget_config(response)
    assert config["language"] == "id"
    assert config["wordsUrl"] == "/api/chat/i18n?lang=id"
    # The launcher's words come translated with the page: it needs no catalog while closed.
    assert config["strings"]["chat"] == "Chat dengan kami"


def test_the_widget_strings_are_shipped_in_indonesian(client):
    strings = client.get("/api/chat/i18n", {"lang": "id"}).json()["strings"]
    assert strings["Chat with us"] == "Chat dengan kami"
    assert strings["Share a product"] == "Bagikan produk"
    english = client.get("/api/chat/i18n", {"lang": "en"}).content.decode()
    assert "Chat dengan kami" not in english


def test_a_store_may_name_a_script_catalog_instead_or_none(client, oscar_site, settings):
    # e.g. Django's JavaScriptCatalog, which the launcher loads as a script (ui.js reads window.gettext)
    settings.OSCAR_CHAT_WIDGET_JS_CATALOG_URL = "/jsi18n/"
    config = widget_config(client.get("/catalogue/"))
    assert (config["wordsUrl"], config["catalogUrl"]) == (None, "/jsi18n/?lang=en")
    settings.OSCAR_CHAT_WIDGET_JS_CATALOG_URL = ""
    config = widget_config(client.get("/catalogue/"))
    assert (config["wordsUrl"], config["catalogUrl"]) == (None, None)


def test_the_panel_does_not_reopen_by_itself_on_the_sign_in_and_basket_pages(client, oscar_site):
    assert widget_config(client.get("/accounts/login/"))["quietPage"] is True
    assert widget_config(client.get("/basket/"))["quietPage"] is True
    assert widget_config(client.get("/catalogue/"))["quietPage"] is False


def test_without_the_api_mounted_pages_render_without_the_widget_and_it_is_logged_once(
    client, customer, oscar_site, settings, caplog
):
    from oscar_chat.templatetags import oscar_chat as tags

    settings.ROOT_URLCONF = "tests.urls_without_chat_api"
    tags._warned.discard("api")
    client.force_login(customer)
    with caplog.at_level("WARNING", logger="oscar_chat.templatetags.oscar_chat"):
        for path in ("/catalogue/", "/basket/", "/search/?q=kopi"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert 'id="oscar-chat-config"' not in response.content.decode()
    warnings = [r for r in caplog.records if "not mounted" in r.getMessage()]
    assert len(warnings) == 1


def test_ask_about_renders_a_button_only_where_the_widget_is(client, customer, oscar_site, settings):
    product = create_product(title="Kopi Gayo", price=Decimal(85000), num_in_stock=5)
    html = client.get(product.get_absolute_url()).content.decode()
    assert f'data-oc-ask-product="{product.pk}"' in html and "Ask about this product" in html
    settings.ROOT_URLCONF = "tests.urls_without_chat_api"
    html = client.get(product.get_absolute_url()).content.decode()
    assert "data-oc-ask-product" not in html


def test_without_csp_there_is_no_nonce(client, oscar_site):
    html = client.get("/catalogue/").content.decode()
    assert "nonce=" not in html.split('id="oscar-chat-config"')[0][-400:]


@pytest.mark.skipif(not HAS_DJANGO_CSP, reason="Django < 6 has no Content Security Policy of its own")
def test_under_djangos_csp_the_scripts_carry_the_pages_nonce(client, oscar_site, settings):
    from django.utils.csp import CSP

    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.csp.ContentSecurityPolicyMiddleware"]
    settings.SECURE_CSP = {"default-src": [CSP.SELF], "script-src": [CSP.NONCE, CSP.STRICT_DYNAMIC]}
    response = client.get("/catalogue/")
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'data-oc-launcher nonce="{nonce}"' in response.content.decode()
