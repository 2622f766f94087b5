"""Delivery latency of the event stream, and what each Redis channel layer costs.

    .venv/bin/python benchmarks/sse_latency.py                 # everything, SQLite, ~2 minutes
    .venv/bin/python benchmarks/sse_latency.py --postgres postgres://postgres@127.0.0.1:5432
    .venv/bin/python benchmarks/sse_latency.py --messages 500 --crowd 200

Latency is POST to event: the time from sending ``POST rooms/{id}`` until the ``message``
event carrying that message arrives on an SSE stream (real daphne processes, a real HTTP
client, loopback), for one process (in-memory channel layer) and for two processes (post
on A, stream on B) through Redis with each layer class. Messages are posted one at a time,
10 ms apart, after 5 unmeasured ones. With ``--crowd N``, N other streams (a mix of agents and customers) stay open
on B while measuring.

For each Redis layer it also reports: the Redis connections held by the two processes with
1 and with 1 + N streams open, whether N streams opening at once all succeed, and whether
streams still deliver after sitting idle for 12 s (longer than redis-py's socket timeout).

It runs its own redis-server on a free port and its own database (a temporary SQLite
file, or a fresh PostgreSQL database it drops afterwards). Nothing of the machine's is used.
"""

import argparse
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 5
LAYERS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Redis:
    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def clients(self):
        import redis

        return redis.Redis.from_url(self.url).info("clients")["connected_clients"] - 1  # minus this one

    def commands(self):
        """Commands Redis has executed so far (all kinds)."""
        import redis

        stats = redis.Redis.from_url(self.url).info("commandstats")
        return sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Daphne:
    """A sandbox daphne process (the test suite's launcher) on the benchmark's database, DEBUG off."""

    def __init__(self, env, name):
        from tests.live import DaphneServer

        self.server = DaphneServer(env={"DEBUG": "0", **env}, name=name).start(timeout=60)
        self.output = self.server.output
        self.url = self.server.url
        self.port = self.server.port

    def errors(self):
        """Tracebacks, and channel-layer failures the hub recovered from."""
        return sum(1 for line in self.output if "Traceback" in line or "receive failed" in line)

    def stop(self):
        self.server.stop()


class StreamReader(threading.Thread):
    """One SSE stream; records when each message event arrived (perf_counter)."""

    def __init__(self, url, token):
        super().__init__(daemon=True)
        self.url, self.token = url, token
        self.arrivals = {}
        self.ready = threading.Event()
        self.stopped = False

    def run(self):
        import httpx

        try:
            self._read(httpx)
        except httpx.HTTPError:
            if not self.stopped:
                raise

    def _read(self, httpx):
        with httpx.Client(timeout=httpx.Timeout(10, read=None)) as client:
            headers = {"Authorization": f"Bearer {self.token}"}
            with client.stream("GET", f"{self.url}/api/chat/sse", headers=headers) as r:
                assert r.status_code == 200, r.status_code
                self.ready.set()
                buffer, event, data = b"", None, None
                for chunk in r.iter_raw():
                    now = time.perf_counter()
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        if line.startswith(b"event: "):
                            event = line[7:]
                        elif line.startswith(b"data: "):
                            data = line[6:]
                        elif not line:
                            if event == b"message":
                                self.arrivals[int(re.search(rb'"id":(\d+)', data).group(1))] = now
                            event = data = None
                    if self.stopped:
                        return


class Crowd(threading.Thread):
    """N streams held open on raw sockets, their bytes read and thrown away by one thread."""

    def __init__(self, port, tokens, count):
        super().__init__(daemon=True)
        self.selector = selectors.DefaultSelector()
        self.sockets, self.failed = [], 0
        self.ok = 0
        opened = []
        for n in range(count):  # all requests first, then read: they arrive at once
            sock = socket.create_connection(("127.0.0.1", port))
            token = tokens[n % len(tokens)]
            sock.sendall(f"GET /api/chat/sse HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
            opened.append(sock)
        for sock in opened:
            sock.settimeout(30)
            head = sock.recv(4096)
            if head.startswith(b"HTTP/1.1 200"):
                self.ok += 1
            else:
                self.failed += 1
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ)
            self.sockets.append(sock)
        self.stopped = False

    def run(self):
        while not self.stopped:
            for key, _ in self.selector.select(0.2):
                try:
                    key.fileobj.recv(1 << 16)
                except OSError:
                    pass

    def close(self):
        self.stopped = True
        self.join(2)
        for sock in self.sockets:
            sock.close()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def open_reader(url, token):
    reader = StreamReader(url, token)
    reader.start()
    reader.ready.wait(10)
    time.sleep(0.3)
    return reader


def measure(post_url, reader, tokens, room_id, count):
    """POST ``count`` messages on ``post_url``: latencies (ms) of their events on ``reader``, how many
    never came, and the POST's median round trip."""
    import httpx

    sent, round_trips = {}, []
    headers = {"Authorization": f"Bearer {tokens['customer']}"}
    with httpx.Client(base_url=post_url, headers=headers, timeout=30) as client:
        for _ in range(WARM_UP):  # first requests load code and open connections: not measured
            client.post(f"/api/chat/rooms/{room_id}", json={"message": "warm-up"})
        for n in range(count):
            start = time.perf_counter()
            response = client.post(f"/api/chat/rooms/{room_id}", json={"message": f"latency probe {n}"})
            assert response.status_code == 201, response.text
            sent[response.json()["id"]] = start
            round_trips.append((time.perf_counter() - start) * 1000)
            time.sleep(0.01)
    deadline = time.monotonic() + 10
    while not all(i in reader.arrivals for i in sent) and time.monotonic() < deadline:
        time.sleep(0.05)
    latencies = [(reader.arrivals[i] - t) * 1000 for i, t in sent.items() if i in reader.arrivals]
    return latencies, count - len(latencies), statistics.median(round_trips)


def setup_database(args):
    """A fresh database with a customer, an agent and a room; returns (env, tokens, room id, cleanup)."""
    cleanup = []
    if args.postgres:
        import psycopg

        name = f"oscar_chat_bench_{os.getpid()}"
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")

        def drop():
            with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

        cleanup.append(drop)
        database_url = f"{args.postgres}/{name}"
    else:
        path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        cleanup.append(lambda: path.unlink(missing_ok=True))
        database_url = f"sqlite:///{path}"

    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from oscar_chat import services

    print(f"Migrating {database_url.split('@')[-1]} ...", flush=True)
    call_command("migrate", verbosity=0)
    User = get_user_model()
    customer = User.objects.create_user("bench-customer", password=uuid.uuid4().hex, first_name="Bench")
    agent = User.objects.create_user("bench-agent", password=uuid.uuid4().hex, is_staff=True)
    agent.user_permissions.add(Permission.objects.get(codename="change_chatroom"))
    room = services.open_room(customer=customer, opened_by=customer, subject="Latency")
    others = [User.objects.create_user(f"bench-{n}", password="x") for n in range(20)]
    tokens = {
        "customer": str(AccessToken.for_user(customer)),
        "agent": str(AccessToken.for_user(agent)),
        "crowd": [str(AccessToken.for_user(u)) for u in [agent, *others]],
    }
    env = {
        "DATABASE_URL": database_url,
        "OSCAR_CHAT_RATE_LIMIT_MESSAGES": "1000000",
        "OSCAR_CHAT_SSE_MAX_BUFFERED_EVENTS": "100000",
        # The crowd is 200 streams of 21 users.
        "OSCAR_CHAT_SSE_MAX_STREAMS_PER_USER": "100000",
    }
    return env, tokens, room.pk, cleanup


def report(rows):
    print()
    print(
        f"{'scenario':<44} {'layer':<10} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'lost':>5} {'POST p50':>9}"
    )
    for scenario, layer, latencies, lost, post in rows:
        print(
            f"{scenario:<44} {layer:<10} {len(latencies):>5} {statistics.median(latencies):>8.1f} "
            f"{percentile(latencies, 99):>8.1f} {max(latencies):>8.1f} {lost:>5} {post:>9.1f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300, help="messages per scenario")
    parser.add_argument("--crowd", type=int, default=200, help="other streams open on B in the crowd scenario")
    parser.add_argument(
        "--postgres", help="PostgreSQL server URL without database, e.g. postgres://postgres@127.0.0.1:5432"
    )
    parser.add_argument("--layers", default="pubsub,core", help="Redis layers to compare")
    parser.add_argument("--show-errors", action="store_true", help="print the servers' error lines")
    args = parser.parse_args()

    env, tokens, room_id, cleanup = setup_database(args)
    rows, health = [], []
    try:
        one = Daphne({**env, "REDIS_URL": ""}, "one")
        try:
            reader = open_reader(one.url, tokens["agent"])
            rows.append(("one process", "in-memory", *measure(one.url, reader, tokens, room_id, args.messages)))
            reader.stopped = True
        finally:
            one.stop()

        for layer in args.layers.split(","):
            redis = Redis()
            layer_env = {**env, "REDIS_URL": redis.url, "OSCAR_CHAT_CHANNEL_LAYER": LAYERS[layer]}
            a, b = Daphne(layer_env, "a"), Daphne(layer_env, "b")
            try:
                reader = open_reader(b.url, tokens["agent"])
                commands = redis.commands()
                rows.append(
                    (
                        "two processes (post on A, stream on B)",
                        layer,
                        *measure(a.url, reader, tokens, room_id, args.messages),
                    )
                )
                commands_per_message = (redis.commands() - commands) / (args.messages + WARM_UP)
                one_stream_clients = redis.clients()
                crowd = Crowd(b.port, tokens["crowd"], args.crowd)
                crowd.start()
                time.sleep(1)
                crowd_clients = redis.clients()
                rows.append(
                    (
                        f"two processes, {args.crowd} more streams on B",
                        layer,
                        *measure(a.url, reader, tokens, room_id, args.messages),
                    )
                )
                # The same streams, idle for longer than redis-py's socket timeout, then used again.
                time.sleep(12)
                after_idle, lost_after_idle, _ = measure(a.url, reader, tokens, room_id, 20)
                reader.stopped = True
                crowd.close()
                health.append(
                    (
                        layer,
                        commands_per_message,
                        one_stream_clients,
                        crowd_clients,
                        crowd.ok,
                        crowd.failed,
                        f"{after_idle[0]:.0f} ms, {lost_after_idle} lost" if after_idle else "none came",
                        a.errors() + b.errors(),
                    )
                )
            finally:
                a.stop()
                b.stop()
                redis.stop()
                if args.show_errors:
                    print("".join(line for line in a.output + b.output if "Error" in line or "error" in line)[-3000:])
    finally:
        for step in cleanup:
            step()

    report(rows)
    print()
    print(
        f"{'layer':<10} {'Redis cmds/msg':>15} {'conns, 1 stream':>16} {f'{args.crowd + 1} streams':>12} "
        f"{'opened at once':>18} {'1st event after 12 s idle':>26} {'layer errors':>13}"
    )
    for layer, commands, one, crowd, ok, failed, idle, errors in health:
        opened = f"{ok} ok, {failed} failed"
        print(f"{layer:<10} {commands:>15.1f} {one:>16} {crowd:>12} {opened:>18} {idle:>26} {errors:>13}")


if __name__ == "__main__":
    main()
