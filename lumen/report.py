"""The weather report's data and figures (the notebook notebooks/reports/weather_report.ipynb stays thin).

Reads analytics and processed_data as lumen_reader. `run()` executes the notebook with
Papermill and converts it with nbconvert into HTML without code cells: the dashboard
for machines without Docker (and so without Metabase).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import text

from lumen.config import Settings, get_settings
from lumen.db.engine import engine
from lumen.errors import LumenError
from lumen.vocabulary import station_codes

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def safe(text: object) -> str:
    """Text from data (a station's name, a rule's label) for Markdown: HTML-escaped, then every
    Markdown mark backslashed, so `<script>` and `[x](javascript:…)` are shown, never run."""
    return _MARKDOWN.sub(r"\\\1", html.escape(str(text), quote=False))


def label(text: object) -> str:
    """Text from data for a matplotlib label: `$` would start mathtext (and a malformed one fails the plot)."""
    return str(text).replace("$", r"\$")


def table(frame: pd.DataFrame, precision: int = 1):
    """A DataFrame for the report: every cell HTML-escaped (pandas' Styler escapes nothing by default)."""
    return frame.style.hide(axis="index").format(precision=precision, escape="html")


@dataclass
class ReportData:
    stations: list[str]
    start: str
    end: str
    daily: pd.DataFrame
    latest: pd.DataFrame
    quality: pd.DataFrame
    names: dict[str, str]
    forecast: pd.DataFrame  # next-hour forecasts whose target hour was observed: predicted, band, observed
    skill: pd.DataFrame  # per station: forecasts, MAE of the model and of persistence, interval coverage
    alerts: pd.DataFrame  # alert episodes that touched the window (INMET criteria exceeded in the data)


def load(stations: str, start: str, end: str, settings: Settings | None = None) -> ReportData:
    codes = station_codes(stations)
    eng = engine("reader", settings or get_settings())
    params = {"codes": codes, "start": start, "end": end}
    with eng.connect() as conn:
        if not codes:  # every station with data in the window
            params["codes"] = codes = list(
                conn.execute(
                    text(
                        "SELECT DISTINCT station_code FROM analytics.daily_station_summary "
                        "WHERE local_date BETWEEN :start AND :end ORDER BY 1"
                    ),
                    params,
                ).scalars()
            )
        daily = pd.read_sql_query(
            text(
                "SELECT * FROM analytics.daily_station_summary WHERE station_code = ANY(:codes) "
                "AND local_date BETWEEN :start AND :end ORDER BY station_code, local_date"
            ),
            conn,
            params=params,
        )
        latest = pd.read_sql_query(text(_LATEST), conn, params=params)
        quality = pd.read_sql_query(
            text(
                "SELECT station_code, count(*) AS days, round(avg(completeness_pct)::numeric, 1) AS completeness_pct, "
                "sum(hours_quarantined) AS hours_quarantined FROM analytics.data_quality_daily "
                "WHERE station_code = ANY(:codes) AND local_date BETWEEN :start AND :end GROUP BY 1 ORDER BY 1"
            ),
            conn,
            params=params,
        )
        forecast, skill = _forecasts(conn, params)
        alerts = _alerts(conn, params)
        cleaned = (
            0
            if not daily.empty
            else conn.execute(
                text(
                    "SELECT count(*) FROM processed_data.observations WHERE local_date BETWEEN :start AND :end "
                    "AND (cardinality(CAST(:codes AS text[])) = 0 OR station_code = ANY(:codes))"
                ),
                {**params, "codes": station_codes(stations)},
            ).scalar_one()
        )
    eng.dispose()
    if daily.empty:
        who = ", ".join(station_codes(stations)) or "any station"
        if cleaned:  # cleaned, not yet published: the report reads the analytics publish builds
            raise LumenError(
                f"processed_data holds {cleaned:,} hours of {who} between {start} and {end}, but the analytics are "
                f"not built for them yet: `lumen step publish -p start={start} -p end={end} --last` builds them "
                "(the pipeline's publish step does it), then run the report again"
            )
        raise LumenError(
            f"no processed data for {who} between {start} and {end}: load it and clean it first "
            f"(`lumen ingest archive …`, then `lumen clean --start {start} --end {end}`), or run the pipeline"
        )
    names = dict(zip(latest["station_code"], latest["name"], strict=False))
    return ReportData(codes, start, end, daily, latest, quality, names, forecast, skill, alerts)


# Each station's last hour up to the window's end (the end of its local day `end`), and how many hours
# before that end it came: the report is about its window, not about now (the dashboards' latest_readings).
_LATEST = """
SELECT s.station_code, s.name, s.uf, o.observed_at, o.air_temp_c, o.rel_humidity_pct, o.precip_mm, o.wind_speed_ms,
       round((extract(epoch FROM (CAST(:end AS date) + 1)::timestamp AT TIME ZONE z.zone) - extract(epoch FROM
             o.observed_at))::numeric / 3600, 1)::float8 AS hours_before_window_end
FROM processed_data.stations s
CROSS JOIN LATERAL (SELECT coalesce(s.time_zone, 'America/Sao_Paulo') AS zone) z
JOIN LATERAL (
    SELECT * FROM processed_data.observations x
    WHERE x.station_code = s.station_code AND x.observed_at <= (CAST(:end AS date) + 1)::timestamp AT TIME ZONE z.zone
    ORDER BY x.observed_at DESC LIMIT 1
) o ON true
WHERE s.station_code = ANY(:codes) ORDER BY 1
"""

ALERTS_SHOWN = 20  # the report's table; `lumen alerts list` has them all


def alerts_table(data: ReportData) -> pd.DataFrame:
    """The most severe episodes first (red, orange, yellow; then the highest peak), at most ALERTS_SHOWN."""
    rank = data.alerts["level"].map({"red": 0, "orange": 1, "yellow": 2}).fillna(3)
    worst = data.alerts.assign(_rank=rank).sort_values(["_rank", "peak"], ascending=[True, False], kind="stable")
    return worst.drop(columns="_rank").head(ALERTS_SHOWN)


def _alerts(conn, params: dict) -> pd.DataFrame:
    """Alert episodes overlapping the window's local days (each station's zone), oldest first."""
    zone = "coalesce(s.time_zone, 'America/Sao_Paulo')"
    return pd.read_sql_query(
        text(
            "SELECT e.station_code, e.rule_name AS alert, e.level, "
            f"to_char(e.started_at AT TIME ZONE {zone}, 'YYYY-MM-DD HH24:MI') AS started_local, "
            "round(e.peak_value::numeric, 1) AS peak, e.unit, e.status "
            "FROM analytics.alert_events e LEFT JOIN processed_data.stations s USING (station_code) "
            "WHERE e.station_code = ANY(:codes) AND e.status <> 'withdrawn' "
            f"AND (e.started_at AT TIME ZONE {zone})::date <= CAST(:end AS date) "
            f"AND ((e.last_exceeded_at - interval '1 microsecond') AT TIME ZONE {zone})::date >= CAST(:start AS date) "
            "ORDER BY e.started_at, e.station_code"
        ),
        conn,
        params=params,
    )


def _forecasts(conn, params: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The window's forecasts next to what was then observed, and the skill per station."""
    forecast = pd.read_sql_query(
        text(
            "SELECT f.station_code, f.target_at, f.predicted_c, f.p10_c, f.p90_c, o.air_temp_c AS observed_c, "
            "f.model_name, f.model_version FROM analytics.temperature_forecast f "
            "LEFT JOIN processed_data.observations o "
            "ON o.station_code = f.station_code AND o.observed_at = f.target_at "
            "WHERE f.station_code = ANY(:codes) AND f.target_at >= CAST(:start AS date) "
            "AND f.target_at < CAST(:end AS date) + 1 ORDER BY 1, 2"
        ),
        conn,
        params=params,
    )
    skill = pd.read_sql_query(
        text(
            "SELECT station_code, sum(n_forecasts) AS forecasts, "
            "round((sum(mae_model_c * n_forecasts) / sum(n_forecasts))::numeric, 2) AS mae_model_c, "
            "round((sum(mae_persistence_c * n_forecasts) / sum(n_forecasts))::numeric, 2) AS mae_persistence_c, "
            "round((100 * sum(coverage_10_90 * n_forecasts) / sum(n_forecasts))::numeric, 0) AS coverage_10_90_pct "
            "FROM analytics.forecast_skill WHERE station_code = ANY(:codes) AND local_date BETWEEN :start AND :end "
            "GROUP BY 1 ORDER BY 1"
        ),
        conn,
        params=params,
    )
    return forecast, skill


def forecast_text(data: ReportData) -> str:
    if data.forecast.empty:
        return (
            "No next-hour forecasts for these stations and days yet: a model is trained by the daily "
            "`forecast_train` pipeline (or `lumen forecast train`), and the hourly run forecasts from it."
        )
    models = sorted(
        {f"{safe(n)} v{v}" for n, v in zip(data.forecast["model_name"], data.forecast["model_version"], strict=True)}
    )
    demo = (
        " — the demo's small model, trained on 2½ weeks of the generated sample"
        if any("demo" in m for m in models)
        else ""
    )
    return (
        f"Air temperature one hour ahead, by {', '.join(models)}{demo}, with its 10–90 % interval, against "
        "what was then observed. The table compares its mean absolute error with persistence (the next "
        "hour = the last observed hour)."
    )


def alerts_text(data: ReportData) -> str:
    """What the alerts section says: how many episodes, by level, and that they are not INMET's warnings."""
    note = (
        "Exceedances of INMET's warning criteria (`alerts/rules.yml`) found in these stations' data — "
        "not INMET's official warnings, which are forecasts by its meteorologists."
    )
    if data.alerts.empty:
        return f"No alert episode in these days. {note}"
    levels = data.alerts["level"].value_counts()
    counts = ", ".join(f"{levels[lv]} {lv}" for lv in ("red", "orange", "yellow") if lv in levels)
    shown = ""
    if len(data.alerts) > ALERTS_SHOWN:
        shown = (
            f" The table shows the {ALERTS_SHOWN} most severe of {len(data.alerts)}; all of them: "
            f"`lumen alerts list --station {','.join(data.stations)} --limit 0`."
        )
    return f"{len(data.alerts)} episode(s) ({counts}); start times are local.{shown} {note}"


def forecast_figure(data: ReportData, most: int = 4):
    """Forecast (line and 10–90 % band) against the observation, one panel per station (the first `most`)."""
    import matplotlib.pyplot as plt

    codes = list(dict.fromkeys(data.forecast["station_code"]))[:most]
    fig, axes = plt.subplots(len(codes), 1, figsize=(10, 2.4 * len(codes)), sharex=True, squeeze=False)
    for ax, code in zip(axes[:, 0], codes, strict=True):
        f = data.forecast[data.forecast["station_code"] == code]
        ax.fill_between(f["target_at"], f["p10_c"], f["p90_c"], alpha=0.25, label="10–90 %")
        ax.plot(f["target_at"], f["predicted_c"], lw=1.2, label="forecast")
        ax.plot(f["target_at"], f["observed_c"], "k.", ms=2.5, label="observed")
        ax.set_ylabel("°C")
        ax.set_title(label(data.names.get(code, code)), fontsize=9)
    axes[0, 0].legend(fontsize=7, ncol=3, loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def narrative(data: ReportData) -> str:
    d = data.daily
    lines = [
        f"Between **{data.start}** and **{data.end}**, {len(data.stations)} station(s) reported "
        f"{int(d['hours_with_data'].sum()):,} hours of data."
    ]
    if d["air_temp_max_c"].notna().any():
        hottest = d.loc[d["air_temp_max_c"].idxmax()]
        lines.append(
            f"The highest temperature was **{hottest['air_temp_max_c']:.1f} °C** at "
            f"{safe(data.names.get(hottest['station_code'], hottest['station_code']))} on {hottest['local_date']}."
        )
    rain = d.dropna(subset=["precip_total_mm"])
    if not rain.empty:
        wettest = rain.groupby("station_code")["precip_total_mm"].sum().sort_values(ascending=False)
        lines.append(
            f"The wettest station was **{safe(data.names.get(wettest.index[0], wettest.index[0]))}** with "
            f"{wettest.iloc[0]:.1f} mm over its days with a complete rain total."
        )
    lines.append(f"Average completeness: {d['completeness_pct'].mean():.1f} % of the hours.")
    lines.append(missing_text(data))
    return "\n\n".join(line for line in lines if line)


def missing_text(data: ReportData) -> str:
    """How many daily values the completeness rules left out, and why (docs/analytics.md)."""
    d = data.daily
    no_mean, no_rain = int(d["air_temp_mean_c"].isna().sum()), int(d["precip_total_mm"].isna().sum())
    if not no_mean and not no_rain:
        return "Every station-day has its mean temperature and its rain total."
    return (
        f"{no_mean} of {len(d)} station-days have no daily mean temperature and {no_rain} no rain total: a daily "
        "mean needs 20 valid hours with no gap over 3 h, a rain total every hour of the day (WMO-style "
        "completeness: a mean of the hours that happen to exist would be biased). The band under the "
        "temperature plot shows each day's valid hours."
    )


def show(fig) -> None:
    """Display a figure once as an image in the notebook (and so in the HTML), then free it."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    display(fig)
    plt.close(fig)


def temperature_figure(data: ReportData):
    """Daily mean and min–max band (gaps where a day fails its completeness rule), and under it each
    day's valid temperature hours against the 20 a daily value needs."""
    import matplotlib.pyplot as plt

    fig, (ax, band) = plt.subplots(2, 1, figsize=(10, 5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    for code, group in data.daily.groupby("station_code"):
        name = label(data.names.get(code, code))
        (line,) = ax.plot(group["local_date"], group["air_temp_mean_c"], marker=".", label=f"{name} (mean)")
        ax.fill_between(group["local_date"], group["air_temp_min_c"], group["air_temp_max_c"], alpha=0.15)
        band.plot(group["local_date"], group["air_temp_valid_hours"], drawstyle="steps-mid", color=line.get_color())
    band.axhline(20, color="k", lw=0.8, ls="--")
    band.set_ylim(0, 25.5)
    band.set_ylabel("valid h")
    band.set_title("Hours with a temperature (a daily value needs 20, no gap over 3 h)", fontsize=8)
    ax.set_ylabel("°C")
    ax.set_title("Daily air temperature: mean, and min–max band (gaps: incomplete days)")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def rain_figure(data: ReportData):
    import matplotlib.pyplot as plt

    pivot = data.daily.pivot_table(index="local_date", columns="station_code", values="precip_total_mm", aggfunc="sum")
    fig, ax = plt.subplots(figsize=(10, 3.5))
    pivot.rename(columns={code: label(name) for code, name in data.names.items()}).plot.bar(ax=ax, width=0.8)
    ax.set_ylabel("mm")
    ax.set_xlabel("")
    ax.set_title("Daily rain")
    ax.legend(fontsize=7, ncol=2, loc="upper left", title=None)
    ax.set_xticklabels([str(d) for d in pivot.index], rotation=60, fontsize=7)
    fig.tight_layout()
    return fig
