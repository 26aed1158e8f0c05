"""The offline sample: deterministic, INMET-shaped, plausible, with named bad rows on request."""

import json
import re
import zipfile

import pytest

from lumen.inmet.archive import list_files, read_records
from lumen.sample import INJECTIONS, STATIONS, generate


def _num(text: str) -> float | None:
    return None if text in ("", "-9999") else float(text.replace(",", "."))


def test_same_arguments_same_bytes(tmp_path):
    a = generate(tmp_path / "a", days=5)
    b = generate(tmp_path / "b", days=5)
    assert a.archive_zip.read_bytes() == b.archive_zip.read_bytes()
    assert all(a.api_json[c].read_bytes() == b.api_json[c].read_bytes() for c in a.api_json)


def test_archive_is_2020_format_and_plausible(tmp_path):
    sample = generate(tmp_path, days=21)
    names = zipfile.ZipFile(sample.archive_zip).namelist()
    assert names[0] == "2024/INMET_S_PR_Z807_CURITIBA (AMOSTRA)_01-11-2024_A_21-11-2024.CSV"
    raw = zipfile.ZipFile(sample.archive_zip).read(names[0])
    raw.decode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # latin-1, like INMET's
    assert raw.splitlines()[9].endswith(b";")  # the trailing separator
    assert re.search(rb";-?,\d", raw)  # decimal comma without a leading zero (`,6`, `-,6`)
    for file in list_files(sample.archive_zip):
        header, rows = read_records(file)
        assert len(rows) == 21 * 24 and header.station_code in STATIONS
        temps = [t for r in rows if (t := _num(r["tem_ins"])) is not None]
        rh = [h for r in rows if (h := _num(r["umd_ins"])) is not None]
        assert min(temps) >= -15 and max(temps) <= 48 and max(temps) - min(temps) > 8  # a diurnal cycle
        assert min(rh) >= 0 and max(rh) == 100  # saturated nights
        assert any(r["umd_ins"] == "" for r in rows)  # a sensor gap, the row kept
        for r in rows:
            t, td = _num(r["tem_ins"]), _num(r["pto_ins"])
            assert t is None or td is None or td <= t + 1e-9
            gust, speed = _num(r["ven_raj"]), _num(r["ven_vel"])
            assert gust is None or gust >= speed
            hour_local = (int(r["hr_medicao"][:2]) - 3) % 24
            rad = _num(r["rad_glo"])
            if hour_local < 5 or hour_local > 20:
                assert rad is None or -5 < rad <= 0  # night: missing or slightly negative
    assert any(r["rad_glo"] == "" for r in rows) and any(r["rad_glo"].startswith("-") for r in rows)


def test_api_json_shape(tmp_path):
    sample = generate(tmp_path, days=2, stations=["Z621"])
    records = json.loads(sample.api_json["Z621"].read_text())
    assert len(records) == 48 and records[0]["HR_MEDICAO"] == "0000" and records[0]["DT_MEDICAO"] == "2024-11-01"
    assert all(v is None or isinstance(v, str) for rec in records for v in rec.values())
    stations = json.loads(sample.stations_json.read_text())
    assert stations[0]["CD_ESTACAO"] == "Z621" and stations[0]["TP_ESTACAO"] == "Automatica"


def test_injections(tmp_path):
    sample = generate(tmp_path, days=7, inject=list(INJECTIONS))
    by_code = {read_records(f)[0].station_code: read_records(f)[1] for f in list_files(sample.archive_zip)}
    assert by_code["Z807"][24 + 3]["umd_ins"] == "150"
    assert by_code["Z001"][48 + 18]["tem_ins"] == "99"
    assert json.loads(sample.api_json["Z807"].read_text())[27]["UMD_INS"] == "150"
    with pytest.raises(ValueError, match="unknown injection"):
        generate(tmp_path, days=1, inject=["nope"])


def test_sample_codes_cannot_be_inmet_stations():
    """The demo must never overwrite real rows: INMET's automatic stations use A, B, F and S codes."""
    assert all(code.startswith("Z") for code in STATIONS)


@pytest.mark.parametrize("year", [2019, 2021, 2023, 2024, 2025])
def test_a_whole_year_keeps_the_projects_own_rules(year):
    """The benchmark's year files once held dew points of 35.3 °C, which clean rejects."""
    from datetime import date

    from lumen.sample import station_hours

    for st in STATIONS.values():
        for row in station_hours(st, date(year, 1, 1), 365):
            t, dew = row["TEM_INS"], row["PTO_INS"]
            if t is None:  # a silent hour
                continue
            assert -15 <= t <= 48 and row["TEM_MAX"] <= 48
            if dew is not None:
                assert -30 <= dew <= 35 and dew <= t + 0.5 and row["PTO_MAX"] <= 35


@pytest.mark.parametrize(
    ("year", "first_row", "missing"),
    [
        (2017, b"2017-01-01;00:00;", "-9999"),
        (2019, b"2019/01/01;0000 UTC;", ""),
        (2021, b"2021/01/01;0000 UTC;", ""),
    ],
)
def test_bench_station_years_are_written_in_their_eras(tmp_path, year, first_row, missing):
    from lumen.sample import scale_files

    paths = scale_files(tmp_path, 2, year)
    raw = paths[0].read_bytes()
    assert raw.splitlines()[9].startswith(first_row) and (b"?" in raw.splitlines()[0]) == (year == 2019)
    for file in list_files(tmp_path):  # the real reader takes each era's files
        header, rows = read_records(file)
        assert len(rows) == 365 * 24 and header.station_code in ("S000", "S001")
        assert any(r["umd_ins"] == missing for r in rows)  # the era's spelling of a missing value
