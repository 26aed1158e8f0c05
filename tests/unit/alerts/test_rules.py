"""The rules file: what ships loads, levels meet INMET's criteria at their exact edges, and every
mistake stops with one line naming the rule and the field."""

from __future__ import annotations

import pytest

from lumen.alerts import AlertError, rules
from tests.conftest import ROOT

SHIPPED = ROOT / "alerts" / "rules.yml"


def by_id() -> dict[str, rules.Rule]:
    return {r.id: r for r in rules.load(SHIPPED)}


def test_the_shipped_rules_cover_inmets_criteria():
    found = by_id()
    assert set(found) == {
        "heavy_rain_hour",
        "heavy_rain_day",
        "wind_gust",
        "low_humidity",
        "frost_risk",
        "heat_wave",
        "frost_forecast",
    }
    assert all(r.source and r.clear_hours for r in found.values())
    assert found["wind_gust"].levels["red"].value == pytest.approx(100 / 3.6, abs=0.05)  # km/h → m/s


@pytest.mark.parametrize(
    ("rule", "values", "levels"),
    [
        ("heavy_rain_hour", [19.9, 20, 29.9, 30, 60, 60.1], [None, "yellow", "yellow", "orange", "orange", "red"]),
        ("heavy_rain_day", [29.9, 30, 50, 100, 100.1], [None, "yellow", "orange", "orange", "red"]),
        ("wind_gust", [11.0, 11.1, 16.7, 27.8, 27.9], [None, "yellow", "orange", "orange", "red"]),
        ("low_humidity", [30.1, 30, 20, 12, 11.9], [None, "yellow", "orange", "orange", "red"]),
        ("frost_risk", [3.1, 3, 0.1, 0, -5], [None, "yellow", "yellow", "orange", "orange"]),
        ("heat_wave", [2, 3, 4, 5, 6, 7, 30], [None, "yellow", "yellow", "orange", "orange", "red", "red"]),
        ("frost_forecast", [3.1, 3, 0], [None, "yellow", "orange"]),
    ],
)
def test_levels_at_the_exact_edges(rule, values, levels):
    assert [by_id()[rule].level_of(v) for v in values] == levels


BASE = """
rules:
  - id: wind_gust
    name: Rajadas de vento
    kind: hour
    quantity: wind_gust_ms
    unit: m/s
    source: INMET
    levels:
      yellow: {at_least: 11.1}
      orange: {at_least: 16.7}
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("orange: {at_least: 16.7}", "orange: {at_least: 10}"),
            "rule wind_gust: levels: each level's threshold must be stricter than the one below it",
        ),
        (("orange: {at_least: 16.7}", "orange: {over: 16.7}"), "rule wind_gust: levels.orange.over: Extra inputs"),
        (("orange: {at_least: 16.7}", "orange: {at_most: 16.7}"), "rule wind_gust: levels: all at_least/above"),
        (
            ("quantity: wind_gust_ms", "quantity: wind_gust_kmh"),
            "rule wind_gust: quantity: 'wind_gust_kmh' is not a column of processed_data.observations",
        ),
        (("    unit: m/s\n", ""), "rule wind_gust: unit: Field required"),
        (("kind: hour", "kind: daily"), "rule wind_gust: kind: Input should be"),
        (
            ("yellow: {at_least: 11.1}", "yellow: {at_least: lots}"),
            "rule wind_gust: levels.yellow.at_least: Input should be a valid number",
        ),
        (("  - id: wind_gust", "  - id: Wind Gust"), "rule Wind Gust: id: String should match pattern"),
        (("levels:", "levels: [\n"), "not valid YAML at line"),
    ],
)
def test_a_mistake_stops_with_one_line_naming_the_rule_and_field(tmp_path, change, message):
    path = tmp_path / "rules.yml"
    path.write_text(BASE.replace(*change))
    with pytest.raises(AlertError) as err:
        rules.load(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_two_rules_with_one_id_are_refused(tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text(BASE + BASE.split("rules:\n")[1])
    with pytest.raises(AlertError, match="rule wind_gust: id: used by two rules"):
        rules.load(path)
