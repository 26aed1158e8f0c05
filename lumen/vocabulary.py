"""The project's shared words, defined once: station and state codes, Brazil's states and bounds,
run ids. Every module that takes one of these from a person or from data checks it here.

Column names and units of the data live in `lumen/inmet/schema.py` (INMET's fields) and
`lumen/clean/transform.py` (`COLUMNS`, processed_data's); this module holds what is neither.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from lumen.errors import LumenError

STATION_CODE = re.compile(r"^[A-Z][0-9]{3}$")  # INMET's automatic stations: A807, B803, …
UF_CODE = re.compile(r"^[A-Z]{2}$")
# Brazil's 26 states and the Federal District (IBGE)
UFS: tuple[str, ...] = (
    "AC", "AL", "AM", "AP", "BA", "CE", "DF", "ES", "GO", "MA", "MG", "MS", "MT", "PA",
    "PB", "PE", "PI", "PR", "RJ", "RN", "RO", "RR", "RS", "SC", "SE", "SP", "TO",
)  # fmt: skip
# Brazil's territory, islands included (IBGE's extreme points: 5°16′N at Monte Caburaí, 33°45′S at
# Chuí, 73°59′W at the Moa river, 28°50′W at the St Peter and St Paul Rocks), rounded outward
LATITUDE_RANGE = (-34.0, 6.0)
LONGITUDE_RANGE = (-74.0, -28.0)
# station altitudes: the coast (a little below 0 m where a survey says so) to Brazil's highest peak
# (Pico da Neblina, 2,995 m); INMET's highest automatic stations stand near 2,000 m
ALTITUDE_RANGE = (-10.0, 3000.0)
# a run id names a folder under runs/: letters, digits, `.`, `_`, `-`, at most 64, never `..`
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class VocabularyError(LumenError):
    """A code, name or id that is not one of ours; the message says what it should look like."""


def split_codes(value: str | None) -> list[str]:
    """`"a807, A652,"` → `["A807", "A652"]` (station codes or states, comma-separated)."""
    return [c.strip().upper() for c in (value or "").split(",") if c.strip()]


def station_codes(value: str | None) -> list[str]:
    """`split_codes` of INMET station codes (a letter and three digits); anything else is refused."""
    return _checked(split_codes(value), STATION_CODE, "an INMET station code (a letter and three digits, e.g. A807)")


def state_codes(value: str | None) -> list[str]:
    """`split_codes` of states (PR, RJ …, one of Brazil's 27); anything else is refused."""
    codes = _checked(split_codes(value), UF_CODE, "a state (two letters, e.g. PR)")
    if bad := [c for c in codes if c not in UFS]:
        raise VocabularyError(f"{bad[0]!r} is not one of Brazil's states ({', '.join(UFS)})")
    return codes


def _checked(codes: list[str], pattern: re.Pattern[str], what: str) -> list[str]:
    if bad := [c for c in codes if not pattern.match(c)]:
        raise VocabularyError(f"{bad[0][:40]!r} is not {what}")
    return codes


def run_id(value: str) -> str:
    """A run id as given, or VocabularyError: it becomes a folder name under runs/, so nothing that
    could climb out of it (`..`, `/`) or surprise a shell gets through."""
    if not RUN_ID.match(value or "") or ".." in value:
        raise VocabularyError(
            f"run id {value[:70]!r} is not valid: use 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit, without '..'"
        )
    return value


def new_run_id(now: datetime | None = None) -> str:
    """`20240101T0300Z-1a2b3c`: sortable, unique, and a valid run id."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%MZ}-{secrets.token_hex(3)}"
