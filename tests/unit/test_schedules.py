"""Mage's schedules, declared once (lumen/run/schedules.py) and written into triggers.yaml at each
start: the hourly one is paused without INMET_TOKEN and the start says so (#27, new-user 3)."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
import yaml

from lumen.config import Settings
from lumen.run import schedules


@pytest.fixture()
def project(tmp_path):
    for s in schedules.SCHEDULES:
        (tmp_path / "pipelines" / s.pipeline).mkdir(parents=True)
    return tmp_path


def settings(tmp_path, monkeypatch, **env: str) -> Settings:
    for name in ("INMET_TOKEN", "LUMEN_SCHEDULE_HOURLY", "LUMEN_SCHEDULE_TRAIN"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / ".env"
    path.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return Settings(_env_file=path)  # type: ignore[call-arg]


def read(project, pipeline: str) -> dict:
    return yaml.safe_load((project / "pipelines" / pipeline / "triggers.yaml").read_text())["triggers"][0]


def test_without_a_token_the_hourly_schedule_is_paused_and_said(project, tmp_path, monkeypatch):
    notes = schedules.write_triggers(project, settings(tmp_path, monkeypatch, INMET_TOKEN=""))
    assert notes == [
        "mage: schedule inmet_hourly (hourly) is paused: no INMET_TOKEN in .env (INMET's observations need one)"
    ]
    hourly, train = read(project, "inmet_hourly"), read(project, "forecast_train")
    assert (hourly["status"], hourly["schedule_interval"]) == ("inactive", "@hourly")
    assert (train["status"], train["schedule_interval"]) == ("active", "0 3 * * *")


def test_with_a_token_every_schedule_is_on_and_the_file_stays_stable(project, tmp_path, monkeypatch):
    s = settings(tmp_path, monkeypatch, INMET_TOKEN="abc", LUMEN_SCHEDULE_TRAIN="30 4 * * *")
    assert schedules.write_triggers(project, s) == []
    hourly = read(project, "inmet_hourly")
    assert hourly["status"] == "active" and hourly["settings"]["skip_if_previous_running"] is True
    assert hourly["last_enabled_at"] is not None  # else Mage rewrites the file on every new scheduler DB
    # YAML timestamps, as Mage writes them: as quoted text, the scheduler created no run (seen here)
    assert isinstance(hourly["last_enabled_at"], datetime) and isinstance(hourly["start_time"], datetime)
    assert read(project, "forecast_train")["schedule_interval"] == "30 4 * * *"
    path = project / "pipelines" / "inmet_hourly" / "triggers.yaml"
    os.utime(path, (0, 0))
    schedules.write_triggers(project, s)
    assert path.stat().st_mtime == 0  # unchanged: not rewritten, so Mage's cache keeps its state


def test_off_pauses_a_schedule(project, tmp_path, monkeypatch):
    notes = schedules.write_triggers(
        project, settings(tmp_path, monkeypatch, INMET_TOKEN="abc", LUMEN_SCHEDULE_TRAIN="off")
    )
    assert notes == ["mage: schedule forecast_train (daily_train) is paused: LUMEN_SCHEDULE_TRAIN=off in .env"]
    assert read(project, "forecast_train")["status"] == "inactive"
