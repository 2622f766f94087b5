"""What the message limit costs, counted under a row lock in PostgreSQL, against a Redis counter.

    .venv/bin/python benchmarks/rate_limits.py [--sends 300] [--burst 100]
        [--server postgres://postgres@127.0.0.1:5432/postgres] [--redis redis://127.0.0.1:6379/15]

Creates a scratch database on the server, migrates it, and sends messages as one customer
through ``services.post_message`` (what the API calls), reporting milliseconds per send (p50):

- ``no limit``: ``OSCAR_CHAT_RATE_LIMIT_MESSAGES = None``, the floor;
- ``locked row``: the limit as shipped (``oscar_chat.limits``: the customer's row locked in the
  sending transaction, their messages in the window counted);
- ``redis counter``: the peer: no limit in the database, an ``INCR`` + ``EXPIRE`` pipeline in
  Redis before each send instead (a fixed window, what a Redis limiter would do).

Then a burst: ``--burst`` threads sending at once with a limit of 30, each on its own
connection, for the locked row; it reports how many were stored (30 is right) and the wall
time. The scratch database is dropped at the end.
"""

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def admin_connection(server_url):
    import psycopg

    return psycopg.connect(server_url, autocommit=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sends", type=int, default=300)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))
    args = parser.parse_args()

    name = f"oc_bench_limits_{uuid.uuid4().hex[:8]}"
    with admin_connection(args.server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        parsed = urlparse(args.server)
        os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{name}"))
        os.environ.pop("REDIS_URL", None)
        os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        for conn in connections.all():
            if hasattr(conn, "close_pool"):
                conn.close_pool()
        with admin_connection(args.server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args):
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from oscar_chat import services
    from oscar_chat.exceptions import RateLimited
    from oscar_chat.models import ChatMessage

    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    customer = users.create_user("bench-customer", "c@example.com", None)
    room = services.open_room(customer=customer, opened_by=customer, subject="Benchmark")
    counter = redis.Redis.from_url(args.redis)

    def timed(label, before_send=None):
        times = []
        for n in range(args.sends):
            started = time.perf_counter()
            if before_send:
                before_send()
            services.post_message(room, customer, message=f"{label} {n}")
            times.append((time.perf_counter() - started) * 1000)
        ChatMessage.objects.filter(sender=customer).delete()  # the next run starts below the limit
        return statistics.median(times)

    def redis_counter():
        key = f"bench:limit:{customer.pk}"
        with counter.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, 60)
            count, _ = pipe.execute()
        if count > 10**9:
            raise RateLimited(60)

    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = None
    timed("warm-up")
    floor = timed("no limit")
    peer = timed("redis counter", redis_counter)
    # The default limit, in a window too short to refuse: the same lock and the same query, never a 429.
    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES, settings.OSCAR_CHAT_RATE_LIMIT_WINDOW = 30, 0.001
    locked = timed("locked row")
    settings.OSCAR_CHAT_RATE_LIMIT_WINDOW = 60
    print(f"{args.sends} sequential sends by one customer on PostgreSQL, ms per send (p50):")
    print(f"  no limit       {floor:6.2f}")
    print(f"  redis counter  {peer:6.2f}  ({peer / floor:.2f}x the floor)")
    print(f"  locked row     {locked:6.2f}  ({locked / floor:.2f}x the floor)")

    settings.OSCAR_CHAT_RATE_LIMIT_MESSAGES = 30
    barrier = threading.Barrier(args.burst)
    outcomes = []

    def sender(n):
        barrier.wait()
        try:
            services.post_message(room, customer, message=f"burst {n}")
            outcomes.append("stored")
        except RateLimited:
            outcomes.append("limited")
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(args.burst)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    stored = ChatMessage.objects.filter(sender=customer).count()
    print(
        f"{args.burst} simultaneous sends, limit 30, locked row: {stored} stored, "
        f"{outcomes.count('limited')} refused, {wall:.2f} s"
    )


if __name__ == "__main__":
    main()
