"""The pipeline as Mage runs it: `mage run` → blocks → `lumen step` → Papermill notebooks → PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import nbformat
import pytest

from lumen.db import connect
from tests.e2e.conftest import lumen

pytestmark = pytest.mark.slow
WINDOW = ("--start", "2024-11-01", "--end", "2024-11-07")


def sample(env, *extra: str) -> Path:
    out = Path(env["LUMEN_HOME"]) / "data" / "sample"
    done = lumen(env, "sample", "--out", str(out), "--days", "7", *extra)
    assert done.returncode == 0, done.stderr
    return out


def test_backfill_end_to_end(env, migrated_db):
    zpath = sample(env) / "archive" / "2024.zip"
    out = lumen(env, "pipeline", "run", "backfill", "--archive", str(zpath), *WINDOW)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "pipeline backfill: done" in out.stdout
    with connect("admin", migrated_db) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM raw_data.inmet_observations), (SELECT count(*) FROM processed_data.observations),"
            " (SELECT count(*) FROM analytics.daily_station_summary)"
        ).fetchone()
        steps = conn.execute(
            "SELECT run_id, step, status, rows_in, rows_out, notebook_path, git_commit, parameters FROM ops.step_runs ORDER BY id"
        ).fetchall()
    assert counts[0] == 4 * 7 * 24 and counts[1] == counts[0] - 5 and counts[2] >= 4 * 7  # Z621 is silent 5 h
    assert [s[1] for s in steps] == ["ingest", "clean", "validate", "publish"]
    assert {s[2] for s in steps} == {"succeeded"} and len({s[0] for s in steps}) == 1
    assert steps[0][0].startswith("backfill-") and steps[1][3] == 672 and steps[1][4] == 667
    run_dir = Path(steps[0][5]).parent
    assert run_dir.parent.parent == Path(env["LUMEN_HOME"]) / "runs"
    for _, step, *_rest in steps:
        nb = nbformat.read(next(run_dir.glob(f"*_{step}.ipynb")), as_version=4)
        assert nb.cells[0].metadata.get("tags") == ["parameters"]
        assert any(o.get("output_type") == "stream" for c in nb.cells for o in c.get("outputs", []))
    assert steps[0][6] is None or len(steps[0][6]) == 40
    assert steps[1][7] == {"start": "2024-11-01", "end": "2024-11-07"}  # what the run was asked, no secret
    secrets = [
        env[k] for k in ("LUMEN_PIPELINE_PASSWORD", "LUMEN_READER_PASSWORD", "INMET_TOKEN", "DEFAULT_OWNER_PASSWORD")
    ]
    logs = out.stdout + out.stderr
    files = [
        p
        for p in Path(env["LUMEN_HOME"]).rglob("*")
        if p.is_file() and p.suffix in (".ipynb", ".json", ".log", ".html", ".yml")
    ]
    for secret in secrets:
        assert secret not in logs
        for path in files:
            assert secret not in path.read_text(errors="replace"), f"{secret[:4]}… leaked into {path}"
        assert all(secret not in json.dumps(s[7]) for s in steps)


def test_bad_row_fails_the_run_and_publishes_nothing(env, migrated_db):
    zpath = sample(env, "--inject", "rh_150") / "archive" / "2024.zip"
    out = lumen(env, "pipeline", "run", "backfill", "--archive", str(zpath), *WINDOW)
    assert out.returncode == 1
    log = out.stdout + out.stderr
    assert "station Z807 2024-11-02 03:00 UTC rel_humidity_pct=150 (rule: humidity 0..100)" in log
    last = out.stderr.strip().splitlines()[-1]  # the step's own message, from ops.step_runs, in one line
    assert (
        last.startswith(
            "lumen: error: pipeline backfill failed (mage run exited 1): step clean: QualityError: data quality: 1 of "
        )
        and "(executed notebook: " in last
    )
    assert "│" not in log and len(log.splitlines()) < 120, len(log.splitlines())  # not Mage's ~200-line traceback
    with connect("admin", migrated_db) as conn:
        steps = conn.execute("SELECT step, status, error FROM ops.step_runs ORDER BY id").fetchall()
        published = conn.execute("SELECT count(*) FROM analytics.daily_station_summary").fetchone()[0]
        processed = conn.execute("SELECT count(*) FROM processed_data.observations").fetchone()[0]
        quarantined = conn.execute("SELECT rule, value FROM processed_data.quarantine ORDER BY rule").fetchall()
        lock = conn.execute("SELECT run_id FROM ops.run_lock").fetchone()[0]
    assert [(s, st) for s, st, _ in steps] == [("ingest", "succeeded"), ("clean", "failed")]
    assert "rel_humidity_pct=150 (rule: humidity 0..100)" in steps[1][2]
    assert published == 0 and processed == 0 and ("humidity 0..100", "150") in quarantined
    assert lock is None  # a failed run releases the lock


def test_bad_parameters_are_refused_before_a_kernel_starts(env):
    out = lumen(env, "step", "clean", "--param", "start=2024-11-01", "--param", "ends=2024-11-02")
    assert out.returncode == 1 and out.stderr.strip() == (
        "lumen: error: step clean: unknown parameter(s) ends; it takes start, end, stations"
    )
    outcome = Path(env["LUMEN_HOME"]) / "outcome.json"  # what a Mage block reads instead of scraping output
    out = lumen(env, "step", "clean", "--param", "start=2024-11-01", "--param", "ends=x", "--outcome", str(outcome))
    assert json.loads(outcome.read_text()) == {
        "step": "clean",
        "status": "failed",
        "error": "step clean: unknown parameter(s) ends; it takes start, end, stations",
    }
    window = lumen(env, "window", "--pipeline", "hourly", "--at", "2024-11-05T07:42:00+00:00")
    assert json.loads(window.stdout)["start"] == "2024-11-05T04:00" and json.loads(window.stdout)["end"] == (
        "2024-11-05T07:00"
    )
    out = lumen(env, "pipeline", "run", "backfill", "--archive", "x.zip", "--start", "2024-02-30")
    assert out.returncode == 1 and "'2024-02-30' is not a date" in out.stderr


def test_two_runs_at_once_do_not_interleave(env, migrated_db):
    zpath = sample(env) / "archive" / "2024.zip"
    results: list[subprocess.CompletedProcess] = []
    args = ("pipeline", "run", "backfill", "--archive", str(zpath), *WINDOW)
    threads = [threading.Thread(target=lambda: results.append(lumen(env, *args))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr[-500:] for r in results]
    with connect("admin", migrated_db) as conn:
        steps = conn.execute(
            "SELECT run_id, step, started_at, finished_at FROM ops.step_runs ORDER BY started_at"
        ).fetchall()
        total = conn.execute(
            "SELECT count(*), count(DISTINCT (source, station_code, observed_at)) FROM raw_data.inmet_observations"
        ).fetchone()
    runs = [s[0] for s in steps]
    assert len(set(runs)) == 2
    first, second = runs[0], [r for r in runs if r != runs[0]][0]
    assert runs[:4] == [first] * 4 and runs[4:] == [second] * 4
    assert steps[4][2] >= steps[3][3]  # the second run began writing after the first had published
    assert total == (672, 672)
