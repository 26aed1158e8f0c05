"""raw_data → processed_data on a real PostgreSQL: types, units, merge rule, every quality rule."""

from datetime import UTC, datetime

import pytest

from lumen import ingest
from lumen.clean import quality, transform
from lumen.db import connect
from lumen.inmet.archive import list_files
from lumen.sample import generate
from tests.conftest import samples_dir
from tests.fakes.inmet import api_records_from_pandas_csv

T0 = datetime(2024, 11, 1, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def load_zip(settings, path):
    with connect("pipeline", settings) as conn:
        ingest.load_archive(conn, list_files(path), "load")


def clean(settings, start, end, run_id="run-1", mode="fail", stations=None):
    with connect("pipeline", settings) as conn:
        return transform.clean(conn, start, end, run_id, stations, mode)


def test_real_a807_years_are_clean(migrated_db):
    samples = samples_dir()
    for year in (2018, 2019, 2024):
        load_zip(migrated_db, samples / f"INMET_S_PR_A807_CURITIBA_01-01-{year}_A_31-12-{year}.CSV")
    results = {y: clean(migrated_db, utc(y, 1, 1), utc(y + 1, 1, 1), f"r{y}") for y in (2018, 2019, 2024)}
    # every hour is in raw; hours with every sensor missing stay there only; nothing breaks a rule
    assert {y: (r.raw_rows, r.checked, r.new, r.bad_rows) for y, r in results.items()} == {
        2018: (8760, 8602, 8602, 0),
        2019: (8760, 8587, 8587, 0),
        2024: (8784, 8600, 8600, 0),
    }
    with connect("admin", migrated_db) as conn:
        saturated, no_night_rad = conn.execute(
            "SELECT count(*) FILTER (WHERE rel_humidity_pct = 100), "
            "count(*) FILTER (WHERE global_radiation_kj_m2 IS NULL AND local_hour NOT BETWEEN 6 AND 18) "
            "FROM processed_data.observations"
        ).fetchone()
        assert saturated == 51 + 60 + 38 and no_night_rad > 10_000  # real, and not errors
        row = conn.execute(
            "SELECT local_date::text, local_hour, precip_mm, global_radiation_kj_m2, air_temp_c, dew_point_c, "
            "pressure_hpa, wind_dir_deg, source FROM processed_data.observations "
            "WHERE station_code = 'A807' AND observed_at = '2018-01-01 02:00+00'"
        ).fetchone()
        # Brazil kept summer time in Jan 2018 (UTC−2): 02:00 UTC is midnight local
        assert row == ("2018-01-01", 0, 0.2, None, 19.2, None, 908.9, 10.0, "archive")
        noon = conn.execute(
            "SELECT global_radiation_kj_m2, global_radiation_w_m2, local_hour FROM processed_data.observations "
            "WHERE observed_at = '2024-06-01 15:00+00'"
        ).fetchone()
        assert noon[0] == 2346 and noon[1] == pytest.approx(2346 / 3.6) and noon[2] == 12
        st = conn.execute(
            "SELECT name, uf, latitude, altitude_m, operating_since::date::text, source FROM processed_data.stations"
        ).fetchone()
        assert st == ("CURITIBA", "PR", pytest.approx(-25.4486111), 922.91, "2003-01-28", "archive")
    again = clean(migrated_db, utc(2024, 1, 1), utc(2025, 1, 1), "r-again")
    assert (again.new, again.changed, again.unchanged) == (0, 0, 8600)


def test_api_units_night_radiation_and_merge_rule(migrated_db):
    records = api_records_from_pandas_csv(samples_dir() / "api_estacao_A621_2020-09-01_2020-09-30.pandas.csv")
    with connect("pipeline", migrated_db) as conn:
        ingest.load_api_observations(conn, records, "api-test", "load")
        conn.execute(  # an archive row for one hour (wins), and an all-empty archive row (the API's wins)
            "INSERT INTO raw_data.inmet_observations (source, station_code, observed_at, dt_medicao, hr_medicao, "
            "tem_ins, umd_ins, load_id) VALUES "
            "('archive', 'A621', '2020-09-01 05:00+00', '2020/09/01', '0500 UTC', '11,5', '80', 0), "
            "('archive', 'A621', '2020-09-01 06:00+00', '2020/09/01', '0600 UTC', '', '', 0)"
        )
        conn.commit()
    res = clean(migrated_db, utc(2020, 9, 1), utc(2020, 10, 1))
    # 720 API hours + 2 archive rows; the API's 2020-09-30 23:00 has no value at all; hour 05 is the archive's
    assert (res.raw_rows, res.checked, res.new, res.bad_rows) == (722, 719, 719, 0)
    with connect("admin", migrated_db) as conn:
        rows = dict(
            (h, (src, t))
            for h, src, t in conn.execute(
                "SELECT extract(hour FROM observed_at)::int, source, air_temp_c FROM processed_data.observations "
                "WHERE observed_at BETWEEN '2020-09-01 04:00+00' AND '2020-09-01 06:00+00'"
            )
        )
        assert rows[5] == ("archive", 11.5) and rows[6][0] == "api" and rows[4][0] == "api"
        first = conn.execute(
            "SELECT global_radiation_kj_m2, air_temp_c, local_date::text, local_hour FROM processed_data.observations "
            "WHERE observed_at = '2020-09-01 00:00+00'"
        ).fetchone()
        assert first == (0.0, 23.7, "2020-08-31", 21)  # -2.556 kJ/m² at night → 0; local is UTC−3


# (column to spoil, raw text, expected rule, processed column)
CASES = [
    ("tem_ins", "49,5", "air temperature -15..48 °C", "air_temp_c"),
    ("tem_min", "-16", "air temperature -15..48 °C", "air_temp_min_c"),
    ("pto_ins", "-31", "dew point -30..35 °C", "dew_point_c"),
    ("umd_ins", "150", "humidity 0..100", "rel_humidity_pct"),
    ("umd_min", "-1", "humidity 0..100", "rel_humidity_min_pct"),
    ("pre_ins", "1100", "pressure 700..1050 hPa", "pressure_hpa"),
    ("ven_vel", "45", "wind speed 0..40 m/s", "wind_speed_ms"),
    ("ven_raj", "61", "wind gust 0..60 m/s", "wind_gust_ms"),
    ("ven_dir", "361", "wind direction 0..360", "wind_dir_deg"),
    ("chuva", "-4", "rain 0..150 mm", "precip_mm"),
    ("chuva", "151", "rain 0..150 mm", "precip_mm"),
    ("rad_glo", "5000", "radiation 0..4900 kJ/m²", "global_radiation_kj_m2"),
    ("rad_glo", "-25", "radiation 0..4900 kJ/m²", "global_radiation_kj_m2"),
    ("tem_ins", "abc", quality.NOT_A_NUMBER, "air_temp_c"),
    # a 400-digit number overflowed the cast to double precision and failed the whole window (#26)
    ("pre_ins", "9" * 400, quality.NOT_A_NUMBER, "pressure_hpa"),
    ("pre_ins", "1" * 12 + ",5", quality.NOT_A_NUMBER, "pressure_hpa"),
]


@pytest.fixture()
def sample_db(migrated_db, tmp_path):
    load_zip(migrated_db, generate(tmp_path, days=2).archive_zip)
    return migrated_db


HOUR = utc(2024, 11, 1, 15)


def spoil(settings, column: str, text: str, at=HOUR, station="Z001"):
    with connect("admin", settings) as conn:
        conn.execute(
            f"UPDATE raw_data.inmet_observations SET {column} = %s WHERE station_code = %s AND observed_at = %s",
            (text, station, at),
        )
        conn.commit()


def quarantined(settings, run_id):
    with connect("admin", settings) as conn:
        return conn.execute(
            "SELECT station_code, observed_at, rule, column_name, value FROM processed_data.quarantine "
            "WHERE run_id = %s ORDER BY id",
            (run_id,),
        ).fetchall()


@pytest.mark.parametrize(("raw_col", "text", "rule", "column"), CASES)
def test_each_range_rule_quarantines_and_fails(sample_db, raw_col, text, rule, column):
    spoil(sample_db, raw_col, text)
    with pytest.raises(transform.QualityError) as exc:
        clean(sample_db, T0, utc(2024, 11, 3))
    shown = text.replace(",", ".") if rule != quality.NOT_A_NUMBER else text
    assert f"station Z001 2024-11-01 15:00 UTC {column}={shown}" in str(exc.value)
    assert f"(rule: {rule})" in str(exc.value)
    rows = quarantined(sample_db, "run-1")
    assert ("Z001", utc(2024, 11, 1, 15), rule, column) in [r[:4] for r in rows]
    with connect("admin", sample_db) as conn:  # fail mode: nothing of the window is published
        assert conn.execute("SELECT count(*) FROM processed_data.observations").fetchone() == (0,)


def test_relational_rules(sample_db):
    hour = utc(2024, 11, 1, 15)
    with connect("admin", sample_db) as conn:
        conn.execute(
            "UPDATE raw_data.inmet_observations SET tem_ins = '20', pto_ins = '22', tem_max = '19', tem_min = '21', "
            "ven_vel = '5', ven_raj = '3', umd_min = '90', umd_max = '80' WHERE station_code = 'Z652' AND "
            "observed_at = %s",
            (hour,),
        )
        conn.commit()
    result = clean(sample_db, T0, utc(2024, 11, 3), mode="quarantine")
    found = {(r[2], r[3]) for r in quarantined(sample_db, "run-1")}
    assert {
        ("dew point <= air temperature", "dew_point_c"),
        ("wind gust >= wind speed", "wind_gust_ms"),
        ("min <= max", "air_temp_min_c"),
        ("min <= max", "rel_humidity_min_pct"),
        ("min <= instant <= max", "air_temp_c"),
    } <= found
    assert result.new == result.checked - 1  # only that hour is held back


def test_quarantine_mode_lets_valid_rows_through(sample_db):
    spoil(sample_db, "umd_ins", "150", at=utc(2024, 11, 2, 3), station="Z807")
    result = clean(sample_db, T0, utc(2024, 11, 3), mode="quarantine")
    assert result.bad_rows == 1 and result.new == result.checked - 1
    with connect("admin", sample_db) as conn:
        assert conn.execute(
            "SELECT count(*) FROM processed_data.observations WHERE station_code = 'Z807' "
            "AND observed_at = '2024-11-02 03:00+00'"
        ).fetchone() == (0,)
        assert conn.execute(
            "SELECT umd_ins FROM raw_data.inmet_observations WHERE station_code = 'Z807' "
            "AND observed_at = '2024-11-02 03:00+00'"
        ).fetchone() == ("150",)
    # fixed at the source: the next run publishes it
    spoil(sample_db, "umd_ins", "95", at=utc(2024, 11, 2, 3), station="Z807")
    fixed = clean(sample_db, T0, utc(2024, 11, 3), "run-2", mode="quarantine")
    assert (fixed.new, fixed.bad_rows) == (1, 0)


def test_all_missing_hours_stay_raw_only(migrated_db, tmp_path):
    load_zip(migrated_db, generate(tmp_path, days=7, stations=["Z621"]).archive_zip)  # 5 silent hours
    result = clean(migrated_db, T0, utc(2024, 11, 8))
    assert result.raw_rows == 168 and result.checked == 163 and result.new == 163


def test_window_and_station_filter(sample_db):
    result = clean(sample_db, utc(2024, 11, 1, 3), utc(2024, 11, 1, 6), stations=["Z807", "Z001"])
    assert (result.raw_rows, result.new) == (6, 6)
    with pytest.raises(Exception, match="ends"):
        clean(sample_db, utc(2024, 11, 2), utc(2024, 11, 1))


def test_quarantine_holds_one_row_per_problem_and_resolves_fixed_hours(sample_db):
    at = utc(2024, 11, 2, 3)
    spoil(sample_db, "umd_ins", "150", at=at, station="Z807")
    for run in ("q1", "q2", "q3"):  # the same window three times
        clean(sample_db, T0, utc(2024, 11, 3), run, mode="quarantine")
    with connect("admin", sample_db) as conn:
        rows = conn.execute(
            "SELECT rule, column_name, value, run_id, resolved_at FROM processed_data.quarantine"
        ).fetchall()
    assert rows == [("humidity 0..100", "rel_humidity_pct", "150", "q3", None)]  # once, from the latest run

    spoil(sample_db, "umd_ins", "95", at=at, station="Z807")  # fixed upstream
    fixed = clean(sample_db, T0, utc(2024, 11, 3), "q4", mode="quarantine")
    assert fixed.resolved == 1 and "1 earlier quarantine row(s) resolved" in fixed.line()
    with connect("admin", sample_db) as conn:
        kept = conn.execute(
            "SELECT run_id, resolved_run_id, resolved_at IS NOT NULL FROM processed_data.quarantine"
        ).fetchall()
        open_days = conn.execute(
            "SELECT coalesce(sum(hours_quarantined), 0) FROM analytics.data_quality_daily"
        ).fetchone()
    assert kept == [("q3", "q4", True)] and open_days == (0,)  # kept as history, no longer counted

    spoil(sample_db, "umd_ins", "150", at=at, station="Z807")  # broken again: the same row opens again
    clean(sample_db, T0, utc(2024, 11, 3), "q5", mode="quarantine")
    with connect("admin", sample_db) as conn:
        again = conn.execute("SELECT run_id, resolved_at FROM processed_data.quarantine").fetchall()
    assert again == [("q5", None)]


@pytest.mark.parametrize("text", ["", " ", "-9999", "-9999,0", "-9999.0", "-9999,00", " -9999 "])
def test_every_spelling_of_missing_is_missing_in_sql_too(sample_db, text):
    """One definition (lumen.inmet.schema): SQL and Python agree, and no spelling is quarantined."""
    spoil(sample_db, "tem_ins", text)
    clean(sample_db, T0, utc(2024, 11, 3))
    with connect("admin", sample_db) as conn:
        value = conn.execute(
            "SELECT air_temp_c FROM processed_data.observations WHERE station_code = 'Z001' AND observed_at = %s",
            (HOUR,),
        ).fetchone()
        assert value == (None,)
        assert conn.execute("SELECT count(*) FROM processed_data.quarantine").fetchone() == (0,)


def test_a_station_without_a_zone_is_held_by_name_and_the_others_go_on(sample_db):
    with connect("admin", sample_db) as conn:
        conn.execute(
            "UPDATE raw_data.inmet_stations SET latitude = NULL, longitude = NULL, uf = NULL "
            "WHERE station_code = 'Z652'"
        )
        conn.execute(
            "INSERT INTO raw_data.inmet_observations (source, station_code, observed_at, load_id, dt_medicao, hr_medicao, tem_ins) "
            "SELECT 'api', 'Z999', observed_at, load_id, dt_medicao, hr_medicao, tem_ins FROM raw_data.inmet_observations "
            "WHERE station_code = 'Z807' AND observed_at < '2024-11-01 03:00+00'"
        )  # rows, no record at all
        conn.commit()
    result = clean(sample_db, T0, utc(2024, 11, 3))
    assert result.held == ["Z652", "Z999"]
    assert "station Z999: record empty — needs a station record" in result.warning()
    assert "held back (station record unusable): Z652, Z999" in result.line()
    with connect("admin", sample_db) as conn:
        done = dict(conn.execute("SELECT station_code, count(*) FROM processed_data.observations GROUP BY 1"))
    assert set(done) == {"Z807", "Z621", "Z001"}


def test_a_large_clean_refreshes_the_planners_statistics(migrated_db, tmp_path, monkeypatch):
    """After a large write the next steps must not plan on statistics that say the window is empty (V016)."""
    load_zip(migrated_db, generate(tmp_path, days=2).archive_zip)

    def reltuples() -> float:
        with connect("admin", migrated_db) as conn:
            return conn.execute(
                "SELECT reltuples FROM pg_class WHERE oid = 'processed_data.observations'::regclass"
            ).fetchone()[0]

    monkeypatch.setattr(transform, "ANALYZE_MIN_ROWS", 1000)  # the sample's 192 rows: a small clean
    clean(migrated_db, T0, utc(2024, 11, 3), "small")
    assert reltuples() == -1  # never analyzed: left to autovacuum
    monkeypatch.setattr(transform, "ANALYZE_MIN_ROWS", 100)
    with connect("admin", migrated_db) as conn:
        conn.execute("TRUNCATE processed_data.observations")
        conn.commit()
    clean(migrated_db, T0, utc(2024, 11, 3), "large")  # by the pipeline role, which does not own the table
    assert reltuples() == 192
