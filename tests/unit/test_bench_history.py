"""The bench's history mode: which years, the yearly ZIPs it loads, and how its results read."""

import zipfile

from benchmarks import history_report
from benchmarks.history import write_year_zip, years_for
from lumen.inmet.archive import list_files
from lumen.sample import era_of


def test_years_mix_the_three_archive_eras_and_end_by_2025():
    assert years_for(5) == [2017, 2018, 2019, 2020, 2021]
    assert {era_of(y) for y in years_for(5)} == {"2018", "2019", "2020"}
    assert years_for(25) == list(range(2001, 2026))


def test_a_years_zip_is_inmets_shape(tmp_path):
    path, csv_bytes, rows, count = write_year_zip(tmp_path, 2019, 3)
    members = zipfile.ZipFile(path).infolist()
    assert [m.filename.split("_")[3] for m in members] == ["S000", "S001", "S002"]
    assert all(m.filename.startswith("2019/INMET_S_PR_") for m in members)
    assert csv_bytes == sum(m.file_size for m in members)
    assert len(list(list_files(path))) == 3
    assert sum(1 for _ in rows.open("rb")) == count == 3 * 365 * 24  # the rows alone, for the \copy floor


def results() -> dict:
    per_year = [
        {
            "year": y,
            "ingest_s": 8.0,
            "clean_s": 60.0,
            "validate_s": 30.0,
            "publish_s": 12.0,
            "total_s": t,
            "alerts_s": 7.0,
            "rows_per_s": 40_000,
            "peak_rss_mib": 900,
        }
        for y, t in ((2017, 120.0), (2018, 150.0))
    ]
    disk = [
        {"year": y, "csv_bytes": 500, "raw_data": 600, "processed_data": 700, "analytics": 50, "ops": 0}
        for y in (2017, 2018)
    ]
    schema = {"table_bytes": 1, "index_bytes": 1}
    return {
        "years": [2017, 2018],
        "stations": 600,
        "per_year": per_year,
        "year_floor_s": 90.0,
        "year_floor_copy_s": 5.0,
        "year_floor_insert_s": 85.0,
        "orchestration_floor_s": 10.0,
        "hourly_mage_run_s": 14.0,
        "hourly_steps_s": {"ingest": 1.0},
        "full_analytics_rebuild_s": 30.0,
        "gx_year_s": 35.0,
        "measured_at": "now",
        "machine": "x86_64, 2 cores",
        "disk_bytes": {
            "per_schema": {s: schema for s in ("raw_data", "processed_data", "analytics", "ops")},
            "per_year": disk,
        },
    }


def test_the_targets_are_judged_on_the_worst_year():
    verdicts = {name: (round(v, 2), ok) for name, v, _, ok in history_report.targets(results())}
    assert verdicts["a year's backfill, worst year ÷ year floor"] == (1.67, False)
    assert verdicts["a year's backfill, slowest year ÷ first year"] == (1.25, False)
    assert verdicts["hourly run with the history ÷ orchestration floor"] == (1.4, True)
    assert verdicts["raw + processed (tables and indexes) ÷ CSV bytes"] == (2.6, False)


def test_the_table_and_the_plot(tmp_path):
    text = history_report.table(results())
    assert "| 2018 | 1 | 8 | 60 | 30 | 12 (7) | 150 | 40,000 | 900 |" in text and "NOT met" in text
    history_report.plot(results(), tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"
