"""What one station says about itself, judged before its rows are cleaned.

A station's record (the station list, an archive file's 8 header lines, or what API rows
repeat) is the one input that every later step reads for all stations together: the map,
the dashboards' state filters, the GX stations suite, local time. One station's header with
`LATITUDE:;0` or an empty `UF:;` must therefore be judged *here*, for that station alone:

- a field that is not plausible is **not used** (NULL in processed_data.stations), and the
  station goes on without it — the time zone then comes from its state;
- a station whose local time cannot be derived at all (no usable coordinates and no state)
  is **held**: its rows stay in raw_data, uncleaned, until a corrected record arrives.

Each problem is one row of processed_data.station_issues, with the value and what to fix;
a later clean that finds the record sound marks it resolved (kept as history). Each rule
is one small function whose docstring says why; ranges come from lumen/vocabulary.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from lumen.clean import timezones
from lumen.vocabulary import ALTITUDE_RANGE, LATITUDE_RANGE, LONGITUDE_RANGE, UFS

HELD = "held"
NOT_USED = "not used"
FIX = "correct the station's header (or the station list) and load its file again; a clean then releases it"


@dataclass(frozen=True)
class StationRecord:
    """The station fields as received (text) and as numbers (None: missing or not a number)."""

    code: str
    uf: str | None
    latitude_text: str | None
    longitude_text: str | None
    altitude_text: str | None
    latitude: float | None
    longitude: float | None
    altitude: float | None


@dataclass(frozen=True)
class Issue:
    field: str  # uf, coordinates, altitude, time_zone
    rule: str
    value: str | None
    action: str  # HELD or NOT_USED

    def shown(self) -> str:
        return "empty" if not (self.value or "").strip() else repr((self.value or "")[:40])

    def text(self, code: str) -> str:
        """`station A991: coordinates '0;0' — needs inside Brazil (…); not used`, for people."""
        then = "its rows stay in raw_data, uncleaned" if self.action == HELD else "not used"
        return f"station {code}: {self.field} {self.shown()} — needs {self.rule}; {then}"


@dataclass(frozen=True)
class Judged:
    """What the clean step uses of one record: plausible fields only, its zone, and the issues."""

    code: str
    uf: str | None
    latitude: float | None
    longitude: float | None
    altitude: float | None
    zone: timezones.Zone | None
    issues: tuple[Issue, ...]

    @property
    def held(self) -> bool:
        return any(i.action == HELD for i in self.issues)


def state_is_known(rec: StationRecord) -> Issue | None:
    """The UF must be one of Brazil's 27: dashboards filter and group by it, and a station's zone
    falls back to its state's. Blank or unknown, it is not used (the station goes on without it)."""
    uf = (rec.uf or "").strip().upper()
    if uf in UFS:
        return None
    return Issue("uf", "one of Brazil's 27 states (AC … TO)", rec.uf, NOT_USED)


def coordinates_in_brazil(rec: StationRecord) -> Issue | None:
    """Latitude and longitude must both be numbers inside Brazil's territory, islands included
    (vocabulary.LATITUDE_RANGE / LONGITUDE_RANGE). `0;0` (a blank filled with zeros), a swapped
    pair or a lost sign puts the station in the ocean: the map, the neighbour search and the time
    zone would all be wrong, so the pair is not used (the zone comes from the state)."""
    lat, lon = rec.latitude, rec.longitude
    inside = (
        lat is not None
        and lon is not None
        and LATITUDE_RANGE[0] <= lat <= LATITUDE_RANGE[1]
        and LONGITUDE_RANGE[0] <= lon <= LONGITUDE_RANGE[1]
    )
    if inside:
        return None
    if not (rec.latitude_text or "").strip() and not (rec.longitude_text or "").strip():
        return Issue("coordinates", "a latitude and a longitude", "", NOT_USED)
    value = f"{(rec.latitude_text or '').strip()};{(rec.longitude_text or '').strip()}"
    where = (
        f"a point inside Brazil (latitude {LATITUDE_RANGE[0]:g}…{LATITUDE_RANGE[1]:g}, "
        f"longitude {LONGITUDE_RANGE[0]:g}…{LONGITUDE_RANGE[1]:g})"
    )
    return Issue("coordinates", where, value, NOT_USED)


def altitude_plausible(rec: StationRecord) -> Issue | None:
    """Altitude −10…3,000 m (the coast to Pico da Neblina): it sets the station's pressure for
    evapotranspiration and the lapse-rate correction of neighbour checks. Missing is allowed (None);
    a value outside, or text that is not a number, is not used."""
    if rec.altitude is not None and ALTITUDE_RANGE[0] <= rec.altitude <= ALTITUDE_RANGE[1]:
        return None
    if rec.altitude is None and not (rec.altitude_text or "").strip():
        return None
    return Issue("altitude", f"a height of {ALTITUDE_RANGE[0]:g}…{ALTITUDE_RANGE[1]:g} m", rec.altitude_text, NOT_USED)


FIELD_RULES = (state_is_known, coordinates_in_brazil, altitude_plausible)


def judge(rec: StationRecord) -> Judged:
    """The fields the clean step may use, the station's zone from them, and every issue found."""
    issues = [issue for rule in FIELD_RULES if (issue := rule(rec)) is not None]
    bad = {i.field for i in issues}
    uf = None if "uf" in bad else (rec.uf or "").strip().upper()
    lat, lon = (None, None) if "coordinates" in bad else (rec.latitude, rec.longitude)
    altitude = None if "altitude" in bad else rec.altitude
    zone = timezones.zone_for(lat, lon, uf)
    if zone is None:  # local dates and hours cannot be derived: nothing of it can be cleaned
        issues.append(Issue("time_zone", "usable coordinates or a state to derive it from", None, HELD))
    return Judged(rec.code, uf, lat, lon, altitude, zone, tuple(issues))


def no_record(code: str) -> Judged:
    """A station with rows but no record at all (neither the station list nor a file header)."""
    issue = Issue("record", "a station record (the station list or an archive file's header)", None, HELD)
    return Judged(code, None, None, None, None, None, (issue,))
