"""The archive reader on the real A807 years (all three eras) and on broken files."""

import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from lumen.inmet.archive import ArchiveError, ArchiveFile, list_files, read_records
from tests.conftest import samples_dir

YEARS = {2018: 8760, 2019: 8760, 2024: 8784}


def real_file(year: int) -> Path:
    return samples_dir() / f"INMET_S_PR_A807_CURITIBA_01-01-{year}_A_31-12-{year}.CSV"


def one(path: Path) -> ArchiveFile:
    files = list(list_files(path))
    assert len(files) == 1
    return files[0]


@pytest.mark.parametrize("year", sorted(YEARS))
def test_real_years_parse_to_every_hour(year):
    header, rows = read_records(one(real_file(year)))
    assert header.station_code == "A807" and header.meta["uf"] == "PR" and header.meta["name"] == "CURITIBA"
    assert len(rows) == YEARS[year]
    assert len({r["observed_at"] for r in rows}) == YEARS[year]
    assert rows[0]["observed_at"] == f"{year}-01-01 00:00:00+00"
    assert rows[-1]["observed_at"] == f"{year}-12-31 23:00:00+00"
    assert header.encoding == "latin-1"


def _raw_line(year: int, lineno: int) -> list[str]:
    return real_file(year).read_bytes().decode("latin-1").splitlines()[lineno - 1].split(";")


@pytest.mark.parametrize("year", sorted(YEARS))
@pytest.mark.parametrize("lineno", [10, 11, 2000, 5555, 8769])
def test_values_are_the_raw_text(year, lineno):
    header, rows = read_records(one(real_file(year)))
    raw = _raw_line(year, lineno)
    row = rows[lineno - 10]
    assert (row["dt_medicao"], row["hr_medicao"]) == (raw[0], raw[1])
    assert [row[c] for c in header.columns] == raw[2:19]


def test_eras_and_missing_values_as_received():
    _, rows2018 = read_records(one(real_file(2018)))
    first = rows2018[0]
    assert (first["dt_medicao"], first["hr_medicao"]) == ("2018-01-01", "00:00")
    assert first["chuva"] == "13,8" and first["rad_glo"] == "-9999" and first["pto_ins"] == "-9999"
    assert rows2018[2]["chuva"] == ",2"  # no leading zero, kept as sent
    header19, rows2019 = read_records(one(real_file(2019)))
    assert header19.meta["founded"] == "28/01/03" and any(k.startswith("REGI?O") for k in header19.labels)
    assert (rows2019[0]["dt_medicao"], rows2019[0]["hr_medicao"]) == ("2019/01/01", "0000 UTC")
    assert rows2019[0]["rad_glo"] == ""  # 2019+: empty = missing
    _, rows2024 = read_records(one(real_file(2024)))
    noon = next(r for r in rows2024 if r["observed_at"] == "2024-06-01 15:00:00+00")
    assert noon["rad_glo"] == "2346" and noon["tem_ins"] == "18,8" and noon["umd_ins"] == "65"


def test_utf8_resaved_file_is_read(tmp_path):
    resaved = tmp_path / real_file(2024).name
    resaved.write_bytes(real_file(2024).read_bytes().decode("latin-1").encode("utf-8"))
    header, rows = read_records(one(resaved))
    assert header.encoding == "utf-8" and len(rows) == 8784


def test_zip_with_and_without_folder_and_filters(tmp_path):
    zpath = tmp_path / "2024.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.write(real_file(2024), f"2024/{real_file(2024).name}")
        zf.write(real_file(2019), real_file(2019).name)  # no folder
        zf.writestr("2024/INMET_SE_RJ_A621_RIO DE JANEIRO_01-01-2024_A_31-12-2024.CSV", b"never opened")
        zf.writestr("2024/readme.txt", b"ignored")
    names = [f.name for f in list_files(zpath)]
    assert len(names) == 3
    picked = list(list_files(zpath, stations=["a807"]))
    assert [f.origin for f in picked] == [f"2024.zip!2024/{real_file(2024).name}", f"2024.zip!{real_file(2019).name}"]
    assert [f.name for f in list_files(zpath, ufs=["RJ"])] == [
        "INMET_SE_RJ_A621_RIO DE JANEIRO_01-01-2024_A_31-12-2024.CSV"
    ]
    assert picked[0].period()[0].isoformat() == "2024-01-01"
    assert len(read_records(picked[0])[1]) == 8784


def test_unreadable_zip(tmp_path):
    bad = tmp_path / "2024.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(ArchiveError, match="not a readable ZIP archive"):
        list(list_files(bad))


def _write(tmp_path: Path, text: str, name: str = "INMET_S_PR_A807_X_01-01-2024_A_31-12-2024.CSV") -> ArchiveFile:
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    return one(path)


def _real_text(year: int = 2024, lines: int = 20) -> list[str]:
    return real_file(year).read_bytes().decode("latin-1").splitlines()[:lines]


def test_missing_header_line(tmp_path):
    text = _real_text()
    del text[8]
    with pytest.raises(ArchiveError, match=r"line 9: expected the column header"):
        read_records(_write(tmp_path, "\n".join(text)))


def test_wrong_separator(tmp_path):
    text = [line.replace(";", ",") for line in _real_text()]
    with pytest.raises(ArchiveError, match=r"line 1: expected a `LABEL:;value` metadata line"):
        read_records(_write(tmp_path, "\n".join(text)))


def test_file_of_another_format(tmp_path):
    pandas_csv = samples_dir() / "api_estacao_A621_2020-09-01_2020-09-30.pandas.csv"
    with pytest.raises(ArchiveError, match=r"not an INMET station file \(its first line is ',VEN_DIR,DT_MEDICAO"):
        read_records(one(pandas_csv))
    text = _real_text()
    text[8] = text[8].replace("RADIACAO GLOBAL", "VISIBILIDADE")
    with pytest.raises(ArchiveError, match=r"line 9: unknown column 'VISIBILIDADE"):
        read_records(_write(tmp_path, "\n".join(text)))


def test_bad_row_names_its_line(tmp_path):
    text = _real_text()
    text[14] = "2024/01/01;05h00;0;913"
    with pytest.raises(ArchiveError, match=r"line 15: not an hourly row .* found '2024/01/01;05h00;0;913'"):
        read_records(_write(tmp_path, "\n".join(text)))


def test_crlf_and_blank_lines_are_tolerated(tmp_path):
    text = _real_text() + [""]
    header, rows = read_records(_write(tmp_path, "\r\n".join(text)))
    assert len(rows) == 11 and rows[-1]["ven_vel"] == _raw_line(2024, 20)[18]


_HEADER_2018 = [
    "REGIÃO:;S", "UF:;PR", "ESTAÇÃO:;TESTE", "CODIGO (WMO):;A999", "LATITUDE:;-25,5", "LONGITUDE:;-49,5",
    "ALTITUDE:;900", "DATA DE FUNDAÇÃO (YYYY-MM-DD):;2003-01-28",
    "DATA (YYYY-MM-DD);HORA (UTC);PRECIPITAÇÃO TOTAL, HORÁRIO (mm);"
    "PRESSAO ATMOSFERICA AO NIVEL DA ESTACAO, HORARIA (mB);PRESSÃO ATMOSFERICA MAX.NA HORA ANT. (AUT) (mB);"
    "PRESSÃO ATMOSFERICA MIN. NA HORA ANT. (AUT) (mB);RADIACAO GLOBAL (KJ/m²);"
    "TEMPERATURA DO AR - BULBO SECO, HORARIA (°C);TEMPERATURA DO PONTO DE ORVALHO (°C);"
    "TEMPERATURA MÁXIMA NA HORA ANT. (AUT) (°C);TEMPERATURA MÍNIMA NA HORA ANT. (AUT) (°C);"
    "TEMPERATURA ORVALHO MAX. NA HORA ANT. (AUT) (°C);TEMPERATURA ORVALHO MIN. NA HORA ANT. (AUT) (°C);"
    "UMIDADE REL. MAX. NA HORA ANT. (AUT) (%);UMIDADE REL. MIN. NA HORA ANT. (AUT) (%);"
    "UMIDADE RELATIVA DO AR, HORARIA (%);VENTO, DIREÇÃO HORARIA (gr) (° (gr));VENTO, RAJADA MAXIMA (m/s);"
    "VENTO, VELOCIDADE HORARIA (m/s);",
]  # fmt: skip


def _rows_2018(hours: int) -> list[str]:
    start = datetime(2018, 1, 1)
    return [
        f"{start + timedelta(hours=h):%Y-%m-%d;%H:%M};,{h % 10};909,{h % 7};-9999;;-9999;19,2;" + "1;" * 11
        for h in range(hours)
    ]


def test_dash_era_rows_are_stamped_in_utc_and_kept_as_received(tmp_path):
    """The ≤2018 layout (`2018-01-01;00:00`), made here, so it is covered without the real samples."""
    header, rows = read_records(
        _write(tmp_path, "\n".join(_HEADER_2018 + _rows_2018(72)), "INMET_S_PR_A999_TESTE_01-01-2018_A_31-12-2018.CSV")
    )
    assert header.station_code == "A999" and len(rows) == 72
    assert [r["observed_at"] for r in rows[:2]] == ["2018-01-01 00:00:00+00", "2018-01-01 01:00:00+00"]
    assert rows[53]["observed_at"] == "2018-01-03 05:00:00+00"
    assert (rows[53]["dt_medicao"], rows[53]["hr_medicao"], rows[53]["chuva"]) == ("2018-01-03", "05:00", ",3")


def test_a_bad_row_deep_in_a_big_file_is_named_by_its_line(tmp_path):
    rows = _rows_2018(20_000)  # ~1.3 MB: many read chunks
    rows[15_000] = "2019-09-09 12:00;1;2"
    path = _write(tmp_path, "\n".join(_HEADER_2018 + rows), "INMET_S_PR_A999_TESTE_01-01-2018_A_31-12-2020.CSV")
    with pytest.raises(ArchiveError, match=r"line 15010: not an hourly row .* found '2019-09-09 12:00;1;2'"):
        read_records(path)


def _file_2018(tmp_path: Path, rows: list[str], name: str = "INMET_S_PR_A999_TESTE_01-01-2018_A_31-12-2018.CSV"):
    return _write(tmp_path, "\n".join(_HEADER_2018 + rows), name)


@pytest.mark.parametrize(
    ("era", "hour"),
    [
        ("slash", "2500 UTC"),
        ("slash", "0299 UTC"),
        ("slash", "0330 UTC"),
        ("slash", "2400 UTC"),
        ("dash", "25:00"),
        ("dash", "03:30"),
        ("dash", "02:99"),
    ],
)
def test_only_whole_utc_hours_are_accepted(tmp_path, era, hour):
    """PostgreSQL would read `2500 UTC` as the next day 01:00 and `0330` as 03:30: refused instead."""
    rows = _rows_2018(10)
    if era == "slash":
        rows = [r.replace("2018-01-01;", "2018/01/01;").replace(":00;", "00 UTC;", 1) for r in rows]
        rows[4] = rows[4].replace("0400 UTC", hour)
    else:
        rows[4] = rows[4].replace("04:00", hour)
    with pytest.raises(ArchiveError, match=rf"line 14: hour '{hour}' is not a whole UTC hour \(00-23, minutes 00\)"):
        read_records(_file_2018(tmp_path, rows))


def test_a_line_without_an_end_is_refused_at_once(tmp_path):
    """A valid header then megabytes without a newline: refused at its line, without reading it whole."""
    path = tmp_path / "INMET_S_PR_A999_TESTE_01-01-2018_A_31-12-2018.CSV"
    path.write_bytes("\n".join(_HEADER_2018).encode("latin-1") + b"\n" + b"2018-01-01;00:00;" + b"9" * (8 << 20))
    with pytest.raises(ArchiveError, match=r"line 10 is longer than 2,048 bytes"):
        read_records(one(path))
    sparse = tmp_path / "INMET_S_PR_A998_TESTE_01-01-2018_A_31-12-2018.CSV"
    with sparse.open("wb") as f:  # 1 GiB of zeros without a byte on disk: the header line alone is refused
        f.truncate(1 << 30)
    with pytest.raises(ArchiveError, match=r"1,073,741,824 bytes, more than 16 MiB .*: not an INMET station file"):
        read_records(one(sparse))  # refused by its size before a byte is read


def test_a_cut_last_line_is_named(tmp_path):
    rows = _rows_2018(5)
    rows[-1] = rows[-1][:30]  # the download stopped mid-line
    with pytest.raises(ArchiveError, match=r"line 14 is cut short \(5 of 20 fields, and the file ends there\)"):
        read_records(_file_2018(tmp_path, rows))
    whole = _rows_2018(5)  # a last line that is whole but has no line end is fine
    assert len(read_records(_file_2018(tmp_path, whole, "INMET_S_PR_A999_B_01-01-2018_A_31-12-2018.CSV"))[1]) == 5


def test_a_file_named_for_one_station_holding_another_is_refused(tmp_path):
    with pytest.raises(ArchiveError, match=r"the file name says station B008, its header \(CODIGO \(WMO\)\) says A999"):
        read_records(_file_2018(tmp_path, _rows_2018(3), "INMET_S_PR_B008_TESTE_01-01-2018_A_31-12-2018.CSV"))
