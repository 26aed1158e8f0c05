"""Mage's schedules, declared once. Mage keeps a pipeline's triggers in `triggers.yaml` and writes the
file back whenever a trigger is toggled or first enabled, so that file is state, not source: Mage's
start (`lumen pipeline start`, the Mage image's command) writes it from these declarations first.
A schedule whose prerequisite is missing is written paused, and the start says so: the hourly one
needs INMET_TOKEN (INMET's observations need a token; without one every hour would fail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from lumen.config import Settings

# Mage takes `last_enabled_at: None` as "enable now" and rewrites the file on every new scheduler
# database: a fixed date keeps the file stable (the first run is still the next due time).
# Both are YAML timestamps (not text), as Mage writes and reads them.
ENABLED_AT = datetime(2024, 1, 1, tzinfo=UTC)
START_TIME = datetime(2024, 1, 1)


@dataclass(frozen=True)
class Schedule:
    pipeline: str
    name: str
    description: str
    setting: str  # the Settings field holding its cron expression ("off" pauses it)
    env: str  # that field's variable in .env
    needs_token: bool = False

    def interval(self, settings: Settings) -> str:
        return str(getattr(settings, self.setting)).strip()

    def paused_because(self, settings: Settings) -> str | None:
        if self.interval(settings).lower() == "off":
            return f"{self.env}=off in .env"
        if self.needs_token and settings.inmet_token is None:
            return "no INMET_TOKEN in .env (INMET's observations need one)"
        return None


SCHEDULES = (
    Schedule(
        "inmet_hourly",
        "hourly",
        "Every hour, the INMET API's new hours through ingest, clean, validate, publish and forecast.",
        "schedule_hourly",
        "LUMEN_SCHEDULE_HOURLY",
        needs_token=True,
    ),
    Schedule(
        "forecast_train",
        "daily_train",
        "Every day (03:00 UTC by default), the next-hour model retrained on "
        "the last two years; skipped with 'waiting for data' while there is too little.",
        "schedule_train",
        "LUMEN_SCHEDULE_TRAIN",
    ),
)


def trigger(s: Schedule, settings: Settings) -> dict:
    paused = s.paused_because(settings)
    return {
        "description": s.description,
        "envs": [],
        "last_enabled_at": ENABLED_AT,
        "name": s.name,
        "pipeline_uuid": s.pipeline,
        "schedule_interval": "@hourly" if s.interval(settings).lower() == "off" else s.interval(settings),
        "schedule_type": "time",
        "settings": {"skip_if_previous_running": True},
        "sla": None,
        "start_time": START_TIME,
        "status": "inactive" if paused else "active",
        "token": None,
        "variables": {},
    }


def write_triggers(project: Path, settings: Settings) -> list[str]:
    """Write each pipeline's triggers.yaml; returns one line per paused schedule."""
    notes = []
    for s in SCHEDULES:
        path = project / "pipelines" / s.pipeline / "triggers.yaml"
        text = yaml.safe_dump({"triggers": [trigger(s, settings)]}, sort_keys=False)
        if not path.exists() or path.read_text() != text:  # unchanged: Mage's cache keeps its state
            path.write_text(text)
        if reason := s.paused_because(settings):
            notes.append(f"mage: schedule {s.pipeline} ({s.name}) is paused: {reason}")
    return notes
