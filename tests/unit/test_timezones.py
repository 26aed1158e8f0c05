"""Each station's time zone from its coordinates, else its state."""

import pytest

from lumen.clean.timezones import BRAZIL_ZONES, STATE_ZONES, Zone, zone_for


@pytest.mark.parametrize(
    ("lat", "lon", "uf", "zone"),
    [
        (-25.45, -49.23, "PR", "America/Sao_Paulo"),  # Curitiba, UTC−3 (DST until 2019)
        (-10.95, -37.05, "SE", "America/Maceio"),  # Aracaju, UTC−3, no DST since 2000
        (-3.10, -60.02, "AM", "America/Manaus"),  # UTC−4
        (-9.97, -67.81, "AC", "America/Rio_Branco"),  # UTC−5
        (-3.85, -32.42, "PE", "America/Noronha"),  # UTC−2
        (-6.66, -69.87, "AM", "America/Eirunepe"),  # western Amazonas: UTC−5, not its state's capital's zone
        (-15.60, -56.10, "MT", "America/Cuiaba"),
    ],
)
def test_zone_from_coordinates(lat, lon, uf, zone):
    assert zone_for(lat, lon, uf) == Zone(zone, "coordinates")


def test_zone_from_state_where_coordinates_are_missing_or_outside_brazil():
    assert zone_for(None, None, "se") == Zone("America/Maceio", "state")
    assert zone_for(-24.0, -40.0, "SP") == Zone("America/Sao_Paulo", "state")  # at sea: Etc/GMT+3
    assert zone_for(999.0, 0.0, "AC") == Zone("America/Rio_Branco", "state")
    assert zone_for(None, None, None) is None and zone_for(None, None, "XX") is None


def test_every_state_has_a_brazilian_zone():
    assert len(STATE_ZONES) == 27 and set(STATE_ZONES.values()) <= BRAZIL_ZONES
