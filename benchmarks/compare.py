"""The send path against django-eventstream (the peer), in one command, same box, same client.

    .venv/bin/python benchmarks/compare.py                      # 2 alternating rounds, ~15 minutes
    .venv/bin/python benchmarks/compare.py --reps 1 --idle-streams 0   # quick: no 10,000-stream run
    .venv/bin/python benchmarks/compare.py --processes 2 --redis redis://127.0.0.1:6379/13
                                                  # two processes each, sharing events through Redis
    make bench                                                   # the same as the first line

What it does, and undoes:

1. The peer (``benchmarks/vendor/peer``: a minimal Django project on django-eventstream 5.3.4)
   gets a virtualenv of its own under ``--work`` (made once; its ``pip`` comes from the index the
   machine is configured with). The load client (``benchmarks/vendor/sse_load.py``, needing
   aiohttp, httptools and uvloop) runs in that virtualenv too.
2. This project's sandbox runs under ``python -m oscar_chat.server`` (daphne with lean connection
   checks, as the project recommends; plain daphne for a ``--project`` checkout without it;
   ``-v 0``, ``DEBUG=0``) on PostgreSQL: a template database ``--db`` (migrated, with
   ``--customers`` customers and ``agent_1``, made once) is copied to ``<db>_run`` before every
   run, so each server starts fresh on the same data. The peer runs on plain daphne.
3. Each round runs every scenario on the peer and on this project, alternating which goes first,
   each on a fresh server after a short warm-up; the 1-minute load average is noted at the start
   of every run (the box is shared: compare within a round).
4. With ``--processes N`` each side runs N server processes on N ports that share their events
   through ``--redis`` (ours: ``REDIS_URL``, i.e. Channels' Redis pub/sub layer and Redis cache;
   the peer: ``EVENTSTREAM_REDIS``); that Redis database is emptied before every run. The load
   client spreads streams and POSTs round-robin over the processes and sums their CPU and memory.
5. It prints one table per round and one of the medians, with this project / peer ratios, and
   writes every JSON report under ``--work``/results. Every process it started is stopped, on
   success, error or Ctrl-C; ``--drop`` also drops the two databases.

Scenarios (``sse_load.py`` flags; the same for both):

- ``ceiling``: 1,000 customer streams + 10 agent streams, ``--ceiling-rate`` offered (400/s) for
  10 s, at most 64 POSTs in flight: the sends per second the server answered is its ceiling.
- ``latency``: the same streams at ``--rate`` (100/s) for 20 s: POST -> event p50/p90/p99, lost,
  duplicated, KB per stream, server CPU per delivered event.
- ``idle``: ``--idle-streams`` streams (10 per customer) opened over 60 s, 30 s idle: streams
  accepted, idle CPU, KB per stream.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "benchmarks" / "vendor"
PEER_REQUIREMENTS = [
    "django>=5.2,<6",
    "django-eventstream==5.3.4",
    "daphne",
    "redis",  # EVENTSTREAM_REDIS, with --processes
    "aiohttp",
    "httptools",
    "uvloop",
]
AGENT = "agent_1"
MAX_INFLIGHT = "64"

started: list[subprocess.Popen] = []


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else min(65536, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def run(cmd, **kwargs) -> None:
    subprocess.run(cmd, check=True, **kwargs)


def psql(server: str, sql: str) -> str:
    out = subprocess.run(
        ["psql", f"{server}/postgres", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


# ------------------------------------------------------------------------------ processes


def start(cmd, *, cwd, env, logfile: Path) -> subprocess.Popen:
    # Its own process group, so that stopping it takes daphne's children too.
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=logfile.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )
    started.append(proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc in started:
        started.remove(proc)


def stop_everything(*_args) -> None:
    for proc in list(started):
        stop(proc)
    if _args:  # a signal
        sys.exit(1)


def wait_ready(proc: subprocess.Popen, url: str, logfile: Path, seconds: float = 60) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {logfile.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer: the server is up
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server not ready after {seconds} s: {logfile.read_text()[-2000:]}")


# ------------------------------------------------------------------------------ the two servers


class Peer:
    name = "peer"

    def __init__(self, work: Path):
        self.work = work
        self.venv = work / "peer-venv"
        self.python = self.venv / "bin" / "python"
        self.db = work / "peer.sqlite3"

    def install(self) -> None:
        installed = self.venv / "requirements.txt"
        if installed.exists() and installed.read_text() == "\n".join(PEER_REQUIREMENTS):
            return
        log(f"installing the peer into {self.venv}")
        run([sys.executable, "-m", "venv", str(self.venv)])
        run([str(self.python), "-m", "pip", "install", "-q", *PEER_REQUIREMENTS])
        installed.write_text("\n".join(PEER_REQUIREMENTS))

    def env(self, redis: str | None = None) -> dict:
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.update({"PEER_DB": str(self.db), "PEERBENCH": str(self.work)})
        if redis:
            env["REDIS_URL"] = redis
        return env

    def start(self, ports: list[int], redis: str | None = None) -> list[subprocess.Popen]:
        for path in self.work.glob("peer.sqlite3*"):
            path.unlink()
        run([str(self.python), "manage.py", "migrate", "-v0"], cwd=VENDOR / "peer", env=self.env())
        procs = []
        for port in ports:
            logfile = self.work / "logs" / f"peer-{port}.log"
            cmd = [str(self.venv / "bin" / "daphne"), "-v", "0", "-b", "127.0.0.1", "-p", str(port)]
            env = self.env(redis)
            procs.append(start([*cmd, "peerproj.asgi:application"], cwd=VENDOR / "peer", env=env, logfile=logfile))
            wait_ready(procs[-1], f"http://127.0.0.1:{port}/send/ping/", logfile)
        return procs

    def client_flags(self) -> list[str]:
        return ["peer"]


class OscarChat:
    name = "oscar_chat"

    def __init__(self, work: Path, server: str, db: str, customers: int, project: Path):
        self.work = work
        self.project = project
        self.server = server
        self.template = db
        self.run_db = f"{db}_run"
        self.customers = customers
        self.python = ROOT / ".venv" / "bin" / "python"
        self.tokens = work / "oscar_tokens.json"

    def env(self, database: str, redis: str | None = None) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
        # PYTHONPATH: the project's package, even when --project is another checkout than the venv's.
        env.update({"DATABASE_URL": f"{self.server}/{database}", "DEBUG": "0", "PYTHONPATH": str(self.project)})
        if redis:
            env["REDIS_URL"] = redis
        return env

    def install(self, refresh: bool) -> None:
        if not self.python.exists():
            raise SystemExit("this project's virtualenv is missing: run `make install` first")
        exists = psql(self.server, f"SELECT 1 FROM pg_database WHERE datname = '{self.template}'") == "1"
        fresh_tokens = self.tokens.exists() and time.time() - self.tokens.stat().st_mtime < 6 * 3600
        if exists and fresh_tokens and not refresh:
            return
        if refresh or not exists:
            log(f"making the template database {self.template} ({self.customers} customers)")
            psql(self.server, f"DROP DATABASE IF EXISTS {self.run_db}")
            psql(self.server, f"DROP DATABASE IF EXISTS {self.template}")
            psql(self.server, f"CREATE DATABASE {self.template}")
            run(
                [str(self.python), "sandbox/manage.py", "migrate", "--noinput", "-v0"],
                cwd=ROOT,
                env=self.env(self.template),
            )
        log("writing the benchmark users' tokens (8 h)")
        env = self.env(self.template) | {
            "BENCH_COUNT": str(self.customers),
            "BENCH_TOKEN_HOURS": "8",
            "BENCH_TOKENS": str(self.tokens),
        }
        with (VENDOR / "bench_users.py").open() as script:
            run(
                [str(self.python), "sandbox/manage.py", "shell"],
                cwd=ROOT,
                env=env,
                stdin=script,
                stdout=subprocess.DEVNULL,
            )

    def start(self, ports: list[int], redis: str | None = None) -> list[subprocess.Popen]:
        psql(self.server, f"DROP DATABASE IF EXISTS {self.run_db}")
        psql(self.server, f"CREATE DATABASE {self.run_db} TEMPLATE {self.template}")
        procs = []
        for port in ports:
            logfile = self.work / "logs" / f"oscar-{port}.log"
            cmd = [*self.server_command(), "-v", "0", "-b", "127.0.0.1", "-p", str(port)]
            env = self.env(self.run_db, redis)
            procs.append(start([*cmd, "sandbox.asgi:application"], cwd=self.project, env=env, logfile=logfile))
            wait_ready(procs[-1], f"http://127.0.0.1:{port}/api/chat/sse", logfile)
        return procs

    def server_command(self) -> list[str]:
        """The project's daphne (``oscar_chat.server``), or plain daphne for a checkout without it."""
        if (self.project / "oscar_chat" / "server.py").exists():
            return [str(self.python), "-m", "oscar_chat.server"]
        return [str(ROOT / ".venv" / "bin" / "daphne")]

    def client_flags(self) -> list[str]:
        return ["oscar_chat", "--tokens", str(self.tokens), "--agent", AGENT]

    def drop(self) -> None:
        psql(self.server, f"DROP DATABASE IF EXISTS {self.run_db}")
        psql(self.server, f"DROP DATABASE IF EXISTS {self.template}")


# ------------------------------------------------------------------------------ runs


def scenarios(args) -> dict[str, list[str]]:
    room_streams = str(args.streams - args.agent_streams)
    agents = str(args.agent_streams)
    found = {
        "ceiling": ["--streams", room_streams, "--agent-streams", agents, "--rate", str(args.ceiling_rate)]
        + ["--seconds", "10", "--max-inflight", MAX_INFLIGHT],
        "latency": ["--streams", room_streams, "--agent-streams", agents, "--rate", str(args.rate)]
        + ["--seconds", str(args.seconds), "--max-inflight", MAX_INFLIGHT],
    }
    if args.idle_streams:
        found["idle"] = ["--streams", str(args.idle_streams), "--rooms", str(max(1, args.idle_streams // 10))]
        found["idle"] += ["--ramp", "60", "--connect-timeout", "20", "--idle", "30", "--rate", "10", "--seconds", "5"]
        found["idle"] += ["--max-seconds", "900", "--setup-concurrency", "16", "--max-inflight", MAX_INFLIGHT]
    return {name: flags for name, flags in found.items() if name in args.only_scenarios}


def empty_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def measure(side, client: Path, label: str, flags: list[str], results: Path, processes=1, redis=None) -> dict:
    if redis:
        empty_redis(redis)
    ports = [free_port() for _ in range(processes)]
    procs = side.start(ports, redis)
    bases = [flag for port in ports for flag in ("--base", f"http://127.0.0.1:{port}")]
    pids = [flag for proc in procs for flag in ("--pid", str(proc.pid))]
    try:
        warm = [str(client), str(VENDOR / "sse_load.py"), *side.client_flags(), *bases]
        warm += ["--streams", "50", "--rate", "20", "--seconds", "2"]
        subprocess.run(warm, capture_output=True, cwd=ROOT)
        load = load_average()
        out = results / f"{label}.json"
        log(f"{label}: load {load}")
        cmd = [str(client), str(VENDOR / "sse_load.py"), *side.client_flags(), *bases]
        cmd += [*pids, "--label", label, "--out", str(out), *flags]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0 or not out.exists():
            log(f"{label} failed: {done.stderr[-1500:]}")
            return {"label": label, "load1": load, "failed": True}
        report = json.loads(out.read_text())
        report["load1"] = load
        return report
    finally:
        for proc in procs:
            stop(proc)


def cpu_per_send(server: dict, deliveries: dict, messages: dict):
    """Server CPU over the send phase per answered POST (per delivery undercounts a server that lost some)."""
    per_delivery = server.get("cpu_us_per_delivery")
    if not per_delivery or not messages.get("ok"):
        return None
    return round(per_delivery * deliveries["received"] / messages["ok"])


def figures(report: dict, scenario: str, seconds: float) -> dict:
    if report.get("failed"):
        return {"load1": report["load1"]}
    messages, deliveries, server = report["messages"], report["deliveries"], report.get("server", {})
    latency = deliveries.get("latency_ms") or {}
    found = {"load1": report["load1"]}
    if scenario == "ceiling":
        found["sends/s ceiling"] = round(messages["ok"] / seconds, 1)
        found["CPU µs per send (ceiling)"] = cpu_per_send(server, deliveries, messages)
    elif scenario == "latency":
        found.update(
            {
                "sent of offered": f"{messages['ok']}/{messages['scheduled']}",
                "p50 ms": latency.get("p50"),
                "p90 ms": latency.get("p90"),
                "p99 ms": latency.get("p99"),
                "lost": deliveries["lost"],
                "duplicated": deliveries["duplicated"],
                "KB/stream": server.get("kb_per_stream"),
                "CPU µs per delivery": server.get("cpu_us_per_delivery"),
                "CPU µs per send": cpu_per_send(server, deliveries, messages),
            }
        )
    else:
        streams = report["streams"]
        found.update(
            {
                "streams accepted": f"{streams['connected']}/{streams['requested']}",
                "idle CPU %": server.get("idle_cpu_pct"),
                "KB/stream (idle run)": server.get("kb_per_stream"),
            }
        )
    return found


def number(value):
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value.split("/")[0])
        except ValueError:
            return None
    return None


def ratio(ours, peer) -> str:
    a, b = number(ours), number(peer)
    if a is None or b is None:
        return "–"
    if b == 0:
        return "–" if a else "="
    return f"{a / b:.2f}×"


def table(title: str, rows: list[tuple[str, object, object]]) -> str:
    lines = [f"\n{title}\n", "| | oscar_chat | peer | oscar_chat / peer |", "|---|---|---|---|"]
    for name, ours, peer in rows:
        show = ["–" if v is None else str(v) for v in (ours, peer)]
        lines.append(f"| {name} | {show[0]} | {show[1]} | {'' if name.startswith('load1') else ratio(ours, peer)} |")
    return "\n".join(lines)


def rows_of(round_: dict) -> list[tuple[str, object, object]]:
    rows = []
    for scenario, pair in round_.items():
        ours, peer = pair.get("oscar_chat", {}), pair.get("peer", {})
        for key in dict.fromkeys([*ours, *peer]):
            name = f"load1 at start ({scenario})" if key == "load1" else key
            rows.append((name, ours.get(key), peer.get(key)))
    return rows


def medians(rounds: list[dict]) -> list[tuple[str, object, object]]:
    collected: dict[str, tuple[list, list]] = {}
    for round_ in rounds:
        for name, ours, peer in rows_of(round_):
            pair = collected.setdefault(name, ([], []))
            pair[0].append(ours)
            pair[1].append(peer)

    def median(values):
        numbers = [number(v) for v in values if number(v) is not None]
        if not numbers:
            return None
        if any(isinstance(v, str) and "/" in v for v in values):
            return " · ".join(str(v) for v in values if v is not None)  # counts "x/y": each round's
        return round(statistics.median(numbers), 2)

    return [(name, median(ours), median(peer)) for name, (ours, peer) in collected.items()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=2, help="rounds (each runs both, alternating who goes first)")
    parser.add_argument("--streams", type=int, default=1010, help="streams of the ceiling and latency runs")
    parser.add_argument("--agent-streams", type=int, default=10, help="of those, streams that see every room")
    parser.add_argument("--ceiling-rate", type=float, default=400, help="sends/s offered to find the ceiling")
    parser.add_argument("--rate", type=float, default=100, help="sends/s of the latency run")
    parser.add_argument("--seconds", type=float, default=20, help="length of the latency run")
    parser.add_argument("--idle-streams", type=int, default=10000, help="streams of the idle run (0: none)")
    parser.add_argument("--scenarios", default="ceiling,latency,idle", help="which runs, comma-separated")
    parser.add_argument("--only", choices=["peer", "oscar_chat"], help="measure one side only")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "oscar_chat_bench"), help="template database")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "oscar_chat_bench"))
    parser.add_argument("--project", default=str(ROOT), help="the checkout whose sandbox is measured (a baseline)")
    parser.add_argument("--refresh", action="store_true", help="remake the template database")
    parser.add_argument("--drop", action="store_true", help="drop the databases at the end")
    parser.add_argument("--processes", type=int, default=1, help="server processes per side (needs --redis past 1)")
    parser.add_argument("--redis", help="Redis URL the processes share (its database is emptied before each run)")
    args = parser.parse_args()
    if args.processes > 1 and not args.redis:
        parser.error("--processes above 1 needs --redis")
    args.only_scenarios = set(args.scenarios.split(","))

    if not shutil.which("psql"):
        raise SystemExit("psql is needed (PostgreSQL client)")
    raise_fd_limit()
    signal.signal(signal.SIGTERM, stop_everything)
    signal.signal(signal.SIGINT, stop_everything)
    work = Path(args.work)
    results = work / "results" / time.strftime("%Y%m%d-%H%M%S")
    (work / "logs").mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True)

    customers = max(args.streams, args.idle_streams // 10)
    peer, ours = Peer(work), OscarChat(work, args.pg, args.db, customers, Path(args.project))
    sides = [side for side in (peer, ours) if args.only in (None, side.name)]
    rounds = []
    try:
        peer.install()  # the client runs in the peer's virtualenv, whatever --only says
        if ours in sides:
            ours.install(args.refresh)
        plan = scenarios(args)
        for rep in range(args.reps):
            round_: dict[str, dict] = {}
            for scenario, flags in plan.items():
                order = sides if rep % 2 == 0 else sides[::-1]
                for side in order:
                    label = f"{side.name}-{scenario}-r{rep + 1}"
                    report = measure(side, peer.python, label, flags, results, args.processes, args.redis)
                    round_.setdefault(scenario, {})[side.name] = figures(report, scenario, 10.0)
            rounds.append(round_)
            title = f"Round {rep + 1} of {args.reps}, {args.processes} process(es) per side"
            print(table(title, rows_of(round_)), flush=True)
        if len(rounds) > 1:
            print(table(f"Medians of {len(rounds)} rounds", medians(rounds)))
        print(f"\nJSON reports: {results}")
        (results / "summary.json").write_text(json.dumps(rounds, indent=1))
    finally:
        stop_everything()
        if args.drop and ours in sides:
            ours.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
