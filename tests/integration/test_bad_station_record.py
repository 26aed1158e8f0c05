"""One station's bad header stays that station's problem (#26 defects 1–3): the others' clean,
validate, publish and alerts go on; the station is named with what to fix; a corrected file
releases it."""

import pytest

from lumen.db import connect
from tests.conftest import lumen_cli, project_home
from tests.crafted import base_lines, station_csv, with_value
from tests.integration.test_ingest_cli import cli_env

pytestmark = pytest.mark.slow


@pytest.fixture()
def env(migrated_db, tmp_path):
    return {
        **cli_env(migrated_db),
        "LUMEN_HOME": str(project_home(tmp_path)),
        "LUMEN_READER_PASSWORD": migrated_db.reader_password.get_secret_value(),
        "LUMEN_ON_INVALID": "quarantine",
    }


def counts(settings) -> dict[str, int]:
    with connect("admin", settings) as conn:
        return dict(conn.execute("SELECT station_code, count(*) FROM processed_data.observations GROUP BY 1"))


WINDOW = ("--start", "2024-01-01", "--end", "2024-01-03")


def test_zero_coordinates_and_an_empty_state_hold_only_that_station(migrated_db, env, tmp_path):
    files = tmp_path / "files"
    station_csv(files, "A990")  # a sound station
    station_csv(files, "A991", latitude="0", longitude="0")  # defect 1: a blank filled with zeros
    station_csv(files, "A992", uf="", latitude="", longitude="")  # defect 2: no state, no coordinates
    assert lumen_cli("ingest", "archive", str(files), env=env).returncode == 0
    cleaned = lumen_cli("clean", *WINDOW, env=env)
    assert cleaned.returncode == 0, cleaned.stderr
    assert "held back (station record unusable): A992" in cleaned.stdout
    assert (
        "station A991: coordinates '0;0' — needs a point inside Brazil (latitude -34…6, longitude -74…-28); "
        "not used" in cleaned.stderr
    )
    assert "station A992: uf empty — needs one of Brazil's 27 states (AC … TO); not used" in cleaned.stderr
    assert (
        "station A992: time_zone empty — needs usable coordinates or a state to derive it from; its rows stay "
        "in raw_data, uncleaned" in cleaned.stderr
    )
    assert "load its file again" in cleaned.stderr
    assert counts(migrated_db) == {"A990": 72, "A991": 72}  # A991 goes on with its state's zone
    with connect("admin", migrated_db) as conn:
        assert conn.execute(
            "SELECT latitude, longitude, uf, time_zone, time_zone_source FROM processed_data.stations "
            "WHERE station_code = 'A991'"
        ).fetchone() == (None, None, "PR", "America/Sao_Paulo", "state")
        assert conn.execute(
            "SELECT count(*) FROM raw_data.inmet_observations WHERE station_code = 'A992'"
        ).fetchone() == (72,)
    validated = lumen_cli("validate", *WINDOW, env=env)  # the stations suite no longer fails for everyone
    assert validated.returncode == 0, validated.stderr
    published = lumen_cli(
        "step", "publish", "-p", "start=2024-01-01", "-p", "end=2024-01-03", "--last", env=env, timeout=300
    )
    assert published.returncode == 0, published.stderr
    status = lumen_cli("status", env=env)
    assert "A992 held (its rows stay in raw_data): time_zone empty, coordinates empty, uf empty" in status.stdout
    assert "A991: coordinates '0;0' not used" in status.stdout

    # the corrected files, loaded again, release both stations
    station_csv(files, "A991")
    station_csv(files, "A992", uf="PR")
    assert lumen_cli("ingest", "archive", str(files), env=env).returncode == 0
    again = lumen_cli("clean", *WINDOW, env=env)
    assert again.returncode == 0, again.stderr
    assert "released (record corrected): A991, A992" in again.stdout
    assert counts(migrated_db) == {"A990": 72, "A991": 72, "A992": 72}
    with connect("admin", migrated_db) as conn:
        assert conn.execute(
            "SELECT count(*) FROM processed_data.station_issues WHERE resolved_at IS NULL"
        ).fetchone() == (0,)
        assert conn.execute(
            "SELECT latitude < -25 FROM processed_data.stations WHERE station_code = 'A991'"
        ).fetchone() == (True,)
    assert "station records with problems" not in lumen_cli("status", env=env).stdout


def test_a_400_digit_number_is_quarantined_not_the_whole_window(migrated_db, env, tmp_path):
    _, _, rows = base_lines()
    files = tmp_path / "files"
    station_csv(files, "A990")
    station_csv(files, "A993", rows=with_value(rows, 5, 3, "9" * 400))  # PRE_INS of 05 UTC
    assert lumen_cli("ingest", "archive", str(files), env=env).returncode == 0
    cleaned = lumen_cli("clean", *WINDOW, env=env)
    assert cleaned.returncode == 0, cleaned.stderr
    assert "1 row(s) quarantined" in cleaned.stdout
    assert "station A993 2024-01-01 05:00 UTC pressure_hpa=999" in cleaned.stderr
    assert "(rule: value is a number)" in cleaned.stderr
    assert counts(migrated_db) == {"A990": 72, "A993": 71}
