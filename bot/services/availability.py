"""Free appointment slots: weekly hours minus holidays, closed days, notice and window.

Pure functions over the configuration; which slots are taken is the store's business.
Times are generated in local time (Europe/Berlin) and returned as aware datetimes, so a
day with a daylight-saving change still has its slots at the right wall-clock times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from bot.knowledge.appointments import Appointments, AppointmentType


@cache
def _holidays(country: str, subdivision: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def is_open_day(config: Appointments, day: dt.date) -> bool:
    if day in _holidays(config.country, config.subdivision, day.year):
        return False
    return not any(closed.start <= day <= closed.end for closed in config.closed)


def _exists(local: dt.datetime) -> bool:
    """False for wall-clock times skipped when clocks spring forward."""
    utc = local.astimezone(dt.UTC)
    return utc.astimezone(local.tzinfo).replace(tzinfo=None) == local.replace(tzinfo=None)


def day_slots(config: Appointments, kind: AppointmentType, day: dt.date) -> list[dt.datetime]:
    """Every start time of `kind` on `day` by the opening hours (nothing else checked)."""
    if not is_open_day(config, day):
        return []
    zone = ZoneInfo(config.timezone)
    step = dt.timedelta(minutes=kind.duration)
    starts = []
    for opens, closes in config.ranges(day.weekday()):
        start = dt.datetime.combine(day, opens, tzinfo=zone)
        end = dt.datetime.combine(day, closes, tzinfo=zone)
        while start + step <= end:  # wall-clock arithmetic, as the office works
            if _exists(start):
                starts.append(start)
            start = start + step
    return starts


def bookable_slots(
    config: Appointments, kind: AppointmentType, now: dt.datetime, days: int | None = None
) -> Iterator[dt.datetime]:
    """Start times that respect the minimum notice and the booking window, in order."""
    zone = ZoneInfo(config.timezone)
    local_now = now.astimezone(zone)
    # In absolute time: across a clock change the notice stays exactly notice_hours long.
    earliest = now.astimezone(dt.UTC) + dt.timedelta(hours=kind.notice_hours)
    last_day = local_now.date() + dt.timedelta(days=kind.window_days)
    day = local_now.date()
    end = last_day if days is None else min(last_day, day + dt.timedelta(days=days))
    while day <= end:
        for start in day_slots(config, kind, day):
            if start >= earliest:
                yield start
        day += dt.timedelta(days=1)
