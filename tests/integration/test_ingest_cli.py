"""`lumen stations`, `lumen ingest api|archive`, `lumen sample` as a user runs them, against fakes of INMET."""

import json
import zipfile
from datetime import date

import pytest

from lumen.db import connect
from lumen.inmet.download import ATTEMPTS, BLOCK
from lumen.sample import generate
from tests.conftest import lumen_cli
from tests.fakes.http import FakeServer, json_reply
from tests.fakes.inmet import compact

pytestmark = pytest.mark.slow


def cli_env(settings, **extra) -> dict[str, str]:
    return {
        "LUMEN_DATABASE_URL": settings.database_url.get_secret_value(),
        "LUMEN_PIPELINE_PASSWORD": settings.pipeline_password.get_secret_value(),
        **extra,
    }


def test_sample_then_archive_with_filters(migrated_db, tmp_path):
    env = cli_env(migrated_db)
    out = lumen_cli("sample", "--out", str(tmp_path / "s"), "--days", "3", env=env)
    assert out.returncode == 0, out.stderr
    assert "288 station-hours" in out.stdout
    zpath = tmp_path / "s" / "archive" / "2024.zip"
    rj = lumen_cli("ingest", "archive", str(zpath), "--uf", "RJ", env=env)
    assert rj.returncode == 0, rj.stderr
    assert "  Z621: 72 new, 0 changed, 0 unchanged" in rj.stdout and "Z807" not in rj.stdout
    again = lumen_cli("ingest", "archive", str(zpath), "--stations", "Z621,Z807", env=env)
    assert "Z621: 0 new, 0 changed, 72 unchanged" in again.stdout and "Z807: 72 new" in again.stdout
    assert "ingested 144 rows from 2 station(s): 72 new, 0 changed, 72 unchanged" in again.stdout
    none = lumen_cli("ingest", "archive", str(zpath), "--stations", "Z999", env=env)
    assert none.returncode != 0 and "no station CSV" in none.stderr


def portal_home(tmp_path, settings, fake, route) -> tuple:
    """A project home whose INMET portal is `fake`, serving the 2024 archive with `route`."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "pyproject.toml").write_text("")
    fake.routes["/uploads/dadoshistoricos/2024.zip"] = route
    return home, cli_env(settings, INMET_ARCHIVE_URL=fake.url + "/uploads/dadoshistoricos", LUMEN_HOME=str(home))


def test_year_is_downloaded_resumably_and_reused(migrated_db, tmp_path, monkeypatch):
    zip_bytes = generate(tmp_path / "s", days=120).archive_zip.read_bytes()
    assert len(zip_bytes) > 3 * BLOCK
    half = len(zip_bytes) // 2
    served = {"n": 0}
    resumed: list[int] = []

    def portal(handler):
        served["n"] += 1
        rng = handler.headers.get("Range")
        if served["n"] == 1:  # the first download breaks halfway
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(zip_bytes)))
            handler.end_headers()
            handler.wfile.write(zip_bytes[:half])
            handler.wfile.flush()
            handler.close_connection = True
            return None
        start = int(rng.removeprefix("bytes=").rstrip("-"))
        resumed.append(start)
        return 206, {"Content-Range": f"bytes {start}-{len(zip_bytes) - 1}/{len(zip_bytes)}"}, zip_bytes[start:]

    with FakeServer() as fake:
        home, env = portal_home(tmp_path, migrated_db, fake, portal)
        first = lumen_cli("ingest", "archive", "2024", env=env)  # broken halfway, resumed by the next try
        assert first.returncode == 0, first.stderr
        assert resumed and half - BLOCK <= resumed[0] <= half  # asked only for the rest
        assert "Z001: 2,880 new" in first.stdout
        third = lumen_cli("ingest", "archive", "2024", env=env)
        assert "Z001: 0 new, 0 changed, 2,880 unchanged" in third.stdout
        assert served["n"] == 2  # reused from data/cache/
    assert zipfile.is_zipfile(home / "data" / "cache" / "2024.zip")


def test_api_ingest_and_station_list(migrated_db, tmp_path):
    sample = generate(tmp_path / "s", days=2, stations=["Z001", "Z652"])
    start, end = date(2024, 11, 1), date(2024, 11, 2)
    with FakeServer() as fake:
        for code in ("Z001", "Z652"):
            body = sample.api_json[code].read_bytes()
            fake.routes[f"/estacao/{start}/{end}/{code}"] = json_reply(body)
            fake.routes[f"/token/estacao/{start}/{end}/{code}/tok-123"] = json_reply(body)
        day2 = [r for r in json.loads(sample.api_json["Z001"].read_text()) if r["DT_MEDICAO"] == str(end)]
        fake.routes[f"/estacao/{end}/{end}/Z001"] = json_reply(compact(day2))
        fake.routes["/estacoes/T"] = json_reply(compact(json.loads(sample.stations_json.read_text())))
        env = cli_env(migrated_db, INMET_API_URL=fake.url)
        st = lumen_cli("stations", "--save", env=env)
        assert st.returncode == 0, st.stderr
        assert "Z652" in st.stdout and "2 station(s)" in st.stdout and "2 new or changed" in st.stdout
        args = ("ingest", "api", "--stations", "Z001,Z652", "--start", str(start), "--end", str(end))
        out = lumen_cli(*args, env=env)
        assert out.returncode == 0, out.stderr
        assert "ingested 96 rows from 2 station(s): 96 new, 0 changed, 0 unchanged" in out.stdout
        tok = lumen_cli(*args, env={**env, "INMET_TOKEN": "tok-123"})
        assert tok.returncode == 0 and "96 unchanged" in tok.stdout
        assert "tok-123" not in tok.stdout + tok.stderr
        assert fake.count(f"/token/estacao/{start}/{end}/Z001/tok-123") == 1
        # an hourly run with no --start asks from each station's watermark minus the overlap
        hourly = lumen_cli("ingest", "api", "--stations", "Z001", "--end", str(end), env=env)
        assert hourly.returncode == 0, hourly.stderr
        assert fake.requests[-1]["path"] == f"/estacao/{end}/{end}/Z001"
        assert "ingested 4 rows" in hourly.stdout  # watermark 23:00 minus 3 h: 20:00 … 23:00, unchanged
    with connect("admin", migrated_db) as conn:
        assert conn.execute("SELECT count(*) FROM raw_data.inmet_observations WHERE source = 'api'").fetchone() == (96,)
        assert conn.execute("SELECT count(*) FROM raw_data.inmet_stations WHERE source = 'api'").fetchone() == (2,)


def test_api_refusal_is_one_clear_line(migrated_db):
    with FakeServer() as fake:
        env = cli_env(migrated_db, INMET_API_URL=fake.url)
        fake.routes["/estacoes/T"] = json_reply(b"[]")  # open, as INMET's is
        fake.routes["/estacao/2024-11-01/2024-11-01/Z001"] = lambda _h: (403, {}, b"<html>Forbidden</html>")
        out = lumen_cli("ingest", "api", "--stations", "Z001", "--start", "2024-11-01", "--end", "2024-11-01", env=env)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1].startswith("lumen: error: INMET token missing or refused (HTTP 403")


def test_a_download_that_keeps_breaking_stops_after_its_tries_and_keeps_the_part(migrated_db, tmp_path):
    zip_bytes = generate(tmp_path / "s", days=60).archive_zip.read_bytes()
    served = {"n": 0}

    def broken(handler):
        served["n"] += 1
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(zip_bytes)))
        handler.end_headers()
        handler.wfile.write(zip_bytes[: len(zip_bytes) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    with FakeServer() as fake:
        home, env = portal_home(tmp_path, migrated_db, fake, broken)
        out = lumen_cli("ingest", "archive", "2024", env=env)
    assert out.returncode == 1 and served["n"] == ATTEMPTS
    assert out.stderr.strip().endswith(
        f"download interrupted (ChunkedEncodingError) after {ATTEMPTS} tries; run again to resume"
    )
    assert (home / "data" / "cache" / "2024.zip.part").exists()
