"""A store built from nothing, as Oscar documents it, then docs/install.md applied to it literally.

The wheel built from this checkout is installed into a new virtual environment (its
dependencies come from the test's environment, offline). ``django-admin startproject``,
Oscar's "Building your own shop" settings, then the code blocks of docs/install.md appended to
the files their captions name: if the page drifts from what works, this test fails.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path

import httpx
import pytest

from tests.realtime.sse import Stream

pytestmark = [pytest.mark.install, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
INSTALL_DOC = ROOT / "docs" / "install.md"
OSCAR_SETTINGS = Path(__file__).with_name("oscar_settings.py")
OSCAR_URLS = Path(__file__).with_name("oscar_urls.py")
# What the wheel is built from (pyproject.toml's readme and license files among them).
PACKAGED = {"pyproject.toml", "README.md", "LICENSE", "oscar_chat"}
PASSWORD = "fresh-store-12345"
CAPTIONED_BLOCK = re.compile(r"```\{code-block\} python\n:caption: (\S+)\n\n(.*?)```", re.S)
LISTENING = re.compile(r"Listening on TCP address [\d.]+:(\d+)")


def doc_blocks():
    """(file, code) of each captioned Python block of docs/install.md, in page order."""
    return CAPTIONED_BLOCK.findall(INSTALL_DOC.read_text())


def run(args, *, cwd, env, timeout=300):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The store's directory and the environment its commands run in."""
    base = tmp_path_factory.mktemp("fresh-store")
    # The wheel, built from the checkout offline (the build tools come from the test extra).
    # Built from a copy, so that the checkout gets no build/ folder.
    source = base / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=lambda folder, names: [
            name for name in names if Path(folder) == ROOT and name not in PACKAGED or name == "__pycache__"
        ],
    )
    dist = base / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(source)],
        cwd=source,
        env=os.environ,
    )
    (wheel,) = dist.glob("django_oscar_chat-*.whl")

    # A new environment whose own site-packages comes first; the dependencies are found in the
    # test's site-packages, added as a plain path (its .pth files, the checkout's editable
    # install among them, are not read).
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base, env=os.environ)
    python = venv / "bin" / "python"
    site_packages = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=base, env=os.environ
        ).stdout.strip()
    )
    (site_packages / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        cwd=base,
        env=os.environ,
    )

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "OSCAR_CHAT_", "PYTHON")) and key != "REDIS_URL"
    }
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    located = run([str(python), "-c", "import oscar_chat; print(oscar_chat.__file__)"], cwd=base, env=env)
    assert located.stdout.startswith(str(site_packages)), "the store must run the wheel, not the checkout"

    # django-admin startproject, then Oscar's documented settings and URLs.
    run([str(python), "-m", "django", "startproject", "myshop"], cwd=base, env=env)
    project = base / "myshop"
    settings_py = project / "myshop" / "settings.py"
    settings_py.write_text(settings_py.read_text() + "\n" + OSCAR_SETTINGS.read_text())
    (project / "myshop" / "urls.py").write_text(OSCAR_URLS.read_text())

    # docs/install.md, as written.
    blocks = doc_blocks()
    assert [name for name, _ in blocks] == ["myshop/settings.py", "myshop/urls.py", "myshop/asgi.py"]
    for name, code in blocks:
        path = project / name
        path.write_text(path.read_text() + "\n" + code)

    run([str(python), "manage.py", "migrate", "--noinput", "-v0"], cwd=project, env=env, timeout=600)
    users = (
        "from django.contrib.auth import get_user_model; U = get_user_model(); "
        f"U.objects.create_user('eka', 'eka@example.com', {PASSWORD!r}, first_name='Eka'); "
        f"U.objects.create_superuser('ayu', 'ayu@example.com', {PASSWORD!r}, first_name='Ayu')"
    )
    run([str(python), "manage.py", "shell", "-c", users], cwd=project, env=env)
    return project, python, env


@pytest.fixture(scope="module")
def server(store):
    """``manage.py runserver`` (daphne's, as the page says) on a free port."""
    project, python, env = store
    # manage.py runserver on port 0; with daphne's log on, which says the port the system gave it.
    launcher = (
        "import logging, runpy, sys; logging.basicConfig(level=logging.INFO); "
        "sys.argv = ['manage.py', 'runserver', '--noreload', '127.0.0.1:0']; "
        "runpy.run_path('manage.py', run_name='__main__')"
    )
    process = subprocess.Popen(
        [str(python), "-c", launcher], cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output, found = [], threading.Event()
    port = []

    def pump():
        for line in process.stdout:
            output.append(line)
            match = LISTENING.search(line)
            if match and not found.is_set():
                port.append(int(match.group(1)))
                found.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert found.wait(60), "runserver did not start:\n" + "".join(output)
        yield f"http://127.0.0.1:{port[0]}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def token(base_url, email):
    response = httpx.post(f"{base_url}/api/auth/token/", json={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access"]


def test_check_reports_only_the_one_process_layer_and_the_task_backend(store):
    project, python, env = store
    result = subprocess.run(
        [str(python), "manage.py", "check"], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    # As docs/install.md says: the in-memory layer (one process), and Django's default task backend,
    # which cannot run the operations' delayed work until the store picks one (docs/operations.md).
    found = set(re.findall(r"\((oscar_chat\.[EW]\d+)\)", result.stdout + result.stderr))
    assert found == {"oscar_chat.W003", "oscar_chat.W401"}


def test_a_customer_chats_with_a_token_and_the_agent_sees_it_live(server):
    customer, agent = token(server, "eka@example.com"), token(server, "ayu@example.com")
    with Stream(server, token=agent) as stream:
        room = httpx.post(
            f"{server}/api/chat/rooms", json={"subject": "Fresh store"}, headers={"Authorization": f"Bearer {customer}"}
        )
        assert room.status_code == 201, room.text
        sent = httpx.post(
            f"{server}/api/chat/rooms/{room.json()['id']}",
            json={"message": "Halo!"},
            headers={"Authorization": f"Bearer {customer}"},
        )
        assert sent.status_code == 201, sent.text
        event = stream.next("message", timeout=15)
    assert event.json["message"] == "Halo!" and event.json["room"] == room.json()["id"]


def test_the_widget_is_on_a_storefront_page_with_its_static_files(server):
    page = httpx.get(f"{server}/", follow_redirects=True)
    assert page.status_code == 200
    assert 'id="oscar-chat-config"' in page.text
    scripts = re.findall(r'src="(/static/oscar_chat/js/[^"]+)"', page.text)
    assert scripts
    for script in scripts:
        assert httpx.get(f"{server}{script}").status_code == 200, script
    # Its translations come with the API: nothing else mounted.
    config = json.loads(
        re.search(r'<script id="oscar-chat-config" type="application/json">(.*?)</script>', page.text, re.S).group(1)
    )
    assert config["wordsUrl"].startswith("/api/chat/i18n?lang=")
    assert httpx.get(f"{server}{config['wordsUrl']}").status_code == 200


def test_the_agent_opens_the_conversation_in_the_admin(server):
    customer = token(server, "eka@example.com")
    room = httpx.post(
        f"{server}/api/chat/rooms",
        json={"subject": "Admin page", "message": "Hello"},
        headers={"Authorization": f"Bearer {customer}"},
    ).json()
    with httpx.Client(base_url=server) as browser:
        browser.get("/admin/login/")
        signed_in = browser.post(
            "/admin/login/?next=/admin/",
            data={
                "username": "ayu",
                "password": PASSWORD,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                "next": "/admin/",
            },
            headers={"Referer": f"{server}/admin/login/"},
        )
        assert signed_in.status_code == 302, signed_in.text
        page = browser.get(f"/admin/oscar_chat/chatroom/{room['id']}/change/")
    assert page.status_code == 200
    assert "Admin page" in page.text and 'id="oc-composer"' in page.text


def test_the_schema_is_served_without_spectacular_settings(server):
    response = httpx.get(f"{server}/api/chat/schema/", params={"format": "json"})
    assert response.status_code == 200
    assert "/api/chat/rooms/" in response.json()["paths"]
