"""Opening hours: when the shop answers, in the store's time zone, with holidays.

No opening hours at all means always open. Reads only (selectors).
"""

import bisect
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .. import conf
from .models import Holiday, OpeningHours

# How far ahead and back the hours are searched for the next opening / last closing.
SEARCH_DAYS = 21
SCHEDULE_CACHE_KEY = "oscar_chat:opening-hours"
SCHEDULE_CACHE_SECONDS = 60


def store_timezone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(conf.get("TIME_ZONE") or settings.TIME_ZONE or "UTC")


@dataclass(frozen=True)
class Schedule:
    """The weekly hours and the holidays, loaded once for a range of computations."""

    weekly: dict[int, list[tuple[time, time]]]
    holidays: frozenset[date]
    tz: zoneinfo.ZoneInfo

    @property
    def always_open(self) -> bool:
        return not self.weekly

    def intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open periods overlapping ``[start, end)``, clipped to it, in order (aware, UTC)."""
        if self.always_open:
            return [(start, end)] if start < end else []
        result = []
        day = start.astimezone(self.tz).date() - timedelta(days=1)
        last = end.astimezone(self.tz).date()
        while day <= last:
            if day not in self.holidays:
                for opens, closes in self.weekly.get(day.weekday(), ()):
                    a = datetime.combine(day, opens, tzinfo=self.tz).astimezone(UTC)
                    b = datetime.combine(day, closes, tzinfo=self.tz).astimezone(UTC)
                    a, b = max(a, start), min(b, end)
                    if a < b:
                        result.append((a, b))
            day += timedelta(days=1)
        return result

    def is_open(self, at: datetime) -> bool:
        return bool(self.intervals(at, at + timedelta(microseconds=1)))

    def next_opening(self, at: datetime) -> datetime | None:
        """When the shop opens next after ``at``; ``at`` itself while open; None if never within the search."""
        found = self.intervals(at, at + timedelta(days=SEARCH_DAYS))
        return found[0][0] if found else None

    def last_closing(self, at: datetime) -> datetime | None:
        """The end of the last open period before ``at`` (None: none within the search)."""
        found = self.intervals(at - timedelta(days=SEARCH_DAYS), at)
        if not found:
            return None
        end = found[-1][1]
        return end if end < at else (found[-2][1] if len(found) > 1 else None)


def load_schedule() -> Schedule:
    weekly: dict[int, list[tuple[time, time]]] = {}
    for hours in OpeningHours.objects.order_by("weekday", "opens_at"):
        weekly.setdefault(hours.weekday, []).append((hours.opens_at, hours.closes_at))
    holidays = frozenset(Holiday.objects.values_list("date", flat=True))
    return Schedule(weekly=weekly, holidays=holidays, tz=store_timezone())


def current_schedule() -> Schedule:
    """The schedule from Django's cache (shared by the processes), for the send path: every
    customer message asks whether the shop is closed. Saving or deleting hours or a holiday
    forgets it (``forget_schedule``); a change that sends no signal (``QuerySet.update``, SQL)
    is seen within ``SCHEDULE_CACHE_SECONDS``."""
    cached = cache.get(SCHEDULE_CACHE_KEY)
    if cached is None:
        schedule = load_schedule()
        cache.set(SCHEDULE_CACHE_KEY, (schedule.weekly, schedule.holidays), SCHEDULE_CACHE_SECONDS)
        return schedule
    weekly, holidays = cached
    return Schedule(weekly=weekly, holidays=holidays, tz=store_timezone())


def forget_schedule() -> None:
    cache.delete(SCHEDULE_CACHE_KEY)


class BusinessClock:
    """Business seconds between two moments, for many pairs over one period (reports).

    The open periods of ``[start, end)`` in order, each with the open seconds before it: the
    business seconds until a moment are those before the last period opened by then, plus its
    part of that period. Python looks the period up with ``bisect``; PostgreSQL, given the same
    lists as arrays (``calendar()``), with ``width_bucket`` (``reports``).
    """

    def __init__(self, schedule: Schedule, start: datetime, end: datetime):
        self.periods = schedule.intervals(start, end)
        self.starts = [a for a, _ in self.periods]
        self.cumulative = [0.0]
        for a, b in self.periods:
            self.cumulative.append(self.cumulative[-1] + (b - a).total_seconds())

    def _elapsed_until(self, moment: datetime) -> float:
        """Open seconds from the period's start until ``moment``."""
        i = bisect.bisect_right(self.starts, moment)
        if i == 0:
            return 0.0
        a, b = self.periods[i - 1]
        return self.cumulative[i - 1] + (min(moment, b) - a).total_seconds()

    def seconds(self, start: datetime, end: datetime) -> float:
        return max(self._elapsed_until(end) - self._elapsed_until(start), 0.0)

    def calendar(self) -> tuple[list[datetime], list[datetime], list[float]]:
        """Opening and closing moments of the open periods, and the open seconds before each.

        Never empty (SQL arrays need a type): without any open period, one of no length.
        """
        if not self.periods:
            return [datetime.min.replace(tzinfo=UTC)], [datetime.min.replace(tzinfo=UTC)], [0.0]
        return self.starts, [b for _, b in self.periods], self.cumulative[:-1]


def availability(at: datetime | None = None) -> dict:
    """What the widget shows: whether the shop answers now, and when it opens next."""
    at = at or timezone.now()
    schedule = current_schedule()
    open_now = schedule.is_open(at)
    next_open = None if open_now else schedule.next_opening(at)
    return {
        "is_open": open_now,
        "next_opening": next_open.isoformat() if next_open else None,
        "time_zone": str(schedule.tz),
    }
