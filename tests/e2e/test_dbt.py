"""The dbt analytics as people meet them: the publish step failing on a dbt test, and the docs site."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lumen.db import connect
from tests.conftest import ROOT
from tests.e2e import browser
from tests.e2e.conftest import lumen
from tests.e2e.test_pipeline import sample

pytestmark = pytest.mark.slow


def loaded(env) -> None:
    zpath = sample(env) / "archive" / "2024.zip"
    assert lumen(env, "ingest", "archive", str(zpath)).returncode == 0
    done = lumen(env, "clean", "--start", "2024-11-01", "--end", "2024-11-07")
    assert done.returncode == 0, done.stderr


def test_a_failing_dbt_test_fails_the_publish_step_naming_it(env, migrated_db):
    loaded(env)
    with connect("admin", migrated_db) as conn:  # a day whose mean humidity cannot be (written past the checks)
        conn.execute(
            "UPDATE processed_data.observations SET rel_humidity_pct = 150 "
            "WHERE station_code = 'Z621' AND local_date = '2024-11-04'"
        )
        conn.commit()
    out = lumen(env, "step", "publish", "-p", "start=2024-11-04", "-p", "end=2024-11-05")
    assert out.returncode == 1
    error = next(ln for ln in out.stderr.splitlines() if ln.startswith("lumen: error: "))
    assert error.startswith(
        "lumen: error: step publish failed: dbt build failed: test in_range_daily_station_summary_rel_humidity_mean_pct"
    ), error
    assert "__100__0 failed on 1 rows" in error and "fix the data or the model named" in error, error
    assert out.stderr.strip().splitlines()[-1].startswith("(executed notebook: ")
    with connect("admin", migrated_db) as conn:
        step = conn.execute("SELECT step, status, error FROM ops.step_runs ORDER BY id DESC LIMIT 1").fetchone()
    assert step[:2] == ("publish", "failed") and "in_range_daily_station_summary_rel_humidity_mean_pct" in step[2]


def test_the_dbt_docs_site_shows_the_models_and_their_lineage(env, migrated_db, tmp_path):
    done = lumen(env, "dbt", "docs")
    assert done.returncode == 0, done.stderr
    page = Path(done.stdout.strip().splitlines()[-1])
    assert page == Path(env["LUMEN_HOME"]) / "reports" / "dbt_docs.html" and page.stat().st_size > 100_000
    html = browser.dom(f"file://{page}#!/model/model.lumen.station_extremes", wait_ms=8000)
    assert "station_extremes" in html and "daily_station_summary" in html  # the model and what it depends on
    assert "Records per station" in html  # its description, from dbt/models/marts/station_extremes.yml
    shot = browser.screenshot(
        f"file://{page}#!/model/model.lumen.station_extremes", tmp_path / "docs.png", wait_ms=8000
    )
    assert shot.stat().st_size > 20_000


def test_the_models_unit_tests_pass_and_can_fail(env, tmp_path):
    """dbt's own unit tests (fixed inputs in the model's .yml, #27): they pass on the models as they are,
    and the DST test fails on the hours ÷ 24 that #26 replaced. Not part of every publish."""
    out = lumen(env, "dbt", "test", "--select", "test_type:unit")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "completeness_counts_the_hours_of_the_local_day" in out.stdout and "PASS=3" in out.stdout
    assert "a_value_needs_20_valid_hours_and_no_gap_over_3" in out.stdout  # #28's rules, daily and monthly
    assert "a_month_needs_fewer_than_11_missing_days_and_no_run_of_5" in out.stdout
    broken = tmp_path / "dbt"  # a copy of the project whose model counts against 24 hours
    shutil.copytree(ROOT / "dbt", broken)
    model = broken / "models" / "marts" / "daily_station_summary.sql"
    text = model.read_text()
    assert "100.0 * hours_with_data / day_hours" in text
    model.write_text(text.replace("100.0 * hours_with_data / day_hours", "100.0 * hours_with_data / 24"))
    out = lumen(env, "dbt", "test", "--select", "test_type:unit", "--project-dir", str(broken))
    assert out.returncode != 0 and "completeness_counts_the_hours_of_the_local_day" in out.stdout
