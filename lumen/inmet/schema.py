"""INMET fields: one name per measurement (the API's code), how the archive labels map to it.

The API's field codes are the canonical names in raw_data (lower-cased). The
yearly archive CSVs label the same 17 measurements in Portuguese; their labels
changed spelling over the years (accents, `?` for lost characters, `KJ`/`Kj`), so
they are matched after folding accents, case and punctuation.
"""

from __future__ import annotations

import re
import unicodedata

# measurement code → (meaning, unit as INMET sends it)
MEASUREMENTS: dict[str, tuple[str, str]] = {
    "CHUVA": ("precipitation in the hour", "mm"),
    "PRE_INS": ("station-level pressure", "hPa (mB)"),
    "PRE_MAX": ("max pressure in the previous hour", "hPa (mB)"),
    "PRE_MIN": ("min pressure in the previous hour", "hPa (mB)"),
    "RAD_GLO": ("global radiation in the hour", "kJ/m²"),
    "TEM_INS": ("air temperature (dry bulb)", "°C"),
    "PTO_INS": ("dew point", "°C"),
    "TEM_MAX": ("max air temperature in the previous hour", "°C"),
    "TEM_MIN": ("min air temperature in the previous hour", "°C"),
    "PTO_MAX": ("max dew point in the previous hour", "°C"),
    "PTO_MIN": ("min dew point in the previous hour", "°C"),
    "UMD_MAX": ("max relative humidity in the previous hour", "%"),
    "UMD_MIN": ("min relative humidity in the previous hour", "%"),
    "UMD_INS": ("relative humidity", "%"),
    "VEN_DIR": ("wind direction", "degrees"),
    "VEN_RAJ": ("max wind gust", "m/s"),
    "VEN_VEL": ("wind speed", "m/s"),
    # added to the API around 2022 (not in the yearly archive)
    "TEM_SEN": ("apparent (feels-like) temperature", "°C"),
    "TEN_BAT": ("station battery voltage", "V"),
    "TEM_CPU": ("logger CPU temperature", "°C"),
}
MEASUREMENT_COLUMNS: tuple[str, ...] = tuple(code.lower() for code in MEASUREMENTS)

# API fields that are not measurements: the key, and station data repeated on every row
API_KEY_FIELDS = ("CD_ESTACAO", "DT_MEDICAO", "HR_MEDICAO")
API_STATION_FIELDS = ("DC_NOME", "UF", "VL_LATITUDE", "VL_LONGITUDE")
API_KNOWN_FIELDS = frozenset((*API_KEY_FIELDS, *API_STATION_FIELDS, *MEASUREMENTS))

# station list fields (/estacoes/T and /estacoes/M)
STATION_FIELDS = (
    "CD_ESTACAO", "DC_NOME", "SG_ESTADO", "CD_SITUACAO", "TP_ESTACAO", "VL_LATITUDE", "VL_LONGITUDE",
    "VL_ALTITUDE", "DT_INICIO_OPERACAO", "DT_FIM_OPERACAO", "CD_OSCAR", "CD_WSI", "CD_DISTRITO",
    "FL_CAPITAL", "SG_ENTIDADE",
)  # fmt: skip


def fold(label: str) -> str:
    """`PRECIPITAÇÃO TOTAL, HORÁRIO (mm)` → `PRECIPITACAOTOTALHORARIOMM`; `REGI?O:` → `REGIO`."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]", "", plain.upper())


_ARCHIVE_LABELS = {
    "PRECIPITAÇÃO TOTAL, HORÁRIO (mm)": "CHUVA",
    "PRESSAO ATMOSFERICA AO NIVEL DA ESTACAO, HORARIA (mB)": "PRE_INS",
    "PRESSÃO ATMOSFERICA MAX.NA HORA ANT. (AUT) (mB)": "PRE_MAX",
    "PRESSÃO ATMOSFERICA MIN. NA HORA ANT. (AUT) (mB)": "PRE_MIN",
    "RADIACAO GLOBAL (KJ/m²)": "RAD_GLO",
    "TEMPERATURA DO AR - BULBO SECO, HORARIA (°C)": "TEM_INS",
    "TEMPERATURA DO PONTO DE ORVALHO (°C)": "PTO_INS",
    "TEMPERATURA MÁXIMA NA HORA ANT. (AUT) (°C)": "TEM_MAX",
    "TEMPERATURA MÍNIMA NA HORA ANT. (AUT) (°C)": "TEM_MIN",
    "TEMPERATURA ORVALHO MAX. NA HORA ANT. (AUT) (°C)": "PTO_MAX",
    "TEMPERATURA ORVALHO MIN. NA HORA ANT. (AUT) (°C)": "PTO_MIN",
    "UMIDADE REL. MAX. NA HORA ANT. (AUT) (%)": "UMD_MAX",
    "UMIDADE REL. MIN. NA HORA ANT. (AUT) (%)": "UMD_MIN",
    "UMIDADE RELATIVA DO AR, HORARIA (%)": "UMD_INS",
    "VENTO, DIREÇÃO HORARIA (gr) (° (gr))": "VEN_DIR",
    "VENTO, RAJADA MAXIMA (m/s)": "VEN_RAJ",
    "VENTO, VELOCIDADE HORARIA (m/s)": "VEN_VEL",
}
ARCHIVE_LABELS: dict[str, str] = {fold(label): code for label, code in _ARCHIVE_LABELS.items()}
# the 2020+ header, in file order, as INMET writes it (used by the sample generator)
ARCHIVE_HEADER_2020 = ["Data", "Hora UTC", *(
    label.replace("(KJ/m²)", "(Kj/m²)") for label in _ARCHIVE_LABELS
)]  # fmt: skip

# the 8 metadata lines: folded-label prefix → key
ARCHIVE_META_PREFIXES = (
    ("REGI", "region"),
    ("UF", "uf"),
    ("ESTA", "name"),
    ("CODIGO", "station_code"),
    ("LATITUDE", "latitude"),
    ("LONGITUDE", "longitude"),
    ("ALTITUDE", "altitude"),
    ("DATADEFUNDA", "founded"),
)
# ------------------------------------------------------------- missing values ----
# The one definition of "missing" in INMET's text, used by Python (`is_missing`) and by the SQL
# the clean step builds (`missing_sql`): null, an empty field, and -9999 as the ≤2018 archive
# and some re-saved files write it (`-9999`, `-9999,0`, `-9999.0`), spaces around any of them.
MISSING_TEXTS: tuple[str, ...] = ("", "-9999", "-9999,0", "-9999.0", "-9999,00", "-9999.00")
# a number as INMET writes it: decimal comma or point, no leading zero needed (`,6`, `-,6`). At most
# 9 digits on either side: INMET's values have ≤ 4 before and ≤ 8 after the point (coordinates), so
# anything longer is not a measurement, and a 400-digit text would overflow the cast to double
# precision and stop the whole window instead of being quarantined as "value is a number".
NUMBER = r"^\s*[-+]?([0-9]{1,9}([.,][0-9]{0,9})?|[.,][0-9]{1,9})\s*$"


def is_missing(value: str | None) -> bool:
    return value is None or value.strip() in MISSING_TEXTS


def missing_sql(expr: str) -> str:
    """SQL that is TRUE when the text `expr` is missing (same rule as `is_missing`)."""
    texts = ", ".join("'" + t + "'" for t in MISSING_TEXTS)
    return f"({expr} IS NULL OR btrim({expr}) IN ({texts}))"


def number_sql(expr: str) -> str:
    """SQL: the text `expr` as double precision; NULL when missing or not a number."""
    return (
        f"CASE WHEN {expr} ~ '{NUMBER}' AND NOT {missing_sql(expr)} "
        f"THEN replace(btrim({expr}), ',', '.')::double precision END"
    )


# ---------------------------------------------------------------------- hours ----
HOURS = range(24)


def whole_hour(text: str) -> int | None:
    """`0300`, `03:00`, `0300 UTC`, `300` → 3; None unless it is a whole UTC hour (00–23, minutes 00)."""
    digits = text.strip().upper().removesuffix("UTC").strip().replace(":", "")
    if not digits.isdigit() or len(digits) > 4:
        return None
    digits = digits.zfill(4)
    hour, minute = int(digits[:2]), int(digits[2:])
    return hour if hour in HOURS and minute == 0 else None
