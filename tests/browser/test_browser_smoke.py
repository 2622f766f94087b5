import pytest

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_the_storefront_renders_in_chromium(daphne_server, oscar_site, page, screenshot):
    page.goto(f"{daphne_server.url}/catalogue/")
    assert "Oscar Chat Sandbox" in page.title() or page.locator("text=Oscar Chat Sandbox").count() > 0
    screenshot("storefront-catalogue")
