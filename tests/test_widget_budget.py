"""What the chat costs a storefront page, gzipped: the launcher while closed, everything once opened.

Each file is gzipped on its own (``gzip -9``; each is its own download), read from the app's
static files as a store serves them.

- **closed**: what the page itself loads for the chat (the tag's ``<script>`` and ``<link>``).
- **first open**: the closed set, the panel's module graph through static imports, its two
  stylesheets and the JavaScript catalog of the customer's language.
- **opened**: the first open and every module loaded on use (dynamic ``import()``: the product
  picker, the rating form), i.e. everything a customer downloads who uses every feature. It
  is counted with the catalog of each of the store's languages, and the largest is taken.
"""

import gzip
import json
import re
from pathlib import PurePosixPath

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

CLOSED_BUDGET = 5 * 1024
# Issue #12's goal for everything opened. Not met (docs/widget.md, "Budget"): with the features
# in source form (readable modules, no build step) the panel comes to about 36.5 KB with the
# Indonesian catalog; without a single comment it would still be about 33 KB, and bundled and
# minified by a build step about 25 KB. The goal is kept as a strict expected failure that turns
# red when met; the ceiling below keeps the panel from growing unnoticed.
OPENED_GOAL = 22 * 1024
OPENED_CEILING = 37 * 1024
CONFIG = re.compile(r'<script id="oscar-chat-config" type="application/json">(.*?)</script>', re.DOTALL)
STATIC_IMPORT = re.compile(r'\bfrom\s*"(\.{1,2}/[^"]+\.js)"')
DYNAMIC_IMPORT = re.compile(r'\bimport\(\s*"(\.{1,2}/[^"]+\.js)"\s*\)')


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, 9))


def static_file(url: str) -> PurePosixPath:
    assert url.startswith("/static/"), url
    return PurePosixPath(url.removeprefix("/static/").split("?")[0])


def read_static(path: PurePosixPath) -> bytes:
    found = finders.find(str(path))
    assert found, path
    with open(found, "rb") as handle:
        return handle.read()


def resolve(base: PurePosixPath, specifier: str) -> PurePosixPath:
    parts: list[str] = []
    for part in (base.parent / specifier).parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return PurePosixPath(*parts)


def module_graph(entry: PurePosixPath, dynamic: bool) -> list[PurePosixPath]:
    """The module and what it imports (relative specifiers), with or without dynamic import()."""
    seen, todo = [], [entry]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        source = read_static(path).decode()
        specifiers = STATIC_IMPORT.findall(source) + (DYNAMIC_IMPORT.findall(source) if dynamic else [])
        todo.extend(resolve(path, specifier) for specifier in specifiers)
    return seen


def page_cost(client, customer):
    client.force_login(customer)
    html = client.get("/catalogue/").content.decode()
    config = json.loads(CONFIG.search(html).group(1))
    widget_html = html[html.index("oscar_chat/css/launcher.css") - 200 :]
    closed_files = {static_file(u) for u in re.findall(r'(?:src|href)="(/static/oscar_chat/[^"]+)"', widget_html)}
    closed = {str(p): gzipped(read_static(p)) for p in sorted(closed_files)}
    styles = {str(static_file(u)): gzipped(read_static(static_file(u))) for u in config["css"]}
    entry = static_file(config["appUrl"])
    first = {str(p): gzipped(read_static(p)) for p in module_graph(entry, dynamic=False)}
    on_use = {str(p): gzipped(read_static(p)) for p in module_graph(entry, dynamic=True) if str(p) not in first}
    catalogs = {}
    for language, _name in settings.LANGUAGES:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = client.get(config["wordsUrl"].split("?")[0], {"lang": language})
        assert response.status_code == 200
        catalogs[language] = gzipped(response.content)
    return closed, styles, first, on_use, catalogs


@pytest.fixture
def cost(client, customer, oscar_site):
    closed, styles, first, on_use, catalogs = page_cost(client, customer)
    catalog = max(catalogs.values())
    closed_total = sum(closed.values())
    first_total = closed_total + sum(styles.values()) + sum(first.values()) + catalog
    opened_total = first_total + sum(on_use.values())
    print(f"\nclosed: {closed_total} B gzipped {closed}")
    print(f"first open: {first_total} B (styles {styles}, modules {first}, catalogs {catalogs})")
    print(f"opened, every feature used: {opened_total} B (loaded on use: {on_use})")
    return {
        "closed": closed,
        "on_use": on_use,
        "first": first,
        "closed_total": closed_total,
        "opened_total": opened_total,
    }


def test_a_closed_chat_costs_at_most_5_kb(cost):
    assert set(cost["closed"]) == {"oscar_chat/js/widget/launcher.js", "oscar_chat/css/launcher.css"}
    assert cost["closed_total"] <= CLOSED_BUDGET


def test_the_opened_chat_counts_every_module_and_stays_under_its_ceiling(cost):
    # Found through app.js's imports: the engine at first open, the picker and the rating on use.
    assert {"oscar_chat/js/chat/conversation.js", "oscar_chat/js/chat/client.js"} <= set(cost["first"])
    assert set(cost["on_use"]) == {"oscar_chat/js/chat/picker.js", "oscar_chat/js/widget/rating.js"}
    assert cost["opened_total"] <= OPENED_CEILING


@pytest.mark.xfail(strict=True, reason="issue #12's 22 KB opened is not met: docs/widget.md, 'Budget'")
def test_the_opened_chat_costs_at_most_22_kb(cost):
    assert cost["opened_total"] <= OPENED_GOAL
