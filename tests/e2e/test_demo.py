"""`make demo` on a database that holds real data leaves every real row as it was."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from lumen.db import connect
from lumen.publish import analytics
from lumen.sample import generate
from tests.conftest import ROOT
from tests.e2e.conftest import lumen

pytestmark = pytest.mark.slow

# every table a real station's rows live in: row count and md5 of the rows, per table
TABLES = (
    "raw_data.inmet_observations", "raw_data.inmet_stations", "processed_data.observations",
    "processed_data.stations", "processed_data.quarantine", "analytics.daily_station_summary",
    "analytics.monthly_station_summary", "analytics.station_extremes",
)  # fmt: skip


def fingerprint(settings) -> dict[str, tuple[int, str]]:
    with connect("admin", settings) as conn:
        return {
            table: conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t "
                "WHERE t.station_code = 'A807'"
            ).fetchone()
            for table in TABLES
        }


def real_station_zip(tmp_path: Path) -> Path:
    """A real station's archive file (A807) over the demo's own days, made from the generator."""
    made = generate(tmp_path / "made", days=21, stations=["Z807"], inject=["rh_150"])
    src = zipfile.ZipFile(made.archive_zip)
    out = tmp_path / "real.zip"
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info).replace(b"Z807", b"A807").replace(b"CURITIBA (AMOSTRA)", b"CURITIBA")
            dst.writestr(info.filename.replace("Z807", "A807").replace("CURITIBA (AMOSTRA)", "CURITIBA"), body)
    return out


def test_make_demo_leaves_real_rows_identical(env, migrated_db, tmp_path):
    real = real_station_zip(tmp_path)
    assert lumen(env, "ingest", "archive", str(real)).returncode == 0
    env_q = {**env, "LUMEN_ON_INVALID": "quarantine"}  # one real hour breaks a rule: it sits in quarantine
    done = lumen(env_q, "clean", "--start", "2024-11-01", "--end", "2024-11-21")
    assert done.returncode == 0, done.stderr
    analytics.publish(migrated_db)
    before = fingerprint(migrated_db)
    assert before["raw_data.inmet_observations"][0] == 21 * 24 and before["processed_data.quarantine"][0] >= 1

    shutil.copy(ROOT / ".env.example", env["LUMEN_HOME"])  # what `make demo` needs of a project home
    demo = subprocess.run(
        ["make", "--no-print-directory", "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    after = fingerprint(migrated_db)
    assert after == before
    with connect("admin", migrated_db) as conn:
        demo_rows = conn.execute(
            "SELECT count(*) FROM processed_data.observations WHERE station_code LIKE 'Z%'"
        ).fetchone()[0]
    assert demo_rows > 4 * 20 * 24  # the demo did run, beside the real rows
