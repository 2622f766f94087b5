"""Playwright with Debian's Chromium (Playwright's own browser download cannot be used here)."""

import os
import shutil

import pytest

from tests.conftest import IN_CI

ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "test-artifacts")


def chromium_path():
    return shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, tmp_path_factory):
    path = chromium_path()
    if path is None:
        if IN_CI:
            pytest.fail("Debian's chromium is required under CI=true (apt-get install chromium)")
        pytest.skip("chromium not installed (make test installs it)")
    home = tmp_path_factory.mktemp("chromium-home")
    # Keep the browser's profile and temporary files inside the test run.
    return {
        **browser_type_launch_args,
        "executable_path": path,
        "env": {**os.environ, "HOME": str(home), "TMPDIR": str(home)},
    }


@pytest.fixture(autouse=True, scope="session")
def _allow_orm_beside_playwright():
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous. (Server processes never get this flag: see tests/live.py.)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def screenshot(page):
    """``screenshot("name")`` saves test-artifacts/<name>.png of the current page."""
    os.makedirs(ARTIFACTS, exist_ok=True)

    def take(name, **kwargs):
        path = os.path.join(ARTIFACTS, f"{name}.png")
        page.screenshot(path=path, **kwargs)
        return path

    return take
