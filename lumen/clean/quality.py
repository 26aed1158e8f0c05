"""Explicit data-quality rules for processed_data.observations.

Each rule is a small function whose docstring says why it exists. It returns one
`Rule` per column it guards: a SQL condition over a typed row `b` that is TRUE when
the row breaks it. The clean step evaluates every rule in one pass inside
PostgreSQL; a breaking row goes to processed_data.quarantine (key, rule, column,
value, run) and never silently disappears. Missing values (NULL) break no rule:
real stations have dead sensors and missing night radiation, which is not an error.
Ranges are from ../shared/design.md ("plausible hourly ranges").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str  # shown to people: "humidity 0..100"
    column: str  # the column whose value is reported
    violation: str  # SQL over alias `b`; TRUE when the row breaks the rule
    lo: float | None = None  # for range rules: the plausible bounds (mirrored by the GX suite)
    hi: float | None = None


@dataclass(frozen=True)
class Violation:
    station_code: str
    observed_at: object  # datetime (UTC)
    column: str
    value: str | None
    rule: str

    def __str__(self) -> str:
        return (
            f"station {self.station_code} {self.observed_at:%Y-%m-%d %H:%M} UTC "
            f"{self.column}={self.value} (rule: {self.rule})"
        )


def _between(name: str, lo: float, hi: float, *columns: str) -> list[Rule]:
    return [Rule(name, c, f"NOT (b.{c} BETWEEN {lo} AND {hi})", lo, hi) for c in columns]


def air_temperature_range() -> list[Rule]:
    """Hourly air temperature in Brazil stays within −15…48 °C (records: about −14 and 45 °C);
    anything outside is a sensor fault or a typing error such as 99 or 999."""
    return _between("air temperature -15..48 °C", -15, 48, "air_temp_c", "air_temp_max_c", "air_temp_min_c")


def dew_point_range() -> list[Rule]:
    """Dew point −30…35 °C: drier or more humid air than that does not occur at INMET's stations."""
    return _between("dew point -30..35 °C", -30, 35, "dew_point_c", "dew_point_max_c", "dew_point_min_c")


def dew_point_not_above_air_temperature() -> list[Rule]:
    """The dew point cannot exceed the air temperature (that would mean RH > 100 %); 0.5 °C of
    slack absorbs the two sensors' rounding and response times."""
    return [Rule("dew point <= air temperature", "dew_point_c", "b.dew_point_c > b.air_temp_c + 0.5")]


def humidity_range() -> list[Rule]:
    """Relative humidity is a percentage, 0…100. Saturated air sits at exactly 100 for hours on
    humid nights in real data: that is valid, above 100 is not."""
    return _between("humidity 0..100", 0, 100, "rel_humidity_pct", "rel_humidity_max_pct", "rel_humidity_min_pct")


def pressure_range() -> list[Rule]:
    """Station-level pressure, 700…1050 hPa: from the highest stations (~2,000 m) to sea level
    in a strong high; values outside mean a unit or sensor error."""
    return _between("pressure 700..1050 hPa", 700, 1050, "pressure_hpa", "pressure_max_hpa", "pressure_min_hpa")


def wind_speed_range() -> list[Rule]:
    """Mean wind 0…40 m/s (144 km/h): beyond that is a hurricane, not a Brazilian station hour."""
    return _between("wind speed 0..40 m/s", 0, 40, "wind_speed_ms")


def gust_range() -> list[Rule]:
    """Gusts 0…60 m/s: the strongest gusts measured in Brazil stay well below that."""
    return _between("wind gust 0..60 m/s", 0, 60, "wind_gust_ms")


def gust_not_below_speed() -> list[Rule]:
    """A gust is the hour's maximum; it cannot be below the hour's mean speed (0.1 m/s slack for rounding)."""
    return [Rule("wind gust >= wind speed", "wind_gust_ms", "b.wind_gust_ms < b.wind_speed_ms - 0.1")]


def wind_direction_range() -> list[Rule]:
    """Direction is an angle from north, 0…360 degrees."""
    return _between("wind direction 0..360", 0, 360, "wind_dir_deg")


def rain_range() -> list[Rule]:
    """Hourly rain 0…150 mm: negative rain is impossible and Brazil's hourly records stay below 150 mm."""
    return _between("rain 0..150 mm", 0, 150, "precip_mm")


def radiation_range() -> list[Rule]:
    """Global radiation per hour 0…4,900 kJ/m² (the top of the atmosphere gives ~4,900). Slightly
    negative night values were already set to 0 by the transform; what is left below 0 is a fault."""
    return _between("radiation 0..4900 kJ/m²", 0, 4900, "global_radiation_kj_m2")


def min_not_above_max() -> list[Rule]:
    """The previous hour's minimum cannot exceed its maximum."""
    pairs = (
        ("air_temp_min_c", "air_temp_max_c"), ("dew_point_min_c", "dew_point_max_c"),
        ("rel_humidity_min_pct", "rel_humidity_max_pct"), ("pressure_min_hpa", "pressure_max_hpa"),
    )  # fmt: skip
    return [Rule("min <= max", lo, f"b.{lo} > b.{hi}") for lo, hi in pairs]


def instant_within_min_max() -> list[Rule]:
    """The reading at the hour lies within that hour's min and max (the sensors log both from the
    same samples); 0.5 units of slack absorb rounding of the three published values."""
    triples = (
        ("air_temp_c", "air_temp_min_c", "air_temp_max_c"), ("dew_point_c", "dew_point_min_c", "dew_point_max_c"),
        ("rel_humidity_pct", "rel_humidity_min_pct", "rel_humidity_max_pct"),
        ("pressure_hpa", "pressure_min_hpa", "pressure_max_hpa"),
    )  # fmt: skip
    return [
        Rule("min <= instant <= max", c, f"(b.{c} < b.{lo} - 0.5 OR b.{c} > b.{hi} + 0.5)") for c, lo, hi in triples
    ]


FUTURE_MARGIN_HOURS = 2  # INMET publishes an hour minutes after it ends; clocks may differ a little


def hour_not_in_the_future() -> list[Rule]:
    """An hour later than now (plus a small margin for clocks) has not been observed yet: a file dated
    2099 or a logger with a wrong clock. Kept in raw, quarantined here (it made `hours_since_last_data`
    −631,852 before)."""
    return [
        Rule("hour not in the future", "observed_at", f"b.observed_at > now() + interval '{FUTURE_MARGIN_HOURS} hours'")
    ]


RULE_FUNCTIONS: tuple[Callable[[], list[Rule]], ...] = (
    air_temperature_range, dew_point_range, dew_point_not_above_air_temperature, humidity_range,
    pressure_range, wind_speed_range, gust_range, gust_not_below_speed, wind_direction_range,
    rain_range, radiation_range, min_not_above_max, instant_within_min_max, hour_not_in_the_future,
)  # fmt: skip
NOT_A_NUMBER = "value is a number"


def all_rules() -> list[Rule]:
    return [rule for make in RULE_FUNCTIONS for rule in make()]


def summary(
    counts: dict[str, int], examples: list[Violation], total_rows: int, bad_rows: int, on_invalid: str = "fail"
) -> str:
    """The message a person reads when a run fails (or passes with quarantined rows): problems per
    rule, the first examples, and what to do — which depends on LUMEN_ON_INVALID."""
    lines = [f"data quality: {bad_rows:,} of {total_rows:,} row(s) broke a rule ({sum(counts.values())} problem(s))"]
    lines += [f"  {n:>6} × {rule}" for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines += ["first examples:"] + [f"  {v}" for v in examples]
    if on_invalid == "fail":
        lines.append(
            "the rows are kept in processed_data.quarantine; nothing of the window was published. "
            "LUMEN_ON_INVALID=quarantine lets the valid rows through"
        )
    else:
        lines.append(
            "the rows are kept in processed_data.quarantine (`lumen status`); the valid rows went on. "
            "Correct the source and load it again, and a later clean resolves them"
        )
    return "\n".join(lines)
    return "\n".join(lines)
