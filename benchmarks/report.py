"""The bench's targets and its results table (benchmarks/results/latest.md)."""

from __future__ import annotations

TARGETS = [  # (figure, how to compute it from the results, target text, met?)
    ("ingest rows/s ÷ `\\copy` rows/s", lambda r: r["ingest_rows_per_s"] / r["copy_rows_per_s"], "≥ 0.5",
     lambda v: v >= 0.5),
    ("ingest rows/s ÷ `\\copy` of rewritten rows into one keyed table (file-by-file bound, extra)",
     lambda r: r["ingest_rows_per_s"] / r["keyed_copy_rows_per_s"], "—", lambda v: True),
    ("ingest rows/s ÷ naive read_csv+to_sql rows/s", lambda r: r["ingest_rows_per_s"] / r["naive_rows_per_s"], "≥ 30",
     lambda v: v >= 30),
    ("peak RSS during the ingest (MiB)", lambda r: r["ingest_peak_rss_mib"], "< 1024", lambda v: v < 1024),
    ("clean+checks time ÷ bare INSERT…SELECT time", lambda r: r["clean_s"] / r["bare_insert_select_s"], "≤ 1.5",
     lambda v: v <= 1.5),
    ("GX validation of the year (s)", lambda r: r["gx_year_s"], "< 30", lambda v: v < 30),
    ("hourly run via mage run (s)", lambda r: r["hourly_mage_run_s"], "< 30", lambda v: v < 30),
    ("full analytics rebuild: dbt ÷ the plpgsql refresh it replaced", lambda r: r["full_analytics_rebuild_s"]
     / r["plpgsql_refresh_s"], "≤ 1.5", lambda v: v <= 1.5),
    ("alert rules over the year × 600 stations (s)", lambda r: r["alert_year_s"], "< 10", lambda v: v < 10),
    ("alert rules over one hour, the year loaded (s)", lambda r: r["alert_hour_s"], "< 0.5", lambda v: v < 0.5),
    ("forecast training on the year × 600 stations (s)", lambda r: r["train_s"], "< 180", lambda v: v < 180),
    ("peak RSS of that training (MiB)", lambda r: r["train_peak_rss_mib"], "< 4096", lambda v: v < 4096),
    ("forecast step's own work, one hour × 600 stations (s)", lambda r: r["predict_hour_s"], "< 2",
     lambda v: v < 2),
    ("time per row at the largest ÷ at the smallest scale", lambda r: r["scaling_ratio"], "≤ 1.2", lambda v: v <= 1.2),
]  # fmt: skip


def table(results: dict) -> str:
    lines = [f"Measured {results['measured_at']} on {results['machine']} — {results['rows']:,} rows "
             f"({results['stations']} stations × 1 year, 2020+ archive format).", "",
             "| figure | measured | target | |", "|---|---|---|---|"]  # fmt: skip
    for name, value, target, ok in TARGETS:
        try:
            v = value(results)
        except (KeyError, ZeroDivisionError, TypeError):
            lines.append(f"| {name} | not measured | {target} | |")
            continue
        if v != v:  # NaN: the measurement failed
            lines.append(f"| {name} | failed | {target} | |")
            continue
        verdict = "" if target == "—" else ("met" if ok(v) else "NOT met")
        lines.append(f"| {name} | {v:,.2f} | {target} | {verdict} |")
    raw = ("copy_rows_per_s", "keyed_copy_rows_per_s", "naive_rows_per_s", "ingest_rows_per_s",
           "ingest_peak_rss_mib", "clean_s", "bare_insert_select_s", "full_analytics_rebuild_s", "dbt_startup_s",
           "plpgsql_refresh_s", "gx_import_s", "gx_year_s", "train_s", "train_peak_rss_mib", "predict_hour_cold_s",
           "predict_hour_s", "hourly_mage_run_s", "alert_year_s", "alert_hour_s")  # fmt: skip
    lines += ["", "Raw measures: " + ", ".join(f"`{k}` = {results[k]:,.2f}" for k in raw if k in results)]
    if results.get("train_summary"):
        lines += ["", f"Training: {results['train_summary']}"]
    if results.get("hourly_steps_s"):
        lines += [
            "",
            "Hourly run, seconds per step (besides Mage's own start-up): "
            + ", ".join(f"{k} {v:g}" for k, v in results["hourly_steps_s"].items()),
        ]
    if results.get("scaling"):
        lines += [
            "",
            "Scaling (rows: ingest s + clean s): "
            + "; ".join(f"{s['rows']:,}: {s['ingest_s']:g} + {s['clean_s']:g}" for s in results["scaling"]),
        ]
    return "\n".join(lines) + "\n"
