"""Each pytest-xdist worker gets its own Redis database, search index and media folder.

Loaded with ``-p tests.worker_services`` (pyproject's addopts), so it runs before pytest-django
reads the settings, and the daphne processes the live tests start inherit it. The test database
needs nothing here: pytest-django gives each worker its own (``test_…_gw0``).
"""

import os
from pathlib import Path
from urllib.parse import urlparse, urlunparse

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

if WORKER.startswith("gw"):
    index = int(WORKER.removeprefix("gw"))
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        # Each test clears the cache (a Redis FLUSHDB) and the channel layer's prefix follows the
        # database number: workers sharing one would clear and hear each other.
        parsed = urlparse(redis_url)
        base = int(parsed.path.strip("/") or 0)
        os.environ["REDIS_URL"] = urlunparse(parsed._replace(path=f"/{(base + 1 + index) % 16}"))
    sandbox = Path(__file__).resolve().parent.parent / "sandbox"
    for name, default in (("SEARCH_INDEX_PATH", sandbox / "whoosh_index"), ("MEDIA_ROOT", sandbox / "media")):
        os.environ[name] = f"{os.environ.get(name) or default}-{WORKER}"
