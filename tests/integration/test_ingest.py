"""Loading into raw_data against a real PostgreSQL: exact rows, idempotency, crash safety, bad input."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from lumen import ingest
from lumen.db import connect
from lumen.ingest import year_load
from lumen.inmet.archive import ArchiveError, list_files
from lumen.sample import generate
from lumen.vocabulary import new_run_id
from tests.conftest import samples_dir
from tests.fakes.inmet import api_records_from_pandas_csv

CHECKSUM = """
SELECT count(*), md5(string_agg(t::text, '|' ORDER BY source, station_code, observed_at))
FROM raw_data.inmet_observations t
"""


def load(settings, path: Path, **filters) -> list[ingest.LoadStats]:
    with connect("pipeline", settings) as conn:
        return ingest.load_archive(conn, list_files(path, **filters), new_run_id())


def test_real_years_land_byte_for_byte(migrated_db):
    samples = samples_dir()
    for year, hours in ((2018, 8760), (2019, 8760), (2024, 8784)):
        stats = load(migrated_db, samples / f"INMET_S_PR_A807_CURITIBA_01-01-{year}_A_31-12-{year}.CSV")
        assert [(s.station_code, s.new, s.changed, s.unchanged) for s in stats] == [("A807", hours, 0, 0)]
    with connect("admin", migrated_db) as conn:
        rows = conn.execute(
            "SELECT extract(year FROM observed_at)::int, count(*) FROM raw_data.inmet_observations "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert rows == [(2018, 8760), (2019, 8760), (2024, 8784)]
        row = conn.execute(
            "SELECT dt_medicao, hr_medicao, chuva, rad_glo, tem_ins FROM raw_data.inmet_observations "
            "WHERE observed_at = '2018-01-01 02:00+00'"
        ).fetchone()
        assert row == ("2018-01-01", "02:00", ",2", "-9999", "19,2")
        station = conn.execute(
            "SELECT name, uf, latitude, started, payload->>'CODIGO (WMO):' FROM raw_data.inmet_stations"
        ).fetchone()
        assert station == ("CURITIBA", "PR", "-25,4486111", "28/01/03", "A807")  # the latest file's header


def test_same_window_three_times_changes_nothing(migrated_db, tmp_path):
    sample = generate(tmp_path / "s", days=7)
    sums = []
    for _ in range(3):
        load(migrated_db, sample.archive_zip)
        with connect("admin", migrated_db) as conn:
            sums.append(conn.execute(CHECKSUM).fetchone())
    assert sums[0][0] == 4 * 7 * 24
    assert sums[0] == sums[1] == sums[2]
    second = load(migrated_db, sample.archive_zip)
    assert {(s.new, s.changed, s.unchanged) for s in second} == {(0, 0, 168)}


def test_a_corrected_file_updates_only_changed_rows(migrated_db, tmp_path):
    clean = generate(tmp_path / "a", days=3, stations=["Z807"])
    load(migrated_db, clean.archive_zip)
    fixed = generate(tmp_path / "b", days=3, stations=["Z807"], inject=["rh_150"])
    stats = load(migrated_db, fixed.archive_zip)
    assert [(s.new, s.changed, s.unchanged) for s in stats] == [(0, 1, 71)]
    with connect("admin", migrated_db) as conn:
        assert conn.execute(
            "SELECT umd_ins FROM raw_data.inmet_observations WHERE observed_at = '2024-11-02 03:00+00'"
        ).fetchone() == ("150",)


def test_api_answers_merge_with_strings_and_nulls(migrated_db):
    records = api_records_from_pandas_csv(samples_dir() / "api_estacao_A621_2020-09-01_2020-09-30.pandas.csv")
    records[0]["TEM_CPU"] = "31.5"
    records[1]["XYZ_NEW"] = "kept"
    origin = "https://apitempo.inmet.gov.br/estacao/2020-09-01/2020-09-30/A621"
    with connect("pipeline", migrated_db) as conn:
        first = ingest.load_api_observations(conn, records, origin, "run-1")
        again = ingest.load_api_observations(conn, records, origin, "run-2")
        records[5]["TEM_INS"] = "99.9"
        third = ingest.load_api_observations(conn, records, origin, "run-3")
        assert ingest.watermarks(conn) == {"A621": datetime(2020, 9, 30, 23, tzinfo=UTC)}
    assert [(s.new, s.changed, s.unchanged) for s in first + again + third] == [(720, 0, 0), (0, 0, 720), (0, 1, 719)]
    with connect("admin", migrated_db) as conn:
        row = conn.execute(
            "SELECT hr_medicao, tem_ins, rad_glo, tem_cpu, other->>'DC_NOME', run_id "
            "FROM raw_data.inmet_observations_with_origin "
            "WHERE observed_at = '2020-09-01 00:00+00'"
        ).fetchone()
        assert row == ("0000", "23.7", "-2.556", "31.5", "RIO DE JANEIRO - VILA MILITAR", "run-1")
        assert conn.execute(
            "SELECT other->>'XYZ_NEW' FROM raw_data.inmet_observations WHERE observed_at = '2020-09-01 01:00+00'"
        ).fetchone() == ("kept",)
        nulls = conn.execute("SELECT count(*) FROM raw_data.inmet_observations WHERE rad_glo IS NULL").fetchone()[0]
        assert nulls == sum(1 for r in records if r["RAD_GLO"] is None) > 0


def test_many_api_answers_merge_in_one_batch_with_their_own_origins(migrated_db):
    def answer(code: str, hours: int) -> tuple[list[dict], str]:
        recs = [
            {"CD_ESTACAO": code, "DT_MEDICAO": "2024-05-10", "HR_MEDICAO": f"{h:02d}00", "TEM_INS": "20.5"}
            for h in range(hours)
        ]
        return recs, f"https://apitempo.inmet.gov.br/estacao/2024-05-10/2024-05-10/{code}"

    answers = [answer("A001", 3), answer("A002", 2), answer("A003", 0)]
    with connect("pipeline", migrated_db) as conn:
        stats = ingest.load_api_answers(conn, answers, "run-1")
        again = ingest.load_api_answers(conn, answers, "run-2")
        origins = conn.execute(
            "SELECT station_code, min(origin), count(*) FROM raw_data.inmet_observations_with_origin "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert sorted((s.station_code, s.new, s.origin) for s in stats) == [
        ("A001", 3, answers[0][1]),
        ("A002", 2, answers[1][1]),
    ]
    assert sum(s.unchanged for s in again) == 5 and not any(s.new or s.changed for s in again)
    assert origins == [("A001", answers[0][1], 3), ("A002", answers[1][1], 2)]


def test_watermark_windows():
    marks = {"Z001": datetime(2024, 5, 10, 2, tzinfo=UTC)}
    groups = ingest.api_windows(["Z001", "A002"], marks, None, date(2024, 5, 10), overlap_hours=3)
    assert groups == {date(2024, 5, 9): ["Z001", "A002"]}
    recs = [{"DT_MEDICAO": "2024-05-09", "HR_MEDICAO": f"{h:02d}00"} for h in range(20, 24)]
    assert [r["HR_MEDICAO"] for r in ingest.after_watermark(recs, marks["Z001"], 3)] == ["2300"]


def test_bad_files_leave_earlier_data_untouched(migrated_db, tmp_path):
    good = generate(tmp_path / "g", days=2, stations=["Z807"])
    load(migrated_db, good.archive_zip)
    with connect("admin", migrated_db) as conn:
        before = conn.execute(CHECKSUM).fetchone()
    src = zipfile.ZipFile(good.archive_zip).read(zipfile.ZipFile(good.archive_zip).namelist()[0]).decode("latin-1")
    lines = src.splitlines()
    cases = {
        "dupe": ("\n".join([*lines[:12], lines[11], *lines[12:]]), r"the same hour appears more than once: Z807 "),
        "badvalue": (
            "\n".join([*lines[:11], lines[11].replace("UTC;", "UTC;1;2;3;", 1), *lines[12:]]),
            r"line \d+: extra data after last expected column",
        ),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / f"INMET_S_PR_Z807_CURITIBA_01-11-2024_A_02-11-2024.{name}.CSV"
        path.write_bytes(text.encode("latin-1"))
        (stats,) = load(migrated_db, path)
        assert re.search(message, stats.refused) and stats.refused.startswith(str(path)), stats
    unreadable = tmp_path / "2024.zip"
    unreadable.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ArchiveError, match="not a readable ZIP"):
        load(migrated_db, unreadable)
    with connect("admin", migrated_db) as conn:
        assert conn.execute(CHECKSUM).fetchone() == before


def test_a_bad_file_is_refused_alone_and_the_files_after_it_load(migrated_db, tmp_path):
    sample = generate(tmp_path / "g", days=2, stations=["Z001", "Z621", "Z652", "Z807"])
    folder = tmp_path / "csv"
    folder.mkdir()
    with zipfile.ZipFile(sample.archive_zip) as zf:
        for member in zf.namelist():
            (folder / Path(member).name).write_bytes(zf.read(member))
    files = sorted(folder.iterdir())
    assert [f.name.split("_")[3] for f in files] == ["Z001", "Z621", "Z652", "Z807"]
    lines = files[1].read_bytes().split(b"\n")
    lines[20] = b"2024/11/01;09h00;0;913"
    files[1].write_bytes(b"\n".join(lines))
    stats = load(migrated_db, folder)
    assert [s.station_code for s in stats if s.refused] == ["Z621"]
    assert re.search(r"Z621.*line 21: not an hourly row", ingest.refusals(stats)[0])
    with connect("admin", migrated_db) as conn:
        loaded = conn.execute("SELECT DISTINCT station_code FROM raw_data.inmet_observations ORDER BY 1").fetchall()
    assert loaded == [("Z001",), ("Z652",), ("Z807",)]  # one file's fault is that file's (#26)


def test_dupes_in_a_new_station_period_are_refused_too(migrated_db, tmp_path):
    good = generate(tmp_path / "g", days=2, stations=["Z001"])
    text = zipfile.ZipFile(good.archive_zip).read(zipfile.ZipFile(good.archive_zip).namelist()[0]).decode("latin-1")
    lines = text.splitlines()
    path = tmp_path / "INMET_CO_DF_Z001_BRASILIA_01-11-2024_A_02-11-2024.CSV"
    path.write_bytes("\n".join([*lines, lines[-1]]).encode("latin-1"))
    (stats,) = load(migrated_db, path)
    assert re.search(r"Z001 2024-11-02 23:00 UTC \(2×\)", stats.refused)
    with connect("admin", migrated_db) as conn:
        assert conn.execute("SELECT count(*) FROM raw_data.inmet_observations").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM raw_data.inmet_stations").fetchone() == (0,)


def _kill_while_blocked(settings, archive_zip: Path, blocked_station: str) -> dict[str, int]:
    """Run `lumen ingest archive`, hold the station row its batch upserts last, SIGKILL the loader
    while it waits there; returns the rows per station raw_data showed at that moment."""
    env = {
        **os.environ,
        "LUMEN_DATABASE_URL": settings.database_url.get_secret_value(),
        "LUMEN_PIPELINE_PASSWORD": settings.pipeline_password.get_secret_value(),
    }
    blocker = connect("admin", settings)
    blocker.execute(  # holds the key the batch upserts: the loader waits mid-batch
        "INSERT INTO raw_data.inmet_stations (source, station_code, payload, origin, run_id) "
        "VALUES ('archive', %s, '{}', 'test', 'blocker')",
        [blocked_station],
    )
    lumen = str(Path(sys.executable).parent / "lumen")
    proc = subprocess.Popen(
        [lumen, "ingest", "archive", str(archive_zip)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        with connect("admin", settings, autocommit=True) as watch:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                waiting = watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lumen' "
                    "AND wait_event_type = 'Lock' AND datname = current_database()"
                ).fetchone()[0]
                if waiting:
                    break
                time.sleep(0.05)
            assert waiting, f"the loader never reached {blocked_station}'s batch"
            counts = dict(
                watch.execute("SELECT station_code, count(*) FROM raw_data.inmet_observations GROUP BY 1").fetchall()
            )
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        blocker.rollback()
        blocker.close()
    with connect("admin", settings) as conn:
        for _ in range(50):  # the orphaned backend aborts once it finds its client gone
            if not conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lumen' "
                "AND datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()[0]:
                break
            time.sleep(0.1)
    return counts


def _every_row_once(settings) -> dict[str, int]:
    with connect("admin", settings) as conn:
        total, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT (source, station_code, observed_at)) FROM raw_data.inmet_observations"
        ).fetchone()
        assert total == distinct
        return dict(conn.execute("SELECT station_code, count(*) FROM raw_data.inmet_observations GROUP BY 1"))


@pytest.mark.slow
def test_killed_mid_file_then_rerun_has_every_row_once(migrated_db, tmp_path):
    """A year raw_data already has loads file by file: SIGKILL while the 2nd file's rows are
    written but not committed; the 1st stays, and a re-run completes the job."""
    sample = generate(tmp_path / "s", days=7)  # zip order: Z807, Z621, Z001, Z652
    load(migrated_db, sample.archive_zip, stations=["Z807"])  # the year is in raw_data now
    assert _kill_while_blocked(migrated_db, sample.archive_zip, "Z621") == {"Z807": 168}
    assert _every_row_once(migrated_db) == {"Z807": 168}
    stats = load(migrated_db, sample.archive_zip)
    assert sorted((s.station_code, s.new, s.unchanged) for s in stats) == [
        ("Z001", 168, 0),
        ("Z621", 168, 0),
        ("Z652", 168, 0),
        ("Z807", 0, 168),
    ]
    assert _every_row_once(migrated_db) == {"Z001": 168, "Z621": 168, "Z652": 168, "Z807": 168}


YEAR_TABLES = """
SELECT c.relname, c.relispartition FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'raw_data' AND c.relname LIKE '%inmet_observations_2%' AND c.relkind = 'r' ORDER BY 1
"""


@pytest.mark.slow
def test_killed_mid_year_then_rerun_has_every_row_once(migrated_db, tmp_path):
    """A new year loads whole: SIGKILL before it is attached leaves nothing of it in
    raw_data.inmet_observations (its loaded parts lie apart); a re-run drops them and loads it all."""
    sample = generate(tmp_path / "s", days=7)
    assert _kill_while_blocked(migrated_db, sample.archive_zip, "Z621") == {}
    assert _every_row_once(migrated_db) == {}
    parts = year_load.PARTS
    with connect("admin", migrated_db) as conn:
        left = conn.execute(YEAR_TABLES).fetchall()
    assert left == [(f"loading_inmet_observations_2024_p{i}", False) for i in range(parts)]
    stats = load(migrated_db, sample.archive_zip)
    assert sorted((s.station_code, s.new, s.unchanged) for s in stats) == [
        ("Z001", 168, 0),
        ("Z621", 168, 0),
        ("Z652", 168, 0),
        ("Z807", 168, 0),
    ]
    assert _every_row_once(migrated_db) == {"Z001": 168, "Z621": 168, "Z652": 168, "Z807": 168}
    with connect("admin", migrated_db) as conn:
        assert conn.execute(YEAR_TABLES).fetchall() == [(f"inmet_observations_2024_p{i}", True) for i in range(parts)]
        loads = conn.execute("SELECT count(*), count(DISTINCT origin) FROM raw_data.loads").fetchone()
        assert loads == (4, 4)  # the killed run's loads went with it


def test_pipeline_role_is_enough_and_reader_cannot_see_raw(migrated_db, tmp_path):
    sample = generate(tmp_path / "s", days=1, stations=["Z807"])
    load(migrated_db, sample.archive_zip)
    with connect("reader", migrated_db) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT count(*) FROM raw_data.inmet_observations")


class _Client:
    """Answers with whatever records it was given (as INMET's client hands them over)."""

    def __init__(self, records: dict[str, list[dict]]):
        self.records = records

    def observations_many(self, codes, start, end):
        from lumen.inmet.api import Chunk

        for code in codes:
            yield Chunk(
                code, start, end, f"https://apitempo.inmet.gov.br/estacao/{start}/{end}/{code}", self.records[code]
            )


def _rec(code: str, day: str, hour: str) -> dict:
    return {
        "CD_ESTACAO": code,
        "DT_MEDICAO": day,
        "HR_MEDICAO": hour,
        "TEM_INS": "20.5",
        "UF": "PR",
        "VL_LATITUDE": "-25.4",
        "VL_LONGITUDE": "-49.2",
        "DC_NOME": "X",
    }


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([_rec("B009", "2024-05-10", "0100")], r"/B008: asked for station B008, the answer holds 'B009'"),
        (
            [_rec("B008", "2024-05-12", "0100")],
            r"/B008: asked for 2024-05-09 … 2024-05-10, the answer holds '2024-05-12' '0100'",
        ),
        ([_rec("B008", "2024-05-10", "0330")], r"'2024-05-10' '0330' is not a whole UTC hour"),
        ([_rec("B008", "2024-05-10", "2500")], r"'2024-05-10' '2500' is not a whole UTC hour"),
    ],
)
def test_an_api_answer_of_another_station_or_window_or_hour_is_refused(migrated_db, records, message):
    with connect("pipeline", migrated_db) as conn:
        with pytest.raises(ingest.IngestError, match=message):
            ingest.ingest_api(conn, _Client({"B008": records}), ["B008"], date(2024, 5, 9), date(2024, 5, 10), "r")
        assert conn.execute("SELECT count(*) FROM raw_data.inmet_observations").fetchone() == (0,)


def test_api_stations_known_only_from_observations_get_a_station_record(migrated_db):
    with connect("pipeline", migrated_db) as conn:
        ingest.ingest_api(
            conn,
            _Client({"B008": [_rec("B008", "2024-05-10", "0100")]}),
            ["B008"],
            date(2024, 5, 10),
            date(2024, 5, 10),
            "r",
        )
        conn.commit()
        st = conn.execute("SELECT source, uf, latitude, payload->>'DC_NOME' FROM raw_data.inmet_stations").fetchall()
    assert st == [("api", "PR", "-25.4", "X")]


def test_a_header_only_file_says_so(migrated_db, tmp_path):
    good = generate(tmp_path / "g", days=1, stations=["Z807"])
    text = zipfile.ZipFile(good.archive_zip).read(zipfile.ZipFile(good.archive_zip).namelist()[0])
    path = tmp_path / "INMET_S_PR_Z807_X_01-11-2024_A_01-11-2024.CSV"
    path.write_bytes(b"\n".join(text.split(b"\n")[:9]) + b"\n")
    stats = load(migrated_db, path)
    assert ingest.summary_line(stats).endswith(f"(warning: {path}: 0 rows: header only)")


def _fake_inmet(fake, failing: set[str]):
    """INMET's hourly route on a real local HTTP server; stations in `failing` answer 500."""

    def route(handler):
        code = handler.path.rsplit("/", 1)[-1]
        if code in failing:
            return 500, {"Content-Type": "text/html"}, b"<h1>500 Internal Server Error</h1>"
        day = handler.path.split("/")[2]
        body = json.dumps([_rec(code, day, f"{h:02d}00") for h in range(3)]).encode()
        return 200, {"Content-Type": "application/json"}, body

    fake.fallback = route


def test_one_failing_station_does_not_lose_the_others(migrated_db):
    from lumen.inmet.api import InmetClient
    from tests.fakes.http import FakeServer

    codes = ["B001", "B002", "B003"]
    with FakeServer() as fake, connect("pipeline", migrated_db) as conn:
        _fake_inmet(fake, failing={"B002"})
        client = InmetClient(fake.url, timeout_s=2, backoff_s=0.01)
        stats = ingest.ingest_api(conn, client, codes, None, date(2024, 5, 10), "r1")
        conn.commit()
        line = ingest.summary_line(stats)
        assert line.startswith("6 rows from 2 station(s): 6 new") and "B002 failed: " in line and "HTTP 500" in line
        assert set(ingest.watermarks(conn)) == {"B001", "B003"}  # B002's stays unset: the next run asks again
        _fake_inmet(fake, failing=set())  # INMET recovers
        again = ingest.ingest_api(conn, client, codes, None, date(2024, 5, 10), "r2")
        assert {s.station_code: s.new for s in again if s.rows} == {"B002": 3}  # the others: nothing new
        _fake_inmet(fake, failing=set(codes))  # every station failing is an error
        with pytest.raises(ingest.IngestError, match=r"every station failed: B00\d failed: .*HTTP 500"):
            ingest.ingest_api(conn, client, codes, date(2024, 5, 10), date(2024, 5, 10), "r3")
