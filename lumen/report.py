"""The weather report's data and figures (the notebook notebooks/reports/weather_report.ipynb stays thin).

Reads analytics and processed_data as lumen_reader. `run()` executes the notebook with
Papermill and converts it with nbconvert into HTML without code cells: the dashboard
for machines without Docker (and so without Metabase).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import text

from lumen.config import Settings, get_settings
from lumen.db.engine import engine
from lumen.errors import LumenError
from lumen.inmet.schema import station_codes


@dataclass
class ReportData:
    stations: list[str]
    start: str
    end: str
    daily: pd.DataFrame
    latest: pd.DataFrame
    quality: pd.DataFrame
    names: dict[str, str]


def load(stations: str, start: str, end: str, settings: Settings | None = None) -> ReportData:
    codes = station_codes(stations)
    eng = engine("reader", settings or get_settings())
    params = {"codes": codes, "start": start, "end": end}
    with eng.connect() as conn:
        if not codes:  # every station with data in the window
            params["codes"] = codes = list(conn.execute(text(
                "SELECT DISTINCT station_code FROM analytics.daily_station_summary "
                "WHERE local_date BETWEEN :start AND :end ORDER BY 1"
            ), params).scalars())  # fmt: skip
        daily = pd.read_sql_query(
            text(
                "SELECT * FROM analytics.daily_station_summary WHERE station_code = ANY(:codes) "
                "AND local_date BETWEEN :start AND :end ORDER BY station_code, local_date"
            ),
            conn,
            params=params,
        )
        latest = pd.read_sql_query(
            text(
                "SELECT station_code, name, uf, observed_at, air_temp_c, rel_humidity_pct, precip_mm, wind_speed_ms, "
                "hours_since_last_data FROM analytics.latest_readings WHERE station_code = ANY(:codes) ORDER BY 1"
            ),
            conn,
            params=params,
        )
        quality = pd.read_sql_query(
            text(
                "SELECT station_code, count(*) AS days, round(avg(completeness_pct)::numeric, 1) AS completeness_pct, "
                "sum(hours_quarantined) AS hours_quarantined FROM analytics.data_quality_daily "
                "WHERE station_code = ANY(:codes) AND local_date BETWEEN :start AND :end GROUP BY 1 ORDER BY 1"
            ),
            conn,
            params=params,
        )
    eng.dispose()
    if daily.empty:
        raise LumenError(f"no processed data for {', '.join(codes) or 'any station'} between {start} and {end}")
    names = dict(zip(latest["station_code"], latest["name"], strict=False))
    return ReportData(codes, start, end, daily, latest, quality, names)


def narrative(data: ReportData) -> str:
    d = data.daily
    hottest = d.loc[d["air_temp_max_c"].idxmax()]
    wettest = d.groupby("station_code")["precip_total_mm"].sum().sort_values(ascending=False)
    lines = [
        f"Between **{data.start}** and **{data.end}**, {len(data.stations)} station(s) reported "
        f"{int(d['hours_with_data'].sum()):,} hours of data.",
        f"The highest temperature was **{hottest['air_temp_max_c']:.1f} °C** at "
        f"{data.names.get(hottest['station_code'], hottest['station_code'])} on {hottest['local_date']}.",
        f"The wettest station was **{data.names.get(wettest.index[0], wettest.index[0])}** with "
        f"{wettest.iloc[0]:.1f} mm in the period.",
        f"Average completeness: {d['completeness_pct'].mean():.1f} % of the hours.",
    ]
    return "\n\n".join(lines)


def show(fig) -> None:
    """Display a figure once as an image in the notebook (and so in the HTML), then free it."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    display(fig)
    plt.close(fig)


def temperature_figure(data: ReportData):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4))
    for code, group in data.daily.groupby("station_code"):
        label = data.names.get(code, code)
        ax.plot(group["local_date"], group["air_temp_mean_c"], label=f"{label} (mean)")
        ax.fill_between(group["local_date"], group["air_temp_min_c"], group["air_temp_max_c"], alpha=0.15)
    ax.set_ylabel("°C")
    ax.set_title("Daily air temperature: mean, and min–max band")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    return fig


def rain_figure(data: ReportData):
    import matplotlib.pyplot as plt

    pivot = data.daily.pivot_table(index="local_date", columns="station_code", values="precip_total_mm", aggfunc="sum")
    fig, ax = plt.subplots(figsize=(10, 3.5))
    pivot.rename(columns=data.names).plot.bar(ax=ax, width=0.8)
    ax.set_ylabel("mm")
    ax.set_xlabel("")
    ax.set_title("Daily rain")
    ax.legend(fontsize=7, ncol=2, loc="upper left", title=None)
    ax.set_xticklabels([str(d) for d in pivot.index], rotation=60, fontsize=7)
    fig.tight_layout()
    return fig
