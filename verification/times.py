"""How the checks' lines write moments and durations: UTC to the minute, whole hours, "ago"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def time_of(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "an unknown time"


def hours(window: timedelta) -> str:
    return f"{int(window.total_seconds() // 3600)} h"


def ago(now: datetime, moment: datetime) -> str:
    minutes = max(0, int((now - moment).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min ago"
    return f"{minutes // 60} h {minutes % 60:02d} min ago"


def duration(window: timedelta) -> str:
    """Whole hours as ``12 h``; a window of minutes (a schedule of minutes) as ``30 min``."""
    if window % timedelta(hours=1):
        return f"{int(window.total_seconds() // 60)} min"
    return hours(window)
