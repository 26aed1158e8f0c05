"""Station files crafted by the tests themselves, from a real INMET file's header and rows.

The rows are the first days of the real Curitiba 2024 file (../shared/inmet-samples) when it
is there, else the offline generator's (same 2020+ format): a test of bad input never
depends on the samples being present. Each helper writes exactly what INMET would, then
lets the test change one thing.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

from lumen.sample import generate

ROOT = Path(__file__).resolve().parent.parent
REAL_2024 = ROOT.parent / "shared" / "inmet-samples" / "INMET_S_PR_A807_CURITIBA_01-01-2024_A_31-12-2024.CSV"
META_KEYS = ("REGIAO:", "UF:", "ESTACAO:", "CODIGO (WMO):", "LATITUDE:", "LONGITUDE:", "ALTITUDE:", "DATA DE FUNDACAO:")


def base_lines(days: int = 3) -> tuple[list[str], str, list[str]]:
    """(the 8 metadata values, the column header line, the first `days` × 24 data lines) as text."""
    if REAL_2024.exists():
        lines = REAL_2024.read_bytes().decode("latin-1").splitlines()
    else:  # the generator writes the same format (Curitiba-like sample station)
        import tempfile

        out = generate(Path(tempfile.mkdtemp(prefix="lumen-crafted-")), date(2024, 1, 1), days, ["Z807"])
        with zipfile.ZipFile(out.archive_zip) as z:
            lines = z.read(z.namelist()[0]).decode("latin-1").splitlines()
    meta = [line.split(";", 1)[1].rstrip(";") for line in lines[:8]]
    return meta, lines[8], lines[9 : 9 + days * 24]


def station_csv(
    folder: Path,
    code: str = "A990",
    *,
    name: str = "CRAFTED",
    uf: str = "PR",
    latitude: str = "-25,4486111",
    longitude: str = "-49,23055554",
    altitude: str = "922,91",
    days: int = 3,
    rows: list[str] | None = None,
    file_name: str | None = None,
    encoding: str = "latin-1",
) -> Path:
    """One station CSV as INMET writes it, with these header values (text, as in the file)."""
    meta, header, data = base_lines(days)
    values = ["S", uf, name, code, latitude, longitude, altitude, meta[7]]
    text = "\n".join([*(f"{k};{v}" for k, v in zip(META_KEYS, values, strict=True)), header, *(rows or data)]) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (file_name or f"INMET_S_{uf.strip() or 'PR'}_{code}_{name}_01-01-2024_A_31-12-2024.CSV")
    path.write_bytes(text.encode(encoding))
    return path


def with_value(rows: list[str], hour: int, field: int, value: str) -> list[str]:
    """`rows` with the `field`-th value (0 = date, 1 = hour, 2 = CHUVA, 3 = PRE_INS …) of row `hour` replaced."""
    out = list(rows)
    parts = out[hour].split(";")
    parts[field] = value
    out[hour] = ";".join(parts)
    return out
