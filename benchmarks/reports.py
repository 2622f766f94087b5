"""Chat reports at scale: the "Chat reports" figures over 1M messages in PostgreSQL.

    .venv/bin/python benchmarks/reports.py [--messages 1000000] [--rooms 100000] [--runs 7]
        [--server postgres://postgres@127.0.0.1:5432/postgres] [--database NAME] [--keep]

Creates a scratch database, migrates it, generates a year of chat with bulk SQL
(``INSERT ... SELECT generate_series``: customers, agents, rooms with first-response and
resolution times and ratings, messages spread over the rooms' lives), then times what the
reports page runs (``oscar_chat.operations.reports.chat_stats``) for 30 days, 90 days and the
whole year, the page itself through the admin and ``GET stats`` through the API, twice: always
open (no opening hours), then with opening hours (weekdays 09:00-17:00, 10 holidays), which
business time counts. For comparison it times the first-response figure computed the way one
would without the room's timestamps (the first agent message of each room, from the messages),
and prints the ratio. Reports p50 of the runs, in milliseconds (``--best``: the fastest run,
steadier on a machine others use).

``--database NAME --keep`` keeps the generated database; a later run with the same name finds
its rooms and skips the generation (it migrates it first), to compare two versions of the code.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def with_database(server_url, name):
    return urlunparse(urlparse(server_url)._replace(path=f"/{name}"))


def generate(rooms, messages, customers=20000, agents=12, days=365):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                                   is_staff, is_active, date_joined)
            SELECT '!', false, 'customer' || i, 'Customer', i::text, 'customer' || i || '@example.com',
                   false, true, now()
            FROM generate_series(1, %(customers)s) i;
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                                   is_staff, is_active, date_joined)
            SELECT '!', true, 'agent' || i, 'Agent', i::text, 'agent' || i || '@example.com', true, true, now()
            FROM generate_series(1, %(agents)s) i;
            """,
            {"customers": customers, "agents": agents},
        )
        cur.execute("SELECT min(id), max(id) FROM auth_user WHERE username LIKE 'customer%%'")
        c_min, c_max = cur.fetchone()
        cur.execute("SELECT min(id), max(id) FROM auth_user WHERE username LIKE 'agent%%'")
        a_min, a_max = cur.fetchone()
        cur.execute(
            """
            INSERT INTO oscar_chat_chatroom (user_id, admin_id, status, subject, priority, last_message,
                last_activity, is_read, customer_unread_count, agent_unread_count, created_at,
                first_response_at, resolved_at, rating_score, rating_comment, rated_at,
                customer_emailed_message_id, labels)
            SELECT %(c_min)s + (i * 7919) %% (%(c_max)s - %(c_min)s + 1),
                   %(a_min)s + i %% (%(a_max)s - %(a_min)s + 1),
                   CASE WHEN i %% 5 = 0 THEN 'OPEN' ELSE 'RESOLVED' END,
                   'Question ' || i, 'NORMAL', 'last', created + interval '1 hour', true, 0, 0, created,
                   created + (30 + (i * 37) %% 7200) * interval '1 second',
                   CASE WHEN i %% 5 = 0 THEN NULL ELSE created + (600 + (i * 53) %% 172800) * interval '1 second' END,
                   CASE WHEN i %% 3 = 0 THEN 1 + i %% 5 END, '', NULL, 0, '[]'
            FROM (SELECT i, now() - (%(days)s * interval '1 day') * (i::float / %(rooms)s) AS created
                  FROM generate_series(1, %(rooms)s) i) s
            """,
            {"c_min": c_min, "c_max": c_max, "a_min": a_min, "a_max": a_max, "rooms": rooms, "days": days},
        )
        cur.execute("SELECT min(id), max(id) FROM oscar_chat_chatroom")
        r_min, r_max = cur.fetchone()
        cur.execute(
            """
            INSERT INTO oscar_chat_chatmessage (room_id, sender_id, message, message_type, attachment,
                attachment_name, attachment_content_type, is_read, created_at, is_automatic)
            SELECT r.id, CASE WHEN m.i %% 2 = 0 THEN r.user_id ELSE r.admin_id END,
                   'message ' || m.i, 'TEXT', '', '', '', true,
                   r.created_at + (m.i / %(rooms)s) * interval '3 minutes', false
            FROM generate_series(0, %(messages)s - 1) m(i)
            JOIN oscar_chat_chatroom r ON r.id = %(r_min)s + m.i %% (%(r_max)s - %(r_min)s + 1)
            """,
            {"messages": messages, "rooms": rooms, "r_min": r_min, "r_max": r_max},
        )
        # What autovacuum does soon after in a live database (and the server here may run without
        # it): without the visibility map, counting messages reads the table instead of the index.
        cur.execute("VACUUM ANALYZE")


def set_opening_hours(on):
    """Weekdays 09:00-17:00 and ten holidays over the year (``on``), or none at all: always open."""
    from datetime import time as clock_time

    from django.utils import timezone

    from oscar_chat.operations.hours import store_timezone
    from oscar_chat.operations.models import Holiday, OpeningHours

    OpeningHours.objects.all().delete()
    Holiday.objects.all().delete()
    if on:
        for weekday in range(5):
            OpeningHours.objects.create(weekday=weekday, opens_at=clock_time(9), closes_at=clock_time(17))
        today = timezone.localdate(timezone=store_timezone())
        for i in range(10):
            Holiday.objects.create(date=today.replace(day=1) - timedelta(days=36 * i + 3), name=f"holiday {i}")


def timed(func, runs, best=False):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return min(samples) if best else statistics.median(samples)


def naive_first_response(period):
    """The first-response figure without the room's timestamp: the first agent message of each room."""
    from django.db.models import Min, OuterRef, Subquery

    from oscar_chat.models import ChatMessage, ChatRoom

    first = (
        ChatMessage.objects.filter(room=OuterRef("pk"))
        .exclude(sender=OuterRef("user"))
        .order_by()
        .values("room")
        .annotate(t=Min("created_at"))
        .values("t")
    )
    return list(
        ChatRoom.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        .annotate(first=Subquery(first))
        .values_list("created_at", "first")
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--best", action="store_true", help="the fastest run instead of the median (a busy machine)")
    parser.add_argument("--database", help="name of the scratch database (default: a new one per run)")
    parser.add_argument("--keep", action="store_true", help="keep the database (reused by a run with its --database)")
    args = parser.parse_args()

    import psycopg

    name = args.database or f"bench_chat_reports_{os.getpid()}"
    admin = psycopg.connect(args.server, autocommit=True)
    existed = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
    if not existed:
        admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = with_database(args.server, name)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        from oscar_chat.models import ChatRoom
        from oscar_chat.operations.reports import Period, chat_stats

        call_command("migrate", verbosity=0)
        if existed and ChatRoom.objects.exists():
            print(f"reusing {name}: {ChatRoom.objects.count()} rooms")
        else:
            start = time.perf_counter()
            generate(args.rooms, args.messages)
            print(f"generated {args.rooms} rooms, {args.messages} messages in {time.perf_counter() - start:.0f} s")

        from django.contrib.auth import get_user_model

        agent = get_user_model().objects.filter(username="agent1").get()
        client = Client()
        client.force_login(agent)
        statistic = "fastest" if args.best else "p50"
        print(f"PostgreSQL {connection.pg_version}; {statistic} of {args.runs} runs; load average {os.getloadavg()}")
        for hours in (False, True):
            set_opening_hours(hours)
            results = []
            for days in (30, 90, 365):
                period = Period.last_days(days)
                stats = chat_stats(period)
                ms = timed(lambda p=period: chat_stats(p), args.runs, args.best)
                naive = timed(lambda p=period: naive_first_response(p), max(3, args.runs // 2), args.best)
                url = f"/admin/oscar_chat/chatreport/?from={period.first}&to={period.last}"
                page = timed(lambda u=url: client.get(u), args.runs, args.best)
                api = f"/api/chat/stats?from={period.first}&to={period.last}"
                assert client.get(api).status_code == 200
                endpoint = timed(lambda u=api: client.get(u), args.runs, args.best)
                results.append((days, stats["conversations"], stats["messages"], ms, page, endpoint, naive))
            print("with opening hours (business time)" if hours else "always open (no opening hours)")
            print("period  rooms   messages  chat_stats ms  page ms  GET stats ms  naive first response ms  ratio")
            for days, rooms, messages, ms, page, endpoint, naive in results:
                print(
                    f"{days:>4} d  {rooms:>6}  {messages:>8}  {ms:>13.0f}  {page:>7.0f}  {endpoint:>12.0f}"
                    f"  {naive:>23.0f}  {naive / ms:>5.1f}x"
                )
        set_opening_hours(False)
        print(f"load average {os.getloadavg()}")
        connection.close()
    finally:
        if not args.keep:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
