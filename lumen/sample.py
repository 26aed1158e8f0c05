"""A small, deterministic, physically plausible INMET-format sample for the offline demo and tests.

It writes what INMET publishes, made by our own code (no real data is copied):
- `archive/{YYYY}.zip` with `{YYYY}/INMET_{REGION}_{UF}_{CODE}_{NAME}_{dd-mm-yyyy}_A_{dd-mm-yyyy}.CSV`
  in the 2020+ format (latin-1, `;`, decimal comma with `,6`/`-,6`, trailing `;`);
- `api/estacoes_T.json` (station list) and `api/estacao_{CODE}_{ini}_{fim}.json` (hourly
  records: every value a string, null when missing, `HR_MEDICAO` "HHMM" UTC).

Weather: a diurnal cycle peaking mid-afternoon local time (UTC−3), dew point close to
the air temperature on humid nights (RH 100), radiation by day and missing or slightly
negative at night, rain showers, gusts above mean wind, and sensor gaps (rows stay,
values empty). Named bad rows can be injected to exercise the quality checks.
"""

from __future__ import annotations

import json
import math
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lumen.inmet.schema import ARCHIVE_HEADER_2020, MEASUREMENTS


@dataclass(frozen=True)
class Station:
    code: str
    name: str
    uf: str
    region: str
    lat: float
    lon: float
    alt: float
    founded: date
    mean_temp: float  # °C, November
    humid: float  # 0..1, how often nights saturate


# Sample stations modelled on four real ones (rounded coordinates and climate). Their codes start
# with Z, a letter INMET does not use, and their names say AMOSTRA (sample): the demo can run on a
# database holding real data and never touch a real row.
STATIONS: dict[str, Station] = {
    s.code: s
    for s in (
        Station("Z807", "CURITIBA (AMOSTRA)", "PR", "S", -25.4486, -49.2306, 923.0, date(2003, 1, 28), 19.0, 0.6),
        Station(
            "Z621",
            "RIO DE JANEIRO - VILA MILITAR (AMOSTRA)",
            "RJ",
            "SE",
            -22.8614,
            -43.4114,
            30.0,
            date(2007, 4, 13),
            25.0,
            0.35,
        ),
        Station("Z001", "BRASILIA (AMOSTRA)", "DF", "CO", -15.7894, -47.9258, 1160.0, date(2000, 5, 7), 22.0, 0.3),
        Station(
            "Z652",
            "RIO DE JANEIRO - FORTE DE COPACABANA (AMOSTRA)",
            "RJ",
            "SE",
            -22.9883,
            -43.1903,
            26.0,
            date(2007, 5, 15),
            24.0,
            0.4,
        ),
    )
}
SAMPLE_CODES = ",".join(STATIONS)
MAX_DEW_POINT = 28.0  # °C: Brazil's dew points stay below this; hotter saturated air is not generated
DEFAULT_START = date(2024, 11, 1)
DEFAULT_DAYS = 21

# name → (station, day offset, UTC hour, field, value): rows that break one quality rule each
INJECTIONS: dict[str, tuple[str, int, int, str, float]] = {
    "rh_150": ("Z807", 1, 3, "UMD_INS", 150.0),
    "temp_99": ("Z001", 2, 18, "TEM_INS", 99.0),
    "dewpoint_above_temp": ("Z621", 3, 6, "PTO_INS", 40.0),
    "gust_below_speed": ("Z652", 4, 15, "VEN_RAJ", 0.1),
    "negative_rain": ("Z807", 5, 12, "CHUVA", -4.0),
}


def _magnus_rh(temp: float, dew: float) -> float:
    def es(t: float) -> float:
        return 6.112 * math.exp(17.62 * t / (243.12 + t))

    return min(100.0, 100.0 * es(dew) / es(temp))


def station_hours(st: Station, start: date, days: int) -> list[dict[str, float | None | datetime]]:
    """Hourly values (floats, None = missing) for one station; the same inputs give the same output."""
    rng = random.Random(f"{st.code}-{start.isoformat()}-{days}")
    pressure0 = 1013.25 * (1 - 2.25577e-5 * st.alt) ** 5.25588
    rows: list[dict] = []
    day_anomaly = 0.0
    temp_prev = dew_prev = rh_prev = p_prev = None
    rain_left = 0
    for i in range(days * 24):
        t = datetime.combine(start, datetime.min.time(), UTC) + timedelta(hours=i)
        local_h = (t.hour - 3) % 24
        if i % 24 == 0:
            day_anomaly = 0.7 * day_anomaly + rng.gauss(0, 1.5)
        diurnal = math.sin(2 * math.pi * (local_h - 9) / 24)
        temp = st.mean_temp + day_anomaly + 5.0 * diurnal + rng.gauss(0, 0.3)
        night = local_h < 6 or local_h >= 19
        if rain_left == 0 and rng.random() < 0.012:
            rain_left = rng.randint(2, 6)
        raining = rain_left > 0
        rain_left = max(0, rain_left - 1)
        saturated = raining or (night and rng.random() < st.humid)
        depression = 0.0 if saturated else max(0.5, 4.0 + 4.0 * diurnal + rng.gauss(0, 0.8))
        dew = min(temp - depression, MAX_DEW_POINT)
        rh = 100.0 if dew >= temp else _magnus_rh(temp, dew)
        pressure = pressure0 + 1.2 * math.sin(4 * math.pi * (local_h - 10) / 24) + rng.gauss(0, 0.2)
        rad: float | None
        if 6 <= local_h <= 18:
            rad = max(
                0.0,
                3300 * math.sin(math.pi * (local_h - 6) / 12.5) * (0.35 if raining else 1.0) * rng.uniform(0.75, 1.0),
            )
        else:
            rad = None if rng.random() < 0.5 else -round(rng.uniform(0.5, 3.5), 1)
        speed = max(0.0, rng.gammavariate(2.0, 1.0) + (1.0 if not night else 0.0))
        gust = speed * rng.uniform(1.6, 2.6) + 0.5
        prev = (temp_prev if temp_prev is not None else temp, dew_prev if dew_prev is not None else dew)
        rows.append(
            {
                "observed_at": t,
                "CHUVA": round(rng.expovariate(0.6), 1) if raining else 0.0,
                "PRE_INS": pressure,
                "PRE_MAX": max(pressure, p_prev or pressure) + 0.2,
                "PRE_MIN": min(pressure, p_prev or pressure) - 0.2,
                "RAD_GLO": rad,
                "TEM_INS": temp,
                "PTO_INS": dew,
                "TEM_MAX": max(temp, prev[0]) + 0.3,
                "TEM_MIN": min(temp, prev[0]) - 0.3,
                "PTO_MAX": max(dew, prev[1]) + 0.3,
                "PTO_MIN": min(dew, prev[1]) - 0.3,
                "UMD_MAX": min(100.0, max(rh, rh_prev or rh) + 2),
                "UMD_MIN": max(0.0, min(rh, rh_prev or rh) - 2),
                "UMD_INS": rh,
                "VEN_DIR": float(rng.randint(0, 360)),
                "VEN_RAJ": gust,
                "VEN_VEL": speed,
            }
        )
        temp_prev, dew_prev, rh_prev, p_prev = temp, dew, rh, pressure
    # sensor gaps: a dead humidity sensor for 8 hours, and one station silent for 5 hours
    gap_at = rng.randint(24, max(24, len(rows) - 30))
    for row in rows[gap_at : gap_at + 8]:
        for key in ("UMD_INS", "UMD_MAX", "UMD_MIN", "PTO_INS", "PTO_MAX", "PTO_MIN"):
            row[key] = None
    if st.code == "Z621":
        for row in rows[100:105]:
            for key in list(row):
                if key != "observed_at":
                    row[key] = None
    return rows


_DECIMALS = {"UMD_INS": 0, "UMD_MAX": 0, "UMD_MIN": 0, "VEN_DIR": 0, "LAT": 8, "LON": 8, "ALT": 2}


def _archive_value(key: str, value: float | None) -> str:
    """INMET's archive style: decimal comma, no trailing zeros, no leading zero (`,6`, `-,6`); '' = missing."""
    if value is None:
        return ""
    decimals = _DECIMALS.get(key, 1)
    text = str(round(value)) if decimals == 0 else f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    if text in ("-0", "", "-"):
        text = "0"
    if text.startswith("0."):
        text = text[1:]
    elif text.startswith("-0."):
        text = "-" + text[2:]
    return text.replace(".", ",")


def _api_value(key: str, value: float | None) -> str | None:
    if value is None:
        return None
    decimals = 3 if key == "RAD_GLO" else _DECIMALS.get(key, 1)
    return f"{value:.{decimals}f}" if decimals else str(round(value))


def _inject(rows_by_station: dict[str, list[dict]], inject: list[str]) -> None:
    for name in inject:
        if name not in INJECTIONS:
            raise ValueError(f"unknown injection {name!r}; choose from {', '.join(INJECTIONS)}")
        code, day, hour, key, value = INJECTIONS[name]
        if code in rows_by_station and len(rows_by_station[code]) > day * 24 + hour:
            rows_by_station[code][day * 24 + hour][key] = value


# INMET's three archive eras (lumen/inmet/archive.py): metadata labels, date and hour columns, missing value
_ERA_LABELS = {
    "2018": ("REGIÃO", "ESTAÇÃO", "DATA DE FUNDAÇÃO (YYYY-MM-DD)"),
    "2019": ("REGI?O", "ESTAC?O", "DATA DE FUNDAC?O"),
    "2020": ("REGIAO", "ESTACAO", "DATA DE FUNDACAO"),
}


def era_of(year: int) -> str:
    """Which archive era a year's files are written in: ≤2018, 2019 or 2020+."""
    return "2018" if year <= 2018 else "2019" if year == 2019 else "2020"


def archive_csv(st: Station, rows: list[dict], start: date, end: date, era: str = "2020") -> bytes:
    """One station CSV as INMET's archive of that era writes it."""
    region, name, founded = _ERA_LABELS[era]
    meta = [
        f"{region}:;{st.region}", f"UF:;{st.uf}", f"{name}:;{st.name}", f"CODIGO (WMO):;{st.code}",
        f"LATITUDE:;{_archive_value('LAT', st.lat)}", f"LONGITUDE:;{_archive_value('LON', st.lon)}",
        f"ALTITUDE:;{_archive_value('ALT', st.alt)}",
        f"{founded}:;{st.founded:%Y-%m-%d}" if era == "2018" else f"{founded}:;{st.founded:%d/%m/%y}",
    ]  # fmt: skip
    header = ARCHIVE_HEADER_2020 if era == "2020" else [h.replace("(Kj/m²)", "(KJ/m²)") for h in ARCHIVE_HEADER_2020]
    if era == "2018":
        header = ["DATA (YYYY-MM-DD)", "HORA (UTC)", *header[2:]]
    lines = [*meta, ";".join(header) + ";"]
    keys = [k for k in MEASUREMENTS if k not in ("TEM_SEN", "TEN_BAT", "TEM_CPU")]
    stamp, missing = ("{:%Y-%m-%d;%H:%M}", "-9999") if era == "2018" else ("{:%Y/%m/%d;%H%M UTC}", "")
    for row in rows:
        values = [_archive_value(k, row[k]) or missing for k in keys]
        lines.append(stamp.format(row["observed_at"]) + ";" + ";".join(values) + ";")
    return ("\n".join(lines) + "\n").encode("latin-1")


def api_records(st: Station, rows: list[dict]) -> list[dict]:
    keys = [k for k in MEASUREMENTS if k not in ("TEM_SEN", "TEN_BAT", "TEM_CPU")]
    out = []
    for row in rows:
        t = row["observed_at"]
        rec: dict[str, str | None] = {"DC_NOME": st.name, "CD_ESTACAO": st.code, "UF": st.uf,
                                      "VL_LATITUDE": f"{st.lat:.8f}", "VL_LONGITUDE": f"{st.lon:.8f}",
                                      "DT_MEDICAO": f"{t:%Y-%m-%d}", "HR_MEDICAO": f"{t:%H%M}"}  # fmt: skip
        rec.update({k: _api_value(k, row[k]) for k in keys})
        out.append(rec)
    return out


def station_record(st: Station) -> dict:
    """One `/estacoes/T` entry, in the API's shape and key order."""
    return {
        "CD_OSCAR": None,
        "DC_NOME": st.name,
        "FL_CAPITAL": None,
        "DT_FIM_OPERACAO": None,
        "CD_SITUACAO": "Operante",
        "TP_ESTACAO": "Automatica",
        "VL_LATITUDE": f"{st.lat:.8f}",
        "CD_WSI": None,
        "CD_DISTRITO": None,
        "VL_ALTITUDE": f"{st.alt:.2f}",
        "SG_ESTADO": st.uf,
        "SG_ENTIDADE": "INMET",
        "CD_ESTACAO": st.code,
        "VL_LONGITUDE": f"{st.lon:.8f}",
        "DT_INICIO_OPERACAO": f"{st.founded:%Y-%m-%d}T21:00:00.000-03:00",
    }


@dataclass(frozen=True)
class SampleFiles:
    archive_zip: Path
    stations_json: Path
    api_json: dict[str, Path]
    start: date
    end: date
    rows: int


def generate(
    out_dir: Path,
    start: date = DEFAULT_START,
    days: int = DEFAULT_DAYS,
    stations: list[str] | None = None,
    inject: list[str] | None = None,
) -> SampleFiles:
    """Write the sample under `out_dir`; the same arguments write the same bytes."""
    codes = stations or list(STATIONS)
    unknown = [c for c in codes if c not in STATIONS]
    if unknown:
        raise ValueError(f"no sample station {', '.join(unknown)}; choose from {', '.join(STATIONS)}")
    end = start + timedelta(days=days - 1)
    rows_by_station = {code: station_hours(STATIONS[code], start, days) for code in codes}
    _inject(rows_by_station, inject or [])
    (out_dir / "archive").mkdir(parents=True, exist_ok=True)
    (out_dir / "api").mkdir(parents=True, exist_ok=True)
    zip_path = out_dir / "archive" / f"{start.year}.zip"
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for code in codes:
            st = STATIONS[code]
            name = f"{start.year}/INMET_{st.region}_{st.uf}_{st.code}_{st.name}_{start:%d-%m-%Y}_A_{end:%d-%m-%Y}.CSV"
            info = zipfile.ZipInfo(name, date_time=(start.year, 1, 1, 0, 0, 0))
            zf.writestr(info, archive_csv(st, rows_by_station[code], start, end), zipfile.ZIP_DEFLATED)
    stations_json = out_dir / "api" / "estacoes_T.json"
    stations_json.write_text(json.dumps([station_record(STATIONS[c]) for c in codes], ensure_ascii=False))
    api_json = {}
    for code in codes:
        path = out_dir / "api" / f"estacao_{code}_{start:%Y-%m-%d}_{end:%Y-%m-%d}.json"
        path.write_text(json.dumps(api_records(STATIONS[code], rows_by_station[code]), ensure_ascii=False))
        api_json[code] = path
    return SampleFiles(zip_path, stations_json, api_json, start, end, sum(len(r) for r in rows_by_station.values()))


def scale_files(out_dir: Path, stations: int, year: int = 2024) -> list[Path]:
    """`stations` station-year CSVs in the year's archive era, for benchmarks (≈8,760 rows each)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, body in scale_members(stations, year):
        path = out_dir / name
        path.write_bytes(body)
        paths.append(path)
    return paths


def scale_members(stations: int, year: int) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of `stations` synthetic station-years in the year's archive era.

    Four template station-years are generated once; each synthetic station (codes S000…,
    T000…) reuses one with its own metadata, so writing 600 files takes seconds.
    """
    start, end = date(year, 1, 1), date(year, 12, 31)
    days = (end - start).days + 1
    era = era_of(year)
    templates = []
    for st in STATIONS.values():
        body = archive_csv(st, station_hours(st, start, days), start, end, era)
        templates.append(body.split(b"\n", 8)[8])  # the header line and the rows
    for n in range(stations):
        code = f"{chr(ord('S') + n // 1000)}{n % 1000:03d}"
        st = Station(code, f"BENCH {code}", "PR", "S", -25.4, -49.2, 900.0, date(2010, 1, 1), 19.0, 0.6)
        meta = archive_csv(st, [], start, end, era).split(b"\n", 8)[:8]
        yield (
            f"INMET_S_PR_{code}_BENCH_{start:%d-%m-%Y}_A_{end:%d-%m-%Y}.CSV",
            b"\n".join(meta) + b"\n" + templates[n % len(templates)],
        )
