"""The history mode's targets, table (benchmarks/results/latest.md, after the one-year table) and plot
(benchmarks/results/history.png: each year's cost against the years already loaded)."""

from __future__ import annotations

from pathlib import Path

STEPS = ("ingest", "clean", "validate", "publish")


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def targets(h: dict) -> list[tuple[str, float, str, bool]]:
    """(figure, measured, target, met) — the ratios are what holds across machines."""
    years = h["per_year"]
    first, worst = years[0]["total_s"], max(y["total_s"] for y in years)
    csv = sum(y["csv_bytes"] for y in h["disk_bytes"]["per_year"])
    kept = sum(y["raw_data"] + y["processed_data"] for y in h["disk_bytes"]["per_year"])
    there = h["year_floor_copy_s"] <= 5  # the machine the targets in seconds are stated for
    out = [  # (figure, measured, target, its check: None where there is nothing to judge)
        ("a year's backfill, worst year ÷ year floor", _ratio(worst, h["year_floor_s"]), "≤ 1.5",
         lambda v: v <= 1.5),
        ("a year's backfill, slowest year ÷ first year", _ratio(worst, first), "≤ 1.2", lambda v: v <= 1.2),
        ("a year's backfill, slowest year (s)", worst, "< 60 where `\\copy` of a year takes ≤ 5 s",
         (lambda v: v < 60) if there else None),
        ("hourly run with the history ÷ orchestration floor", _ratio(h["hourly_mage_run_s"],
                                                                    h["orchestration_floor_s"]), "≤ 1.5",
         lambda v: v <= 1.5),
        ("hourly run with the history (s)", h["hourly_mage_run_s"], "< 30 there",
         (lambda v: v < 30) if there else None),
        ("GX over one year with the history (s)", h["gx_year_s"], "flat: as in the one-year bench", None),
        ("raw + processed (tables and indexes) ÷ CSV bytes", _ratio(kept, csv), "≤ 2", lambda v: v <= 2),
    ]  # fmt: skip
    return [(name, v, t, check(v) if check else None) for name, v, t, check in out]


def table(h: dict) -> str:
    n = len(h["years"])
    lines = [f"## History: {n} years × {h['stations']} stations ({h['years'][0]}–{h['years'][-1]}), "
             f"measured {h['measured_at']} on {h['machine']} (`\\copy` of a year: {h['year_floor_copy_s']:g} s)", "",
             "| figure | measured | target | |", "|---|---|---|---|"]  # fmt: skip
    for name, v, target, ok in targets(h):
        verdict = "" if ok is None else "met" if ok else "NOT met"
        lines.append(f"| {name} | {v:,.2f} | {target} | {verdict} |")
    lines += [
        "",
        "| year | years loaded before | ingest s | clean s | validate s | publish s (alerts) | total s "
        "| rows/s | peak RSS MiB | disk raw / processed / analytics MiB | CSV MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, (y, d) in enumerate(zip(h["per_year"], h["disk_bytes"]["per_year"], strict=True)):
        mib = " / ".join(f"{d[s] / 2**20:,.0f}" for s in ("raw_data", "processed_data", "analytics"))
        lines.append(
            f"| {y['year']} | {i} | {y['ingest_s']:g} | {y['clean_s']:g} | {y['validate_s']:g} | "
            f"{y['publish_s']:g} ({y['alerts_s']:g}) | {y['total_s']:g} | {y['rows_per_s']:,} | "
            f"{y['peak_rss_mib']:,} | {mib} | {d['csv_bytes'] / 2**20:,.0f} |"
        )
    lines += [
        "",
        f"Floors: year {h['year_floor_s']:g} s (`\\copy` {h['year_floor_copy_s']:g} s + bare INSERT…SELECT "
        f"{h['year_floor_insert_s']:g} s); orchestration {h['orchestration_floor_s']:g} s. Hourly run "
        f"{h['hourly_mage_run_s']:g} s (per step: "
        + ", ".join(f"{k} {v:g}" for k, v in h["hourly_steps_s"].items())
        + "). "
        f"Full analytics rebuild {h['full_analytics_rebuild_s']:g} s; GX of {h['years'][-1]} "
        f"{h['gx_year_s']:g} s.",
        "",
        "Disk at the end (tables + indexes): "
        + ", ".join(
            f"{s} {(v['table_bytes'] + v['index_bytes']) / 2**20:,.0f} MiB (indexes {v['index_bytes'] / 2**20:,.0f})"
            for s, v in h["disk_bytes"]["per_schema"].items()
        ),
    ]
    return "\n".join(lines) + "\n"


def plot(h: dict, path: Path) -> None:
    """Each year's backfill, step by step, against the years loaded before it; the year floor as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    years = h["per_year"]
    x = list(range(len(years)))
    fig, ax = plt.subplots(figsize=(11, 4.5))
    bottom = [0.0] * len(years)
    for step in STEPS:
        values = [y[f"{step}_s"] for y in years]
        ax.bar(x, values, bottom=bottom, label=step)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.plot(x, [y["total_s"] for y in years], "k.-", label="backfill wall time (Mage start-up included)")
    ax.axhline(h["year_floor_s"], color="grey", ls="--", label="year floor (\\copy + bare INSERT…SELECT)")
    ax.axhline(1.5 * h["year_floor_s"], color="red", ls=":", label="1.5 × year floor")
    ax.set_xticks(x, [f"{y['year']}\n({i} before)" for i, y in enumerate(years)])
    ax.set_ylabel("seconds")
    ax.set_title(f"A year's backfill ({h['stations']} stations) as history grows — {h['machine']}")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
