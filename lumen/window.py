"""Time windows: what `--start/--end` and step parameters mean.

`2024-01-01` is a day: as a start it means 00:00 UTC; as an end it includes that whole
day. `2024-01-01T03:00` (or `2024-01-01 03:00`) is an hour: as an end it is exclusive.
INMET hours are UTC, and so are windows.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

from lumen.errors import LumenError

_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


def parse_instant(text: str | date | datetime, *, end: bool = False) -> datetime:
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=UTC)
    if isinstance(text, date):
        text = text.isoformat()
    value = str(text).strip().removesuffix("Z").removesuffix("+00:00")
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        try:
            return parsed + timedelta(days=1) if end and fmt == "%Y-%m-%d" else parsed
        except OverflowError:
            raise LumenError(f"{text!r}: a window must end before 9999-12-31 (give an earlier date)") from None
    raise LumenError(f"{text!r} is not a date (YYYY-MM-DD) or an hour (YYYY-MM-DDTHH:MM), UTC")


def parse_window(start: str | date | datetime, end: str | date | datetime) -> tuple[datetime, datetime]:
    """[start, end) in UTC; a date as `end` includes that day."""
    lo, hi = parse_instant(start), parse_instant(end, end=True)
    if hi <= lo:
        as_day = " (a date as the end includes that whole day)" if len(str(end).strip()) == 10 else ""
        raise LumenError(
            f"the window ends before it starts: start {str(start).strip()} is {lo:%Y-%m-%d %H:%M} UTC, end "
            f"{str(end).strip()} is {hi:%Y-%m-%d %H:%M} UTC{as_day}; give an end after the start"
        )
    return lo, hi


HOURLY_WINDOW_HOURS = 3  # each hourly run re-checks the last 3 hours (late INMET data)
TRAIN_WINDOW_DAYS = 730  # the daily forecast_train run learns from the last two years


def run_window(pipeline: str, at: datetime | None = None, start: str = "", end: str = "") -> dict[str, str]:
    """A pipeline run's id and window: the HOURLY_WINDOW_HOURS before `at` (the run's execution
    date, not the wall clock, so catch-up runs get their own hours; TRAIN_WINDOW_DAYS for
    forecast_train), or `start`/`end` when given."""
    at = (at or datetime.now(UTC)).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if start:
        parse_instant(start)
    if end:
        parse_instant(end, end=True)
    back = timedelta(days=TRAIN_WINDOW_DAYS) if pipeline == "forecast_train" else timedelta(hours=HOURLY_WINDOW_HOURS)
    return {
        "run_id": f"{pipeline}-{at:%Y%m%dT%H%MZ}-{secrets.token_hex(3)}",
        "pipeline": pipeline,
        "start": start or f"{at - back:%Y-%m-%dT%H:%M}",
        "end": end or f"{at:%Y-%m-%dT%H:%M}",
    }
