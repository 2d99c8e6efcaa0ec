"""Lotse's time: the KI's time zone, and the clock services use unless a test gives one."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def berlin_now() -> dt.datetime:
    return dt.datetime.now(BERLIN)
