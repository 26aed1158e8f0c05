"""What each pipeline step does — the functions the step notebooks call.

Each returns a small dict of figures (`rows_in`, `rows_out`, `summary` …) that the
notebook shows and hands back to the step runner (`record`), which stores them in
ops.step_runs. Heavy imports (Great Expectations) happen only in the step that needs them.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lumen.config import get_settings
from lumen.db import connect
from lumen.inmet.schema import state_codes, station_codes
from lumen.window import parse_instant, parse_window


def ingest(run_id: str, source: str, start: str = "", end: str = "", stations: str = "", archive: str = "",
           uf: str = "", overlap_hours: int = 3) -> dict:  # fmt: skip
    """Archive (a year, ZIP, folder or CSV) or API (stations, from each watermark) → raw_data."""
    from lumen import ingest as loader

    settings = get_settings()
    t0 = time.monotonic()
    stats: list[loader.LoadStats] = []
    if source == "archive":
        from lumen.inmet import archive as reader

        path = Path(archive)
        if not path.exists() and archive.isdigit():
            from lumen.inmet.download import fetch_year

            path = fetch_year(
                settings.inmet_archive_url, int(archive), settings.root / "data" / "cache", progress=False
            )
        files = list(reader.list_files(path, station_codes(stations), state_codes(uf)))
        with connect("pipeline", settings) as conn:
            stats = loader.load_archive(conn, files, run_id)
    elif source == "api":
        from lumen.inmet.api import client_from_settings

        lo = parse_instant(start) if start else None
        hi = parse_instant(end, end=True) if end else None
        last = (hi - timedelta(microseconds=1) if hi else datetime.now(UTC)).date()
        client = client_from_settings(settings)
        with connect("pipeline", settings) as conn:
            station_list = client.stations("T")  # open route: keeps names, coordinates and status current
            loader.load_api_stations(conn, station_list, client.base_url + "/estacoes/T", run_id)
            stats = loader.ingest_api(conn, client, station_codes(stations), lo.date() if lo else None, last, run_id,
                                      overlap_hours)  # fmt: skip
    else:
        raise ValueError(f"source must be 'archive' or 'api', not {source!r}")
    total = loader.total(stats)
    return {
        "rows_in": total.rows,
        "rows_out": total.new + total.changed,
        "stations": len(loader.per_station(stats)),
        "summary": loader.summary_line(stats),
        "warning": "; ".join(total.warnings),
        "seconds": round(time.monotonic() - t0, 2),
    }


def clean(run_id: str, start: str, end: str, stations: str = "") -> dict:
    """raw_data → processed_data for the window; raises QualityError with the summary on bad rows."""
    from lumen import transform

    settings = get_settings()
    lo, hi = parse_window(start, end)
    t0 = time.monotonic()
    with connect("pipeline", settings) as conn:
        result = transform.clean(conn, lo, hi, run_id, station_codes(stations) or None, settings.on_invalid)
    return {
        "rows_in": result.raw_rows,
        "rows_out": result.new + result.changed + result.unchanged,
        "quarantined": result.bad_rows,
        "summary": result.line(),
        "warning": result.summary() if result.quarantined else "",
        "seconds": round(time.monotonic() - t0, 2),
    }


def validate(run_id: str, start: str, end: str) -> dict:
    """Great Expectations checkpoints over the window; raises ValidationFailed listing what failed."""
    from lumen import validation

    lo, hi = parse_window(start, end)
    t0 = time.monotonic()
    report = validation.validate(lo, hi, get_settings())
    if not report.success:
        raise validation.ValidationFailed("\n".join(["expectations failed:", *report.failures]))
    with connect("pipeline") as conn:
        rows = conn.execute(
            "SELECT count(*) FROM processed_data.observations WHERE observed_at >= %s AND observed_at < %s", (lo, hi)
        ).fetchone()[0]
    return {"rows_in": rows, "rows_out": rows, "expectations": report.evaluated, "summary": report.line(),
            "seconds": round(time.monotonic() - t0, 2)}  # fmt: skip


def publish(run_id: str, start: str = "", end: str = "") -> dict:
    """Rewrite the analytics tables for what the window can touch (no window: all of them).

    One transaction: readers keep seeing the previous figures until it commits."""
    lo, hi = parse_window(start, end) if start or end else (None, None)
    t0 = time.monotonic()
    with connect("pipeline") as conn:
        tables = conn.execute(
            "SELECT table_name, rows_written, row_count FROM analytics.refresh(%s, %s)", (lo, hi)
        ).fetchall()
        conn.commit()
    written = sum(w for _, w, _ in tables)
    scope = f"{start} … {end}" if lo else "everything"
    return {
        "rows_in": written,
        "rows_out": written,
        "tables": {t: {"written": w, "rows": n} for t, w, n in tables},
        "summary": f"analytics refreshed ({scope}): "
        + ", ".join(f"{t} {w:,} rows rewritten ({n:,} in all)" for t, w, n in tables),
        "seconds": round(time.monotonic() - t0, 2),
    }


def record(result_path: str, result: dict) -> None:
    """Hand the step's figures back to the runner (`lumen step`)."""
    if result_path:
        Path(result_path).write_text(json.dumps(result, default=str))
