"""knowledge/appointments.yaml: what can be booked, when, and how many at once."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.knowledge.models import ID_PATTERN, Text

_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AppointmentType(_Model):
    """One kind of appointment, e.g. the Seiteneinstiegsberatung on site."""

    name: Text
    duration: int = Field(ge=10, le=480, description="Minutes.")
    mode: Literal["on_site", "video"]
    journeys: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(
        min_length=1, description="Flows whose book buttons offer this type."
    )
    notice_hours: int = Field(24, ge=0, description="Bookable at the earliest this much ahead.")
    window_days: int = Field(42, ge=1, le=365, description="Bookable at most this far ahead.")
    capacity: int = Field(1, ge=1, le=50, description="Counsellors per slot.")
    contact: Annotated[str, Field(pattern=ID_PATTERN)] = Field(
        description="Contact in ki.yaml whose address is the place of the appointment."
    )
    cancel_hours: int = Field(
        24, ge=0, description="Cancel or reschedule in the chat until this many hours before."
    )
    documents: Annotated[str, Field(pattern=ID_PATTERN)] | None = Field(
        None, description="An answer node whose checklist goes with the confirmation."
    )


class Closed(_Model):
    """A closed day or period (both days included)."""

    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    reason: str = ""


class Appointments(_Model):
    """When the KI offers appointments. Times are local time in `timezone`."""

    example: bool = Field(
        False, description="True while the hours are placeholders the KI has not confirmed."
    )
    timezone: str = "Europe/Berlin"
    country: str = "DE"
    subdivision: str = Field("NW", description="Public holidays of this state are closed.")
    hours: dict[str, list[str]] = Field(
        description="Weekly opening, e.g. monday: ['09:00-12:00', '13:00-15:00']."
    )
    closed: list[Closed] = Field(default_factory=list)
    hold_minutes: int = Field(10, ge=1, le=120, description="A slot is held while confirming.")
    reminders: list[int] = Field(
        default_factory=lambda: [24, 2], description="Hours before the appointment."
    )
    types: dict[Annotated[str, Field(pattern=ID_PATTERN)], AppointmentType] = Field(min_length=1)

    @field_validator("hours")
    @classmethod
    def _ranges(cls, hours: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, ranges in hours.items():
            if day not in WEEKDAYS:
                raise ValueError(f"'{day}' is not one of {', '.join(WEEKDAYS)}")
            for text in ranges:
                match = _RANGE.match(text)
                if match is None:
                    raise ValueError(f"{day}: '{text}' is not like '09:00-12:00'")
                start, end = match.group(1, 2), match.group(3, 4)
                if start >= end:
                    raise ValueError(f"{day}: '{text}' ends before it starts")
        return hours

    def ranges(self, weekday: int) -> list[tuple[dt.time, dt.time]]:
        """Opening ranges of a weekday (0 = Monday) as times."""
        result = []
        for text in self.hours.get(WEEKDAYS[weekday], []):
            start, end = text.split("-")
            result.append((dt.time.fromisoformat(start), dt.time.fromisoformat(end)))
        return result
