"""A new year loaded whole (lumen.ingest.year_load), against a real PostgreSQL."""

from pathlib import Path

from lumen import ingest
from lumen.db import connect
from lumen.ingest import year_load
from lumen.inmet.archive import list_files
from lumen.sample import generate

VALUES = """
SELECT count(*), md5(string_agg((source, station_code, observed_at, dt_medicao, hr_medicao, chuva, pre_ins, rad_glo,
                                 tem_ins, umd_ins, ven_vel, other, origin, run_id)::text,
                                '|' ORDER BY source, station_code, observed_at))
FROM raw_data.inmet_observations_with_origin
"""
YEAR_KIND = "SELECT relkind::text FROM pg_class WHERE oid = to_regclass('raw_data.inmet_observations_2024')"


def load(settings, path: Path, run_id: str = "run-1") -> list[ingest.LoadStats]:
    with connect("pipeline", settings) as conn:
        return ingest.load_archive(conn, list_files(path), run_id)


def test_a_year_loaded_whole_holds_what_file_by_file_holds(migrated_db, tmp_path):
    sample = generate(tmp_path / "s", days=5)
    whole = load(migrated_db, sample.archive_zip)
    with connect("admin", migrated_db) as conn:
        assert conn.execute(YEAR_KIND).fetchone() == ("p",)  # the fast path made the year: parts by station
        first = conn.execute(VALUES).fetchone()
        conn.execute("DROP TABLE raw_data.inmet_observations_2024")
        conn.execute("DELETE FROM raw_data.loads")
        conn.execute("SELECT raw_data.ensure_partitions('2024-06-01', '2024-06-01')")  # the year exists, empty
    by_file = load(migrated_db, sample.archive_zip)
    with connect("admin", migrated_db) as conn:
        assert conn.execute(YEAR_KIND).fetchone() == ("r",)  # loaded file by file into a plain partition
        assert conn.execute(VALUES).fetchone() == first
    assert first[0] == 4 * 5 * 24
    assert [(s.station_code, s.new) for s in whole] == [(s.station_code, s.new) for s in by_file]


def test_the_year_keeps_the_parts_keys_and_indexes(migrated_db, tmp_path):
    load(migrated_db, generate(tmp_path / "s", days=2).archive_zip)
    with connect("admin", migrated_db) as conn:
        leaves = conn.execute(
            "SELECT c.relname, count(i.indexrelid), count(p.inhparent) FROM pg_inherits l "
            "JOIN pg_class c ON c.oid = l.inhrelid JOIN pg_index i ON i.indrelid = c.oid "
            "LEFT JOIN pg_inherits p ON p.inhrelid = i.indexrelid "
            "WHERE l.inhparent = 'raw_data.inmet_observations_2024'::regclass GROUP BY 1 ORDER BY 1"
        ).fetchall()
        constraints = conn.execute("SELECT count(*) FROM pg_constraint WHERE conname = 'in_part'").fetchone()[0]
    # each part: its key and its BRIN index, both attached to raw_data.inmet_observations' own (none rebuilt)
    assert leaves == [(f"inmet_observations_2024_p{i}", 2, 2) for i in range(year_load.PARTS)]
    assert constraints == 0


def test_a_year_another_session_is_loading_goes_file_by_file(migrated_db, tmp_path):
    sample = generate(tmp_path / "s", days=2, stations=["Z807", "Z621"])
    with connect("admin", migrated_db, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtext('lumen raw_data year load'), 2024)")
        stats = load(migrated_db, sample.archive_zip)
        with connect("admin", migrated_db) as conn:
            assert conn.execute(YEAR_KIND).fetchone() == ("r",)
    assert sorted((s.station_code, s.new) for s in stats) == [("Z621", 48), ("Z807", 48)]
    assert "(warning: 2024: another load of this year is running, so its files were loaded one by one)" in (
        ingest.summary_line(stats)
    )


def test_rows_of_another_year_in_a_file_fall_back_to_file_by_file(migrated_db, tmp_path):
    """A file named for 2024 that holds an hour of 2025: the year's parts refuse it (their CHECK),
    the files load one by one, and the stray hour lands in a 2025 partition."""
    sample = generate(tmp_path / "s", days=1, stations=["Z807"])
    csv = next(iter(list_files(sample.archive_zip)))
    with csv.opener() as f:
        text = f.read()
    path = tmp_path / csv.name
    path.write_bytes(text + b"2025/01/01;0000 UTC;0;;;;;;;;;;;;;;;;;\n")
    stats = load(migrated_db, path)
    assert [(s.station_code, s.new) for s in stats] == [("Z807", 25)]
    assert "2024: the whole-year load failed (" in stats[0].warnings[0]  # the fast path's failure is visible
    with connect("admin", migrated_db) as conn:
        years = conn.execute(
            "SELECT tableoid::regclass::text, count(*) FROM raw_data.inmet_observations GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert years == [("raw_data.inmet_observations_2024", 24), ("raw_data.inmet_observations_2025", 1)]
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'loading%'").fetchone() == (0,)
