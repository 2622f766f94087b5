"""Idle streams on one server process: its CPU, and how long each stream goes without a byte.

    .venv/bin/python benchmarks/keepalive_silence.py --work /tmp/bench --db oc_bench
    .venv/bin/python benchmarks/keepalive_silence.py ... --server daphne --keepalive 20

Uses what ``benchmarks/compare.py`` made under the same ``--work`` and ``--db`` (its template
database and its customers' tokens: run it once first). Copies the template to ``<db>_silence``,
starts the sandbox on ``--server`` (``oscar_chat.server`` or plain ``daphne``, ``-v 0``,
``DEBUG=0``) with ``OSCAR_CHAT_SSE_KEEPALIVE_SECONDS=--keepalive``, opens ``--streams`` streams
(10 per customer, 200 a second), waits 10 s, then for ``--watch`` seconds measures the server's
CPU (``/proc``) and the gap before every chunk each stream receives. The API promises a
keep-alive "at least every 20 seconds": the longest gap is what a client actually sees. Prints
one JSON line; stops the server and drops its database.
"""

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import ROOT, free_port, load_average, psql, raise_fd_limit, start, stop, wait_ready  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def hold(port: int, token: str, gaps: list, opened: list, stop_at: asyncio.Event) -> None:
    """One stream: note when it opened, then the gap before every chunk after that."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
    request = f"GET /api/chat/sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    writer.write(request.encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        return
    opened.append(1)
    last = time.monotonic()
    while not stop_at.is_set():
        if not await reader.read(65536):
            return
        now = time.monotonic()
        gaps.append((now, now - last))
        last = now


async def measure(port: int, pid: int, tokens: list[str], streams: int, watch: float) -> dict:
    gaps: list = []
    opened: list = []
    stop_at = asyncio.Event()
    tasks = []
    for i in range(streams):
        tasks.append(asyncio.ensure_future(hold(port, tokens[i % len(tokens)], gaps, opened, stop_at)))
        if i % 50 == 49:
            await asyncio.sleep(0.25)
    await asyncio.sleep(10)
    load, begin, cpu = load_average(), time.monotonic(), cpu_seconds(pid)
    await asyncio.sleep(watch)
    end, used = time.monotonic(), cpu_seconds(pid) - cpu
    stop_at.set()
    for task in tasks:
        task.cancel()
    watched = sorted(gap for at, gap in gaps if at > begin)
    return {
        "streams": len(opened),
        "load1_at_start": load,
        "idle_cpu_pct": round(100 * used / (end - begin), 2),
        "chunks_per_s": round(len(watched) / (end - begin), 1),
        "longest_silence_s": round(watched[-1], 3) if watched else None,
        "median_silence_s": round(watched[len(watched) // 2], 3) if watched else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="compare.py's --work")
    parser.add_argument("--db", required=True, help="compare.py's template database")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--server", choices=["oscar_chat.server", "daphne"], default="oscar_chat.server")
    parser.add_argument("--keepalive", type=float, default=None, help="SSE_KEEPALIVE_SECONDS (default: the package's)")
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--watch", type=float, default=75.0, help="seconds measured, after opening")
    args = parser.parse_args()
    raise_fd_limit()
    tokens = json.loads((args.work / "oscar_tokens.json").read_text())
    customers = [token for user, token in tokens.items() if user.startswith("cust_")]
    database = f"{args.db}_silence"
    psql(args.pg, f"DROP DATABASE IF EXISTS {database}")
    psql(args.pg, f"CREATE DATABASE {database} TEMPLATE {args.db}")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"DATABASE_URL": f"{args.pg}/{database}", "DEBUG": "0"})
    if args.keepalive is not None:
        env["OSCAR_CHAT_SSE_KEEPALIVE_SECONDS"] = str(args.keepalive)
    python = ROOT / ".venv" / "bin" / "python"
    server = (
        [str(python), "-m", "oscar_chat.server"]
        if args.server == "oscar_chat.server"
        else [str(python), "-m", "daphne"]
    )
    port = free_port()
    logfile = args.work / "logs" / "silence.log"
    logfile.parent.mkdir(parents=True, exist_ok=True)
    proc = start(
        [*server, "-v", "0", "-b", "127.0.0.1", "-p", str(port), "sandbox.asgi:application"],
        cwd=ROOT,
        env=env,
        logfile=logfile,
    )
    try:
        wait_ready(proc, f"http://127.0.0.1:{port}/api/chat/sse", logfile)
        found = asyncio.run(measure(port, proc.pid, customers, args.streams, args.watch))
    finally:
        stop(proc)
        psql(args.pg, f"DROP DATABASE IF EXISTS {database}")
    print(json.dumps({"server": args.server, "keepalive": args.keepalive, **found}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
