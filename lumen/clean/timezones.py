"""Each station's IANA time zone: from its coordinates, else from its state.

Brazil spans four offsets (UTC−2 on Fernando de Noronha … UTC−5 in Acre and western
Amazonas), and until 2019 only some states kept daylight-saving time, with rules that
changed over the years (Bahia in 2011–12, Tocantins in 2013–14, Acre's offset in
2008–13). An IANA zone carries that history, so PostgreSQL's `AT TIME ZONE` gives the
right local hour for any year. The zone is found offline by `tzfpy` (timezone
boundaries shipped in the wheel). Where a station has no coordinates, or they fall
outside Brazil's zones (a buoy at sea, a typo), its state's main zone is used and the
station row says so (`time_zone_source = 'state'`).
"""

from __future__ import annotations

from dataclasses import dataclass

# the zones Brazil's territory lies in (IANA tzdb, "America/…")
BRAZIL_ZONES = frozenset(
    {
        "America/Noronha",
        "America/Belem",
        "America/Fortaleza",
        "America/Recife",
        "America/Araguaina",
        "America/Maceio",
        "America/Bahia",
        "America/Sao_Paulo",
        "America/Campo_Grande",
        "America/Cuiaba",
        "America/Santarem",
        "America/Porto_Velho",
        "America/Boa_Vista",
        "America/Manaus",
        "America/Eirunepe",
        "America/Rio_Branco",
    }
)

# a state's zone where coordinates are missing: the zone of its capital (AM's west and PA's west
# differ; their coordinates decide when known)
STATE_ZONES: dict[str, str] = {
    "AC": "America/Rio_Branco", "AL": "America/Maceio", "AP": "America/Belem", "AM": "America/Manaus",
    "BA": "America/Bahia", "CE": "America/Fortaleza", "DF": "America/Sao_Paulo", "ES": "America/Sao_Paulo",
    "GO": "America/Sao_Paulo", "MA": "America/Fortaleza", "MT": "America/Cuiaba", "MS": "America/Campo_Grande",
    "MG": "America/Sao_Paulo", "PA": "America/Belem", "PB": "America/Fortaleza", "PR": "America/Sao_Paulo",
    "PE": "America/Recife", "PI": "America/Fortaleza", "RJ": "America/Sao_Paulo", "RN": "America/Fortaleza",
    "RS": "America/Sao_Paulo", "RO": "America/Porto_Velho", "RR": "America/Boa_Vista", "SC": "America/Sao_Paulo",
    "SP": "America/Sao_Paulo", "SE": "America/Maceio", "TO": "America/Araguaina",
}  # fmt: skip


@dataclass(frozen=True)
class Zone:
    name: str  # IANA zone, e.g. America/Maceio
    source: str  # "coordinates" or "state"


def zone_for(latitude: float | None, longitude: float | None, uf: str | None) -> Zone | None:
    """The station's zone, or None when neither its coordinates nor its state tell."""
    if latitude is not None and longitude is not None and -90 <= latitude <= 90 and -180 <= longitude <= 180:
        import tzfpy

        found = tzfpy.get_tz(longitude, latitude)
        if found in BRAZIL_ZONES:
            return Zone(found, "coordinates")
    state = STATE_ZONES.get((uf or "").strip().upper())
    return Zone(state, "state") if state else None
