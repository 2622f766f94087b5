"""Real daphne processes serving the sandbox store against the test database.

Tests that talk to them must use ``transactional_db`` (data committed, visible to the
server process). Start with ``start_daphne()``; each server listens on a free port it
reports itself. They run ``oscar_chat.server`` (daphne with lean connection checks, as the
sandbox and the benchmarks do), so every stream test holds it to what the stream promises.
"""

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"Listening on TCP address [\d.]+:(\d+)")
SERVER_MODULE = "oscar_chat.server"
SANDBOX = "sandbox.asgi:application"


def test_database_url():
    """DATABASE_URL of the test database pytest-django created (for the server processes)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


class DaphneServer:
    def __init__(self, env=None, name="daphne", module=SERVER_MODULE, args=(SANDBOX,)):
        """``python -m <module> -b 127.0.0.1 -p <port> <args>``: daphne's command line."""
        self.extra_env = env or {}
        self.name = name
        self.module = module
        self.args = list(args)
        self.proc = None
        self.port = None
        self.output = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, port=0, timeout=30):
        env = {**os.environ, "DATABASE_URL": test_database_url(), "DJANGO_SETTINGS_MODULE": "sandbox.settings"}
        env.update(self.extra_env)
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the server must stay honest about async safety
        env = {k: v for k, v in env.items() if v is not None}
        self.output = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module, "-b", "127.0.0.1", "-p", str(port), *self.args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        found = threading.Event()

        def pump():
            for line in self.proc.stdout:
                self.output.append(line)
                match = LISTENING.search(line)
                if match and not found.is_set():
                    self.port = int(match.group(1))
                    found.set()

        threading.Thread(target=pump, daemon=True).start()
        if not found.wait(timeout):
            self.stop()
            raise RuntimeError(f"{self.name} did not start:\n" + "".join(self.output[-40:]))
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self):
        """Stop and start again on the same port (a client's reconnection lands on the new process)."""
        port = self.port
        self.stop()
        deadline = time.monotonic() + 10
        while True:
            try:
                return self.start(port=port)
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def logs(self):
        return "".join(self.output)


def start_daphne(env=None, name="daphne"):
    return DaphneServer(env=env, name=name).start()
