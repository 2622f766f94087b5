"""Chat reports (selectors): conversations, messages, response and resolution times, satisfaction.

Everything but the messages per day is read from the rooms (their ``first_response_at`` and
``resolved_at``), so a period costs one pass over its rooms and one grouped count of its
messages, served by the ``created_at`` indexes.
"""

import csv
import io
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count
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


def chat_stats(period: Period) -> dict:
    """The figures of ``GET stats`` and of the "Chat reports" page for ``period``."""
    tz = store_timezone()
    rooms = list(
        ChatRoom.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        .order_by()
        .values_list("created_at", "first_response_at", "resolved_at", "rating_score", "admin_id")
    )
    message_days = _per_day(ChatMessage.objects, period, tz)
    per_day = _per_day(ChatRoom.objects, period, tz)

    schedule = load_schedule()
    clock = None
    if not schedule.always_open:
        latest = max([period.end] + [ts for row in rooms for ts in row[1:3] if ts is not None])
        clock = BusinessClock(schedule, period.start, latest)

    first_response, first_response_business, resolution, resolution_business, scores = [], [], [], [], []
    agents: dict[int, dict] = {}
    for created, responded, resolved, score, admin_id in rooms:
        agent = None
        if admin_id is not None:
            agent = agents.setdefault(admin_id, {"conversations": 0, "first_response": [], "scores": []})
            agent["conversations"] += 1
        if responded is not None:
            first_response.append((responded - created).total_seconds())
            first_response_business.append(clock.seconds(created, responded) if clock else first_response[-1])
            if agent is not None:
                agent["first_response"].append(first_response[-1])
        if resolved is not None:
            resolution.append((resolved - created).total_seconds())
            resolution_business.append(clock.seconds(created, resolved) if clock else resolution[-1])
        if score is not None:
            scores.append(score)
            if agent is not None:
                agent["scores"].append(score)

    users = get_user_model().objects.in_bulk(list(agents))
    by_agent = [
        {
            "agent": {"id": pk, "name": display_name(users[pk]), "is_agent": True},
            "conversations": figures["conversations"],
            "first_response_seconds": _p50_p90(figures["first_response"]),
            "csat_average": _average(figures["scores"]),
            "csat_responses": len(figures["scores"]),
        }
        for pk, figures in agents.items()
        if pk in users
    ]
    by_agent.sort(key=lambda row: (-row["conversations"], row["agent"]["name"]))
    return {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "conversations": len(rooms),
        "messages": sum(message_days.values()),
        "first_response_seconds": _p50_p90(first_response),
        "first_response_business_seconds": _p50_p90(first_response_business),
        "resolution_seconds": _p50_p90(resolution),
        "resolution_business_seconds": _p50_p90(resolution_business),
        "csat": {"average": _average(scores), "responses": len(scores)},
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
            {"x": f"{i * slot + 1:.1f}", "y": f"{height - h:.1f}", "width": f"{max(slot - 2, 1):.1f}",
             "height": f"{h:.1f}", "value": row[key], "label": row["date"]}
        )
    return {"width": width, "height": height, "peak": peak, "bars": bars}
