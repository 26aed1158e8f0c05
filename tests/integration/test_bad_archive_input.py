"""Archives and files that are not what INMET publishes (#26 defects 7-10 and its messages): each is
that file's problem, refused or skipped in one line naming it, within seconds; the others load."""

import io
import os
import time
import zipfile

import pytest

from lumen.db import connect
from tests.conftest import lumen_cli
from tests.crafted import base_lines, station_csv, with_value
from tests.integration.test_ingest_cli import cli_env

pytestmark = pytest.mark.slow
NAME = "INMET_S_PR_{code}_X_01-01-2024_A_31-12-2024.CSV"


def raw_counts(settings) -> dict[str, int]:
    with connect("admin", settings) as conn:
        return dict(conn.execute("SELECT station_code, count(*) FROM raw_data.inmet_observations GROUP BY 1"))


def zip_of(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(f"2024/{name}", data)


def good_bytes(tmp_path, code: str, **kw) -> bytes:
    return station_csv(tmp_path / "made", code, **kw).read_bytes()


def test_a_zip_bomb_is_refused_in_seconds_and_the_rest_loads(migrated_db, tmp_path):
    meta_and_header = b"\n".join(good_bytes(tmp_path, "A991").split(b"\n")[:9]) + b"\n"
    bomb = meta_and_header + b"\n" * (12 << 20)  # 12 MiB of blank lines: under the size limit, 1000× the ZIP
    zpath = tmp_path / "2024.zip"
    zip_of(zpath, {NAME.format(code="A990"): good_bytes(tmp_path, "A990"), NAME.format(code="A991"): bomb})
    t0 = time.monotonic()
    out = lumen_cli("ingest", "archive", str(zpath), env=cli_env(migrated_db))
    assert time.monotonic() - t0 < 30
    assert out.returncode == 1
    assert f"2024.zip!2024/{NAME.format(code='A991')}: inflates" in out.stderr and "ZIP bomb" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert "REFUSED 1 file(s)" in out.stdout and raw_counts(migrated_db) == {"A990": 72}
    huge = tmp_path / "big" / NAME.format(code="A992")  # a loose file larger than any station-year
    huge.parent.mkdir()
    huge.write_bytes(meta_and_header + b"2024/01/01;0000 UTC;" + b";" * 18 + b"\n" + b"\n" * (17 << 20))
    big = lumen_cli("ingest", "archive", str(huge.parent), env=cli_env(migrated_db))
    assert big.returncode == 1 and "more than 16 MiB" in big.stderr


def test_fifos_and_folders_named_csv_are_skipped_not_waited_on(migrated_db, tmp_path):
    files = tmp_path / "files"
    station_csv(files, "A990")
    os.mkfifo(files / NAME.format(code="A993"))
    (files / NAME.format(code="A994")).mkdir()
    out = lumen_cli("ingest", "archive", str(files), env=cli_env(migrated_db), timeout=60)
    assert out.returncode == 0, out.stderr
    assert "A993_X_01-01-2024_A_31-12-2024.CSV: skipped, not a regular file" in out.stderr + out.stdout
    assert "A994_X_01-01-2024_A_31-12-2024.CSV: skipped, not a regular file" in out.stderr + out.stdout
    assert raw_counts(migrated_db) == {"A990": 72}
    fifo = lumen_cli("ingest", "archive", str(files / NAME.format(code="A993")), env=cli_env(migrated_db), timeout=60)
    assert fifo.returncode == 1 and "not a regular file (a FIFO or a device)" in fifo.stderr


def test_a_csv_that_is_not_a_station_file_is_skipped_and_the_others_load(migrated_db, tmp_path):
    """An API export next to the station files stopped the load, even with --stations (#27 item 6)."""
    files = tmp_path / "files"
    station_csv(files, "A990")
    station_csv(files, "A807")
    (files / "api_estacao_A621.csv").write_text("DT_MEDICAO,HR_MEDICAO,TEM_INS\n2024-01-01,0000,20.1\n")
    out = lumen_cli("ingest", "archive", str(files), "--stations", "A807", env=cli_env(migrated_db))
    assert out.returncode == 0, out.stderr
    assert "api_estacao_A621.csv: not an INMET station file" in out.stdout + out.stderr and "skipped" in out.stdout
    assert raw_counts(migrated_db) == {"A807": 72}


def test_years_outside_inmets_archive_fail_at_once_without_a_download(migrated_db, tmp_path):
    env = cli_env(migrated_db, INMET_ARCHIVE_URL="http://127.0.0.1:9/uploads", LUMEN_HOME=str(tmp_path))
    (tmp_path / "pyproject.toml").write_text("")
    for year in ("2099", "1850"):
        t0 = time.monotonic()
        out = lumen_cli("ingest", "archive", year, env=env)
        assert out.returncode == 1 and time.monotonic() - t0 < 10
        assert f"{year}: INMET's yearly archives cover 2000 … " in out.stderr
    assert not (tmp_path / "data" / "cache").exists()


def test_hours_in_the_future_never_reach_processed_data(migrated_db, tmp_path):
    env = {**cli_env(migrated_db), "LUMEN_ON_INVALID": "quarantine"}
    files = tmp_path / "files"
    future = station_csv(files, "A990", file_name="INMET_S_PR_A990_X_01-01-2099_A_31-12-2099.CSV")
    out = lumen_cli("ingest", "archive", str(future), env=env)
    assert out.returncode == 1 and "period starts 01-01-2099, in the future" in out.stderr
    _, _, rows = base_lines()
    dated = [r.replace("2024/01/01", "2099/01/01", 1) for r in rows[:24]]
    (files / future.name).unlink()
    station_csv(files, "A991", rows=dated)  # named 2024, rows of 2099: kept as received in raw
    assert lumen_cli("ingest", "archive", str(files), env=env).returncode == 0
    cleaned = lumen_cli("clean", "--start", "2099-01-01", "--end", "2099-01-01", env=env)
    assert cleaned.returncode == 0, cleaned.stderr
    assert "24 row(s) quarantined" in cleaned.stdout and "(rule: hour not in the future)" in cleaned.stderr
    with connect("admin", migrated_db) as conn:
        assert conn.execute("SELECT count(*) FROM processed_data.observations").fetchone() == (0,)


def test_two_files_of_one_station_with_different_values_are_both_refused(migrated_db, tmp_path):
    """The later file silently won ("14 changed") (#26 defect 10): which one is right cannot be known."""
    _, _, rows = base_lines()
    zpath = tmp_path / "2024.zip"
    zip_of(
        zpath,
        {
            NAME.format(code="A990"): good_bytes(tmp_path, "A990"),
            "INMET_S_PR_A990_X_01-01-2024_A_02-01-2024.CSV": good_bytes(
                tmp_path, "A990", rows=rows[:48]
            ),  # same values
            NAME.format(code="A991"): good_bytes(tmp_path, "A991"),
            "INMET_S_PR_A991_Y_01-01-2024_A_31-12-2024.CSV": good_bytes(
                tmp_path, "A991", rows=with_value(rows, 7, 9, "31,5")
            ),
        },
    )
    out = lumen_cli("ingest", "archive", str(zpath), env=cli_env(migrated_db))
    assert out.returncode == 1
    assert (
        "A991_X_01-01-2024_A_31-12-2024.CSV and " in out.stdout
        and "A991_Y_01-01-2024_A_31-12-2024.CSV hold 1 "
        "hour(s) of station A991 with different values (first 2024-01-01 07:00 UTC): both refused"
        in out.stdout
    )
    assert "REFUSED 2 file(s)" in out.stdout and "2 file(s) refused" in out.stderr
    assert raw_counts(migrated_db) == {"A990": 72}  # the identical copy did no harm


def test_messages_name_the_file_and_the_fix(migrated_db, tmp_path):
    env = cli_env(migrated_db)
    files = tmp_path / "files"
    utf16 = station_csv(files, "A990", encoding="utf-16")
    out = lumen_cli("ingest", "archive", str(utf16), env=env)
    assert out.returncode == 1 and "is UTF-16" in out.stderr and "INMET's files are latin-1 or UTF-8" in out.stderr
    utf16.unlink()
    _, _, rows = base_lines()
    mixed = [*rows[:30], rows[30].replace("2024/01/02;0600 UTC", "2024-01-02;06:00"), *rows[31:]]
    path = station_csv(files, "A991", rows=mixed)
    out = lumen_cli("ingest", "archive", str(path), env=env)
    assert (
        out.returncode == 1
        and "line 40: the date and hour are written YYYY-MM-DD;HH:MM (≤2018), the rows "
        "before it YYYY/MM/DD;HHMM UTC (2019 on): a file mixing two formats"
        in out.stderr
    )
    path.unlink()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"2024/{NAME.format(code='A992')}", good_bytes(tmp_path, "A992", days=20))
        z.writestr(f"2024/{NAME.format(code='A993')}", good_bytes(tmp_path, "A993"))
    data = bytearray(buf.getvalue())
    start = data.index(b"PK\x03\x04") + 30 + len(f"2024/{NAME.format(code='A992')}")
    data[start + 2000 : start + 2400] = bytes(400)  # a damaged stretch inside the first member's deflate stream
    zpath = tmp_path / "2024.zip"
    zpath.write_bytes(bytes(data))
    out = lumen_cli("ingest", "archive", str(zpath), env=env)
    assert out.returncode == 1 and f"2024.zip!2024/{NAME.format(code='A992')}: " in out.stderr
    assert "download the archive again" in out.stderr and raw_counts(migrated_db) == {"A993": 72}
    backwards = lumen_cli("clean", "--start", "2024-01-02", "--end", "2024-01-01", env=env)
    assert (
        "start 2024-01-02 is 2024-01-02 00:00 UTC, end 2024-01-01 is 2024-01-02 00:00 UTC (a date as the end "
        "includes that whole day)" in backwards.stderr
    )


def test_a_missing_env_file_is_named_with_how_to_make_it(migrated_db, tmp_path):
    env = {"LUMEN_DATABASE_URL": migrated_db.database_url.get_secret_value(), "LUMEN_ENV_FILE": str(tmp_path / ".env")}
    out = lumen_cli("clean", "--start", "2024-01-01", "--end", "2024-01-01", env=env)
    assert out.returncode == 1 and len(out.stderr.strip().splitlines()) == 1
    assert f"LUMEN_PIPELINE_PASSWORD is not set: there is no {tmp_path / '.env'}" in out.stderr
    assert "`make setup` (or `lumen env`) creates it" in out.stderr
