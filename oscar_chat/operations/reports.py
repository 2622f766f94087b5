"""Chat reports (selectors): conversations, messages, response and resolution times, satisfaction.

Everything but the messages per day is read from the rooms (their ``first_response_at`` and
``resolved_at``), never from the messages. On PostgreSQL the percentiles are computed by the
database (``percentile_cont``) and messages are counted per day on the ``created_at`` index;
business time too: the open periods of the report's range (``BusinessClock``, computed in
Python from the opening hours) go to the query as arrays, where each room's moments are looked
up (``width_bucket``, a binary search). Other databases get the same figures computed in Python
from the rooms' rows, with the same open periods. The figures per agent are the same, grouped
by the room's assigned agent (in the same queries on PostgreSQL), plus the messages each wrote.
"""

import csv
import io
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Aggregate, Avg, Count, F, FloatField, Func, Max
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import ChatMessage, ChatRoom
from ..roles import display_name
from .hours import BusinessClock, load_schedule, store_timezone

MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    """Whole days ``first``..``last`` (inclusive) in the store's time zone."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=store_timezone())

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=store_timezone())

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> "Period":
        today = today or timezone.localdate(timezone=store_timezone())
        return cls(today - timedelta(days=days - 1), today)


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _p50_p90(values: list[float]) -> dict:
    def rounded(v):
        return None if v is None else round(v)

    return {"p50": rounded(percentile(values, 0.5)), "p90": rounded(percentile(values, 0.9))}


def _average(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _per_day(queryset, period: Period, tz) -> dict[date, int]:
    """Rows created on each day of ``period`` (store's time zone), counted by the database."""
    return dict(
        queryset.filter(created_at__gte=period.start, created_at__lt=period.end)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .order_by()
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``; NULLs are skipped."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _seconds_between(start: str, end: str) -> Func:
    return Func(F(end) - F(start), template="date_part('epoch', %(expressions)s)", output_field=FloatField())


def _business_figures_in_postgres(rooms, clock: BusinessClock) -> tuple[dict, dict, dict[int, tuple[dict, dict]]]:
    """p50 and p90 of first response and resolution in business time, computed by PostgreSQL:
    for all the rooms, and for each assigned agent's (``{admin_id: (first response, resolution)}``).

    The open periods go in as arrays of epoch seconds (``date_part``: float arithmetic, where
    ``EXTRACT`` would be numeric); ``width_bucket`` finds the period of each moment by binary
    search, and the open seconds until a moment are those before its period plus its part of it.
    One pass over the rooms gives both the totals and the agents' figures (``GROUPING SETS``).
    """
    opens, closes, open_before = clock.calendar()
    moments = rooms.order_by().values("created_at", "first_response_at", "resolved_at", "admin_id")
    rooms_sql, rooms_params = moments.query.get_compiler(connection=connection).as_sql()

    def open_seconds_until(moment: str) -> str:
        bucket = f"{moment}_period"
        return (
            f"CASE WHEN {bucket} = 0 THEN 0"
            f" ELSE open_before[{bucket}] + LEAST({moment}, closes[{bucket}]) - opens[{bucket}] END"
        )

    def business_seconds(until: str) -> str:
        return f"CASE WHEN {until} IS NOT NULL THEN GREATEST({until} - created, 0) END"

    # Each level computes its columns once: OFFSET 0 keeps PostgreSQL from merging a level into
    # the next, which would repeat its expressions wherever the next one uses them.
    sql = f"""
        SELECT GROUPING(admin_id) = 1 AS everyone, admin_id,
               percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {business_seconds("responded")}),
               percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {business_seconds("resolved")})
        FROM (
            SELECT {open_seconds_until("created")} AS created,
                   {open_seconds_until("responded")} AS responded,
                   {open_seconds_until("resolved")} AS resolved,
                   admin_id
            FROM (
                SELECT moments.*,
                       width_bucket(created, opens) AS created_period,
                       width_bucket(responded, opens) AS responded_period,
                       width_bucket(resolved, opens) AS resolved_period
                FROM (
                    SELECT date_part('epoch', room.created_at) AS created,
                           date_part('epoch', room.first_response_at) AS responded,
                           date_part('epoch', room.resolved_at) AS resolved,
                           room.admin_id,
                           calendar.*
                    FROM ({rooms_sql}) room,
                         (SELECT %s::float8[] AS opens, %s::float8[] AS closes, %s::float8[] AS open_before) calendar
                ) moments
                OFFSET 0
            ) periods
            OFFSET 0
        ) open_seconds
        GROUP BY GROUPING SETS ((), (admin_id))
    """

    def epochs(moments):
        return [moment.timestamp() for moment in moments]

    with connection.cursor() as cursor:
        cursor.execute(sql, [*rooms_params, epochs(opens), epochs(closes), open_before])
        rows = cursor.fetchall()

    def p50_p90(values):
        return {"p50": None, "p90": None} if values is None else {"p50": round(values[0]), "p90": round(values[1])}

    first_response = resolution = p50_p90(None)
    agents = {}
    for everyone, admin_id, responded, resolved in rows:
        if everyone:
            first_response, resolution = p50_p90(responded), p50_p90(resolved)
        elif admin_id is not None:  # the unassigned rooms' group: in the totals only
            agents[admin_id] = (p50_p90(responded), p50_p90(resolved))
    return first_response, resolution, agents


def _figures_in_postgres(rooms, clock: BusinessClock | None) -> dict:
    """Percentiles, averages and counts computed by PostgreSQL: no room row leaves the database."""
    responded = _seconds_between("created_at", "first_response_at")
    resolved = _seconds_between("created_at", "resolved_at")

    def rounded(value):
        return None if value is None else round(value)

    common = {
        "conversations": Count("id"),
        "fr50": PercentileCont(responded, 0.5),
        "fr90": PercentileCont(responded, 0.9),
        "rs50": PercentileCont(resolved, 0.5),
        "rs90": PercentileCont(resolved, 0.9),
        "csat": Avg("rating_score"),
        "csat_n": Count("rating_score"),
    }
    total = rooms.order_by().aggregate(**common)
    first_response = {"p50": rounded(total["fr50"]), "p90": rounded(total["fr90"])}
    resolution = {"p50": rounded(total["rs50"]), "p90": rounded(total["rs90"])}
    agents = {
        row["admin_id"]: {
            "conversations": row["conversations"],
            "first_response": {"p50": rounded(row["fr50"]), "p90": rounded(row["fr90"])},
            "resolution": {"p50": rounded(row["rs50"]), "p90": rounded(row["rs90"])},
            "csat_average": _rounded_average(row["csat"]),
            "csat_responses": row["csat_n"],
        }
        for row in rooms.filter(admin__isnull=False).order_by().values("admin_id").annotate(**common)
    }
    if clock:
        first_response_business, resolution_business, agents_business = _business_figures_in_postgres(rooms, clock)
        for pk, agent in agents.items():
            agent["first_response_business"], agent["resolution_business"] = agents_business[pk]
    else:  # always open: business time is wall-clock time
        first_response_business, resolution_business = first_response, resolution
        for agent in agents.values():
            agent["first_response_business"], agent["resolution_business"] = (
                agent["first_response"],
                agent["resolution"],
            )
    return {
        "conversations": total["conversations"],
        "first_response": first_response,
        "first_response_business": first_response_business,
        "resolution": resolution,
        "resolution_business": resolution_business,
        "csat": {"average": _rounded_average(total["csat"]), "responses": total["csat_n"]},
        "agents": agents,
    }


def _rounded_average(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _figures_in_python(rooms, clock: BusinessClock | None) -> dict:
    """The same figures from the rooms' rows, with business time when opening hours are set."""
    rows = list(
        rooms.order_by().values_list("created_at", "first_response_at", "resolved_at", "rating_score", "admin_id")
    )
    first_response, first_response_business, resolution, resolution_business, scores = [], [], [], [], []
    agents: dict[int, dict] = {}
    for created, responded, resolved, score, admin_id in rows:
        agent = None
        if admin_id is not None:
            agent = agents.setdefault(
                admin_id,
                {
                    "conversations": 0,
                    "first_response": [],
                    "first_response_business": [],
                    "resolution": [],
                    "resolution_business": [],
                    "scores": [],
                },
            )
            agent["conversations"] += 1
        if responded is not None:
            first_response.append((responded - created).total_seconds())
            first_response_business.append(clock.seconds(created, responded) if clock else first_response[-1])
            if agent is not None:
                agent["first_response"].append(first_response[-1])
                agent["first_response_business"].append(first_response_business[-1])
        if resolved is not None:
            resolution.append((resolved - created).total_seconds())
            resolution_business.append(clock.seconds(created, resolved) if clock else resolution[-1])
            if agent is not None:
                agent["resolution"].append(resolution[-1])
                agent["resolution_business"].append(resolution_business[-1])
        if score is not None:
            scores.append(score)
            if agent is not None:
                agent["scores"].append(score)
    return {
        "conversations": len(rows),
        "first_response": _p50_p90(first_response),
        "first_response_business": _p50_p90(first_response_business),
        "resolution": _p50_p90(resolution),
        "resolution_business": _p50_p90(resolution_business),
        "csat": {"average": _average(scores), "responses": len(scores)},
        "agents": {
            pk: {
                "conversations": figures["conversations"],
                "first_response": _p50_p90(figures["first_response"]),
                "first_response_business": _p50_p90(figures["first_response_business"]),
                "resolution": _p50_p90(figures["resolution"]),
                "resolution_business": _p50_p90(figures["resolution_business"]),
                "csat_average": _average(figures["scores"]),
                "csat_responses": len(figures["scores"]),
            }
            for pk, figures in agents.items()
        },
    }


def _messages_per_day(period: Period, tz) -> dict[date, int]:
    """Messages of each day. On PostgreSQL one index-only count per day (about 3 times faster at
    1M messages than grouping every row by its local date); elsewhere grouped by the ORM."""
    if connection.vendor != "postgresql":
        return _per_day(ChatMessage.objects, period, tz)
    table = connection.ops.quote_name(ChatMessage._meta.db_table)
    sql = f"""
        SELECT day::date, (SELECT count(*) FROM {table} m
                           WHERE m.created_at >= (day AT TIME ZONE %(tz)s)
                             AND m.created_at < ((day + interval '1 day') AT TIME ZONE %(tz)s))
        FROM generate_series(%(first)s::timestamp, %(last)s::timestamp, interval '1 day') AS day
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"tz": str(tz), "first": period.first.isoformat(), "last": period.last.isoformat()})
        return {day: count for day, count in cursor.fetchall() if count}


def _messages_by_agent(period: Period, agent_ids: list[int]) -> dict[int, int]:
    """Messages each agent wrote in ``period``, in any conversation (notes included; not the
    automatic replies sent in their name). On PostgreSQL one index-only count per agent on the
    partial index ``chatmessage_sender_written`` (grouping, the planner reads the whole table:
    about 4 times slower at 1M messages); elsewhere grouped by the ORM."""
    if connection.vendor != "postgresql":
        return dict(
            ChatMessage.objects.filter(
                sender_id__in=agent_ids, created_at__gte=period.start, created_at__lt=period.end, is_automatic=False
            )
            .order_by()
            .values("sender_id")
            .annotate(n=Count("id"))
            .values_list("sender_id", "n")
        )
    table = connection.ops.quote_name(ChatMessage._meta.db_table)
    id_type = ChatMessage._meta.get_field("sender").db_type(connection)  # integer, bigint, uuid...
    sql = f"""
        SELECT agent.id, (SELECT count(*) FROM {table} m
                          WHERE m.sender_id = agent.id AND NOT m.is_automatic
                            AND m.created_at >= %(start)s AND m.created_at < %(end)s)
        FROM unnest(%(agents)s::{id_type}[]) AS agent(id)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"start": period.start, "end": period.end, "agents": agent_ids})
        return {agent_id: count for agent_id, count in cursor.fetchall() if count}


def room_figures(period: Period, *, in_python: bool = False) -> dict:
    """Conversation figures of ``period``: in PostgreSQL when it is the database, else in Python."""
    rooms = ChatRoom.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    schedule = load_schedule()
    clock = None
    if not schedule.always_open:
        # The open periods from the first room's creation to its last answer, which may be after the period.
        latest = rooms.aggregate(a=Max("first_response_at"), b=Max("resolved_at"))
        end = max([period.end] + [value for value in latest.values() if value is not None])
        clock = BusinessClock(schedule, period.start, end)
    if connection.vendor == "postgresql" and not in_python:
        return _figures_in_postgres(rooms, clock)
    return _figures_in_python(rooms, clock)


def chat_stats(period: Period) -> dict:
    """The figures of ``GET stats`` and of the "Chat reports" page for ``period``."""
    tz = store_timezone()
    figures = room_figures(period)
    message_days = _messages_per_day(period, tz)
    per_day = _per_day(ChatRoom.objects, period, tz)

    users = get_user_model().objects.in_bulk(list(figures["agents"]))
    sent = _messages_by_agent(period, list(users)) if users else {}
    by_agent = [
        {
            "agent": {"id": pk, "name": display_name(users[pk]), "is_agent": True},
            "conversations": agent["conversations"],
            "messages": sent.get(pk, 0),
            "first_response_seconds": agent["first_response"],
            "first_response_business_seconds": agent["first_response_business"],
            "resolution_seconds": agent["resolution"],
            "resolution_business_seconds": agent["resolution_business"],
            "csat_average": agent["csat_average"],
            "csat_responses": agent["csat_responses"],
        }
        for pk, agent in figures["agents"].items()
        if pk in users
    ]
    by_agent.sort(key=lambda row: (-row["conversations"], row["agent"]["name"]))
    return {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "conversations": figures["conversations"],
        "messages": sum(message_days.values()),
        "first_response_seconds": figures["first_response"],
        "first_response_business_seconds": figures["first_response_business"],
        "resolution_seconds": figures["resolution"],
        "resolution_business_seconds": figures["resolution_business"],
        "csat": figures["csat"],
        "by_agent": by_agent,
        "by_day": [
            {"date": day.isoformat(), "conversations": per_day.get(day, 0), "messages": message_days.get(day, 0)}
            for day in period.days()
        ],
    }


def by_day_csv(stats: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "conversations", "messages"])
    for row in stats["by_day"]:
        writer.writerow([row["date"], row["conversations"], row["messages"]])
    return out.getvalue()


def bar_chart(rows: list[dict], key: str, *, width: int = 720, height: int = 160) -> dict:
    """Geometry of a bar chart of ``rows[i][key]`` for the template to draw as SVG."""
    peak = max([row[key] for row in rows] + [1])
    slot = width / max(len(rows), 1)
    bars = []
    for i, row in enumerate(rows):
        h = round(row[key] / peak * (height - 20), 1)
        # Strings: templates would localise floats ("1,5" in Indonesian), which SVG cannot read.
        bars.append(
            {
                "x": f"{i * slot + 1:.1f}",
                "y": f"{height - h:.1f}",
                "width": f"{max(slot - 2, 1):.1f}",
                "height": f"{h:.1f}",
                "value": row[key],
                "label": row["date"],
            }
        )
    return {"width": width, "height": height, "peak": peak, "bars": bars}
