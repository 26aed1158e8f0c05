"""`lumen alerts …` and the publish step as a user meets them: a malformed rules file stops with
one line before anything runs; the offline sample's episodes listed as JSON."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT, lumen_cli, project_home
from tests.integration.test_ingest_cli import cli_env

pytestmark = pytest.mark.slow


def test_a_malformed_rules_file_stops_before_any_evaluation_with_one_line(migrated_db, tmp_path):
    bad = tmp_path / "rules.yml"
    bad.write_text((ROOT / "alerts" / "rules.yml").read_text().replace("red: {above: 27.8}", "red: {above: 12}"))
    env = cli_env(migrated_db, LUMEN_ALERT_RULES=str(bad), LUMEN_STATE_DIR=str(migrated_db.lumen_dir))
    checked = lumen_cli("alerts", "check", env=env)
    line = (
        "lumen: error: rules.yml: rule wind_gust: levels: each level's threshold must be stricter than the one "
        "below it — fix it, then run again"
    )
    assert checked.returncode == 1 and checked.stderr.strip() == line
    results = migrated_db.lumen_dir / "dbt" / "target" / "run_results.json"
    assert not results.exists()
    home = project_home(tmp_path)
    step = lumen_cli(
        "step",
        "publish",
        "--param",
        "start=2024-11-01",
        "--param",
        "end=2024-11-02",
        env={**env, "LUMEN_HOME": str(home)},
        timeout=300,
    )
    assert step.returncode == 1 and line.removeprefix("lumen: error: ") in step.stderr
    assert not results.exists()  # dbt never started


def test_the_sample_s_episodes_as_json(migrated_db, tmp_path):
    env = cli_env(migrated_db, LUMEN_STATE_DIR=str(migrated_db.lumen_dir))
    assert lumen_cli("sample", "--out", str(tmp_path / "s"), "--days", "10", env=env).returncode == 0
    assert lumen_cli("ingest", "archive", str(tmp_path / "s/archive/2024.zip"), env=env).returncode == 0
    assert lumen_cli("clean", "--start", "2024-11-01", "--end", "2024-11-10", env=env).returncode == 0
    done = lumen_cli("alerts", "evaluate", env=env)
    assert done.returncode == 0, done.stderr
    assert "from the past recorded without messages" in done.stdout  # November 2024 is long gone
    listed = lumen_cli("alerts", "list", "--json", "--limit", "0", env=env)
    events = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(events) > 10 and {e["rule"] for e in events} == {"wind_gust"}  # the sample's gusts reach 11.1 m/s
    assert {"station_code", "rule", "level", "started_at", "ended_at", "peak_value"} <= set(events[0])
    assert all(e["peak_value"] >= 11.1 and (e["level"] == "orange") == (e["peak_value"] >= 16.7) for e in events)
    assert events == sorted(events, key=lambda e: (e["started_at"], e["event_id"]), reverse=True)
    only = lumen_cli("alerts", "list", "--json", "--open", "--station", "Z807", env=env)
    assert {(e["station_code"], e["ended_at"]) for e in map(json.loads, only.stdout.splitlines())} <= {("Z807", None)}
    # #27 new-user 4: at 80 columns nothing is cut to `2024-…`/`heavy…`, and a limit says what it left out
    table = lumen_cli("alerts", "list", "--limit", "3", env={**env, "COLUMNS": "80"})
    assert table.returncode == 0, table.stderr
    lines = [line.rstrip() for line in table.stdout.splitlines()]
    assert not [line for line in lines if "…" in line or len(line) > 80], table.stdout
    newest = events[0]
    assert newest["started_at"][:10] in table.stdout and "wind_gust" in table.stdout
    assert f"3 of {len(events)} episodes shown, newest first (`--limit 0` shows all)" in table.stdout
