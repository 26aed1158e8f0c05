"""Local time in each station's own zone, and a database upgraded from the Sao_Paulo-for-all days."""

from datetime import UTC, date, datetime

import pytest

from lumen import ingest
from lumen.clean import transform
from lumen.db import connect
from lumen.inmet.archive import list_files
from lumen.publish import analytics
from lumen.run.database import migrate
from lumen.sample import Station, archive_csv, station_hours
from tests.conftest import empty_database

DAY = date(2016, 1, 14)  # Brazil's 2015/16 summer: the South-East, South and Centre-West kept UTC−2/−3
STATIONS = [  # code, UF, lat, lon, local hour at 2016-01-15 12:00 UTC
    ("B901", "PR", -25.45, -49.23, 10),  # America/Sao_Paulo, daylight saving: UTC−2
    ("B902", "SE", -10.95, -37.05, 9),  # America/Maceio: UTC−3 all year (the example)
    ("B903", "AM", -3.10, -60.02, 8),  # America/Manaus: UTC−4
    ("B904", "AC", -9.97, -67.81, 7),  # America/Rio_Branco: UTC−5
    ("B905", "MT", -15.60, -56.10, 9),  # America/Cuiaba, daylight saving: UTC−3
]


def write_files(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for code, uf, lat, lon, _ in STATIONS:
        st = Station(code, f"TESTE {uf}", uf, "X", lat, lon, 100.0, date(2010, 1, 1), 25.0, 0.3)
        rows = station_hours(st, DAY, 3)
        (folder / f"INMET_X_{uf}_{code}_TESTE_14-01-2016_A_16-01-2016.CSV").write_bytes(
            archive_csv(st, rows, DAY, date(2016, 1, 16))
        )
    return folder


def load_and_clean(settings, folder) -> None:
    with connect("pipeline", settings) as conn:
        ingest.load_archive(conn, list_files(folder), "load")
        transform.clean(conn, datetime(2016, 1, 14, tzinfo=UTC), datetime(2016, 1, 17, tzinfo=UTC), "clean")
        conn.commit()
    analytics.publish(settings)


def test_each_station_gets_its_own_local_time(migrated_db, tmp_path):
    load_and_clean(migrated_db, write_files(tmp_path / "csv"))
    with connect("admin", migrated_db) as conn:
        hours = dict(
            conn.execute(
                "SELECT station_code, local_hour FROM processed_data.observations "
                "WHERE observed_at = '2016-01-15 12:00+00'"
            ).fetchall()
        )
        zones = conn.execute(
            "SELECT station_code, time_zone, time_zone_source FROM processed_data.stations ORDER BY 1"
        ).fetchall()
        late = conn.execute(
            "SELECT local_date::text, local_hour FROM processed_data.observations "
            "WHERE station_code = 'B904' AND observed_at = '2016-01-15 02:00+00'"
        ).fetchone()
        full_days = conn.execute(
            "SELECT station_code, hours_with_data FROM analytics.daily_station_summary "
            "WHERE local_date = '2016-01-15' ORDER BY 1"
        ).fetchall()
    assert hours == {code: hour for code, *_, hour in STATIONS}
    assert zones == [
        ("B901", "America/Sao_Paulo", "coordinates"),
        ("B902", "America/Maceio", "coordinates"),
        ("B903", "America/Manaus", "coordinates"),
        ("B904", "America/Rio_Branco", "coordinates"),
        ("B905", "America/Cuiaba", "coordinates"),
    ]
    assert late == ("2016-01-14", 21)  # 02:00 UTC is 21:00 of the day before in Acre
    assert full_days == [(code, 24) for code, *_ in STATIONS]  # each local day is whole in its own zone


PROCESSED = "SELECT * FROM processed_data.observations ORDER BY station_code, observed_at"
STATIONS_SQL = (
    "SELECT station_code, name, uf, latitude, longitude, altitude_m, operating_since, time_zone, time_zone_source "
    "FROM processed_data.stations ORDER BY 1"
)
ANALYTICS = (
    "SELECT * FROM analytics.daily_station_summary ORDER BY 1, 2",
    "SELECT * FROM analytics.monthly_station_summary ORDER BY 1, 2",
    "SELECT * FROM analytics.station_extremes ORDER BY 1, 2",
    "SELECT * FROM analytics.data_quality_daily ORDER BY 1, 2",
)


def snapshot(settings) -> dict:
    with connect("admin", settings) as conn:
        cur = conn.execute(PROCESSED)
        names = [d.name for d in cur.description]
        keep = [i for i, n in enumerate(names) if n not in ("run_id", "processed_at")]
        return {
            "processed": [tuple(r[i] for i in keep) for r in cur.fetchall()],
            "stations": conn.execute(STATIONS_SQL).fetchall(),
            **{q: conn.execute(q).fetchall() for q in ANALYTICS},
        }


@pytest.fixture()
def old_db(pg_admin_url):
    """A second empty database beside migrated_db (the one an older release made)."""
    with empty_database(pg_admin_url) as settings:
        yield settings


def test_an_upgraded_database_ends_identical_to_a_fresh_load(migrated_db, old_db, tmp_path):
    """V011's database had every station in America/Sao_Paulo: after migrating, its rows are re-derived."""
    folder = write_files(tmp_path / "csv")
    load_and_clean(migrated_db, folder)
    fresh = snapshot(migrated_db)

    migrate(old_db, up_to=11)  # the database as the previous release left it
    with connect("pipeline", old_db) as conn:
        ingest.load_archive(conn, list_files(folder), "old-load")
    with connect("admin", migrated_db) as src, connect("admin", old_db) as dst:
        # the old transform's output: the same values, local time from America/Sao_Paulo for every station
        cur = src.execute(PROCESSED)
        cols = [d.name for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        with dst.cursor().copy(f"COPY processed_data.observations ({', '.join(cols)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row([r[c] for c in cols])
        dst.execute(
            "UPDATE processed_data.observations SET local_date = (observed_at AT TIME ZONE 'America/Sao_Paulo')::date,"
            " local_hour = extract(hour FROM observed_at AT TIME ZONE 'America/Sao_Paulo')"
        )
        st_cols = "station_code, name, uf, latitude, longitude, altitude_m, status, station_type, source, run_id"
        with dst.cursor().copy(f"COPY processed_data.stations ({st_cols}, operating_since) FROM STDIN") as copy:
            for r in src.execute(f"SELECT {st_cols}, operating_since FROM processed_data.stations"):
                copy.write_row(r)
        dst.execute(  # and the quarantine rows it piled up, three times over
            "INSERT INTO processed_data.quarantine (station_code, observed_at, source, rule, column_name, value, run_id)"
            " SELECT 'B902', '2016-01-15 03:00+00', 'archive', 'humidity 0..100', 'rel_humidity_pct', '150', 'r' || i"
            " FROM generate_series(1, 3) i"
        )
        dst.execute("SELECT count(*) FROM analytics.refresh()")  # V011's own analytics, as it left them
        dst.commit()
        shifted = dst.execute(
            "SELECT local_hour FROM processed_data.observations WHERE station_code = 'B904' "
            "AND observed_at = '2016-01-15 12:00+00'"
        ).fetchone()
    assert shifted == (10,)  # what the old release stored: Acre at Sao_Paulo's summer time

    migrate(old_db)
    upgraded = snapshot(old_db)
    assert upgraded["processed"] == fresh["processed"]
    assert upgraded["stations"] == fresh["stations"]
    for q in ANALYTICS[:3]:
        assert upgraded[q] == fresh[q], q
    with connect("admin", old_db) as conn:
        kept = conn.execute("SELECT run_id FROM processed_data.quarantine").fetchall()
    assert kept == [("r3",)]  # one row per (station, hour, rule, column): the latest run's


def test_a_station_whose_coordinates_move_is_re_derived(migrated_db, tmp_path):
    load_and_clean(migrated_db, write_files(tmp_path / "csv"))
    with connect("admin", migrated_db) as conn:  # B902's header had Acre's coordinates by mistake; fixed now
        conn.execute(
            "UPDATE raw_data.inmet_stations SET latitude = '-9,97', longitude = '-67,81' WHERE station_code = 'B902'"
        )
        conn.commit()
    with connect("pipeline", migrated_db) as conn:
        transform.clean(conn, datetime(2016, 1, 15, tzinfo=UTC), datetime(2016, 1, 15, 1, tzinfo=UTC), "again")
        conn.commit()
        asked = conn.execute("SELECT run_id, reason FROM ops.analytics_rebuild").fetchall()
    assert asked == [("again", "time zone changed: B902")]  # the rebuild waits for the next publish
    analytics.publish(migrated_db, datetime(2016, 1, 15, tzinfo=UTC), datetime(2016, 1, 15, 1, tzinfo=UTC))
    with connect("admin", migrated_db) as conn:
        hour = conn.execute(
            "SELECT local_hour FROM processed_data.observations WHERE station_code = 'B902' "
            "AND observed_at = '2016-01-15 12:00+00'"
        ).fetchone()  # outside the cleaned window: re-derived all the same
        day = conn.execute(
            "SELECT hours_with_data FROM analytics.daily_station_summary WHERE station_code = 'B902' "
            "AND local_date = '2016-01-15'"
        ).fetchone()
        left = conn.execute("SELECT count(*) FROM ops.analytics_rebuild").fetchone()[0]
    assert hour == (7,) and day == (24,) and left == 0
