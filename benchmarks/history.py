"""History mode of the bench (`--years N`): N consecutive years × 600 stations, each loaded as a user
loads a year (`lumen pipeline run backfill` of that year's ZIP, through Mage), and what grows with them.

Per year: the backfill's wall time, each step's time (ops.step_runs: notebook and kernel included)
and own work (the step's result), the alert evaluation inside publish, rows/s, the peak RSS of the
whole process tree (Mage, steps, kernels; PostgreSQL's own processes not counted), and the disk
each schema gained. After the last year: the two floors (the same Mage pipeline with notebooks
that only import lumen; `\\copy` of the year's CSV plus a bare INSERT…SELECT with casts), the
hourly run with all that history, a full analytics rebuild and GX over one year.

Forecast training is not repeated per year: the daily `forecast_train` reads the last two years
whatever the history holds, so its cost does not grow with it (the one-year bench measures it).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import psycopg

from benchmarks.sampling import run_sampled
from lumen.sample import era_of, scale_members

SCHEMAS = ("raw_data", "processed_data", "analytics", "ops")
STEPS = ("ingest", "clean", "validate", "publish")


def years_for(n: int) -> list[int]:
    """N consecutive years that mix INMET's three archive eras (≤2018, 2019, 2020+) when N ≥ 3,
    ending no later than 2025: 5 → 2017–2021, 25 → 2001–2025."""
    first = min(2017, 2026 - n)
    return list(range(first, first + n))


def write_year_zip(folder: Path, year: int, stations: int) -> tuple[Path, int, Path, int]:
    """INMET's yearly ZIP for the year (`{year}/INMET_…CSV` members, in the year's era), the CSV bytes it
    holds, the same rows without their header lines in one file (for the `\\copy` floor), and their count."""
    folder.mkdir(parents=True, exist_ok=True)
    path, body_path, size, rows = folder / f"{year}.zip", folder / f"{year}_rows.txt", 0, 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, body_path.open("wb") as body:
        for name, data in scale_members(stations, year):
            zf.writestr(f"{year}/{name}", data)
            lines = data.split(b"\n", 9)[9]
            body.write(lines)
            size, rows = size + len(data), rows + lines.count(b"\n")
    return path, size, body_path, rows


def disk_bytes(url: str) -> dict[str, dict[str, int]]:
    """Per schema: its tables' bytes (TOAST included) and its indexes' bytes."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT n.nspname, sum(pg_table_size(c.oid))::bigint, sum(pg_indexes_size(c.oid))::bigint "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'm') AND n.nspname = ANY(%s) GROUP BY 1",
            [list(SCHEMAS)],
        ).fetchall()
    got = {name: {"table_bytes": t, "index_bytes": i} for name, t, i in rows}
    return {name: got.get(name, {"table_bytes": 0, "index_bytes": 0}) for name in SCHEMAS}


def grown(before: dict, after: dict) -> dict[str, int]:
    return {s: sum(after[s].values()) - sum(before[s].values()) for s in SCHEMAS}


def step_figures(url: str, home: Path, since: datetime) -> tuple[dict, dict, float, int]:
    """(each step's seconds from ops.step_runs, each step's own work from its result, publish's
    alert evaluation seconds, the rows ingest read) for the backfill run started after `since`."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT step, extract(epoch FROM finished_at - started_at)::float8, run_id, rows_in FROM ops.step_runs "
            "WHERE run_id LIKE 'backfill-%%' AND started_at >= %s AND status = 'succeeded' ORDER BY started_at",
            [since],
        ).fetchall()
    walls, work, alerts_s, ingested = {}, {}, 0.0, 0
    for step, seconds, run_id, rows_in in rows:
        walls[step] = walls.get(step, 0.0) + seconds
        ingested += rows_in if step == "ingest" else 0
        for result in home.glob(f"runs/*/{run_id}/*_{step}.result.json"):
            done = json.loads(result.read_text())
            work[step] = round(done.get("seconds", 0.0), 2)
            if step == "publish":
                alerts_s = (done.get("alerts") or {}).get("evaluate_s", 0.0)
    return walls, work, alerts_s, ingested


def floor_home(work: Path, project_copy: Callable[[Path], Path]) -> Path:
    """A project home whose step notebooks only import lumen and hand back an empty result: the
    same pipelines, Mage blocks, `lumen step`, Papermill and kernels, and no work."""
    home = project_copy(work / "floor")
    (home / "notebooks").unlink()
    for src in sorted(Path(__file__).resolve().parent.parent.glob("notebooks/pipeline/*.ipynb")):
        real = nbformat.read(src, as_version=4)
        nb = nbformat.v4.new_notebook(metadata=real.metadata)
        nb.cells = [real.cells[0], nbformat.v4.new_code_cell(
            "import lumen  # noqa: F401\nfrom lumen.run import tasks\n\n"
            "tasks.record(result_path, {'rows_in': 0, 'rows_out': 0, 'summary': 'floor'})"
        )]  # fmt: skip
        out = home / "notebooks" / "pipeline" / src.name
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)
    return home


def measure_floor(lumen: str, env: dict[str, str], home: Path, day: str, stations: list[str]) -> float:
    """The orchestration floor: the hourly pipeline's shape, run by `mage run`, with empty steps."""
    floor_env = {**env, "LUMEN_HOME": str(home), "LUMEN_STATE_DIR": str(home / ".lumen")}
    done, seconds, _ = run_sampled(
        [
            lumen,
            "pipeline",
            "run",
            "hourly",
            "--stations",
            ",".join(stations),
            "--start",
            f"{day}T00:00",
            "--end",
            f"{day}T01:00",
        ],
        floor_env,
    )
    if done.returncode != 0:
        raise SystemExit(f"the orchestration floor's run failed: {(done.stdout + done.stderr)[-2000:]}")
    return seconds


def backfill_year(lumen: str, env: dict[str, str], zip_path: Path, year: int) -> tuple[float, float]:
    """`lumen pipeline run backfill` of one year's ZIP, as a user runs it: (wall s, peak RSS MiB of the tree)."""
    cmd = [
        lumen,
        "pipeline",
        "run",
        "backfill",
        "--archive",
        str(zip_path),
        "--start",
        f"{year}-01-01",
        "--end",
        f"{year}-12-31",
    ]
    done, seconds, peak = run_sampled(cmd, env, every_s=0.2, tree=True)
    if done.returncode != 0:
        raise SystemExit(f"the backfill of {year} failed: {(done.stdout + done.stderr)[-3000:]}")
    return seconds, peak


def measure_history(n: int, stations: int, work: Path, bench: dict, log: Callable[[str], None]) -> dict:
    """The `history` object of latest.json. `bench` holds run.py's helpers (one home for each measure)."""
    years = years_for(n)
    shutil.rmtree(work, ignore_errors=True)
    settings, url = bench["settings"]()
    home = bench["project_copy"](work)
    env = {
        **bench["env_for"](settings),
        "LUMEN_HOME": str(home),
        "LUMEN_STATE_DIR": str(home / ".lumen"),
        "LUMEN_MAGE_BIN": str(bench["root"] / ".venv-mage/bin/mage"),
    }
    per_year, disk_years, body = [], [], None
    before = disk_bytes(url)
    for i, year in enumerate(years, start=1):
        log(f"year {i}/{n}: {year} ({era_of(year)} era), {stations} stations: writing its ZIP")
        zip_path, csv_bytes, body, body_rows = write_year_zip(work / "zips", year, stations)
        since = datetime.now(UTC) - timedelta(seconds=1)
        wall, peak = backfill_year(bench["lumen"], env, zip_path, year)
        walls, own, alerts_s, rows = step_figures(url, home, since)
        after = disk_bytes(url)
        entry = {"year": year, **{f"{s}_s": round(walls.get(s, float("nan")), 2) for s in STEPS},
                 "total_s": round(wall, 2), "steps_own_work_s": own, "alerts_s": round(alerts_s, 2),
                 "rows": rows, "rows_per_s": round(rows / wall), "peak_rss_mib": round(peak)}  # fmt: skip
        per_year.append(entry)
        disk_years.append({"year": year, "csv_bytes": csv_bytes, **grown(before, after)})
        before = after
        log(
            f"    {wall:.1f} s ("
            + ", ".join(f"{s} {entry[f'{s}_s']}" for s in STEPS)
            + f"; alerts {alerts_s:.1f}), {rows:,} rows, peak RSS {peak:.0f} MiB; disk +"
            + ", ".join(f"{s} {disk_years[-1][s] / 2**20:.0f} MiB" for s in SCHEMAS)
            + f" for {csv_bytes / 2**20:.0f} MiB of CSV"
        )
        zip_path.unlink()
        if year != years[-1]:
            body.unlink()
    out: dict = {"years": years, "stations": stations, "per_year": per_year}
    last = years[-1]
    log(f"year floor: \\copy of {last}'s CSV, then a bare INSERT…SELECT with casts")
    copy_s = body_rows / bench["measure_copy"](url, body, body_rows)
    bare_s = bench["measure_bare"](settings, last)
    out.update(
        year_floor_copy_s=round(copy_s, 2), year_floor_insert_s=round(bare_s, 2), year_floor_s=round(copy_s + bare_s, 2)
    )
    log(f"    {copy_s:.1f} + {bare_s:.1f} s")
    day = f"{last + 1}-01-01"
    log("orchestration floor: the hourly pipeline with steps that only import lumen")
    out["orchestration_floor_s"] = round(
        measure_floor(bench["lumen"], env, floor_home(work, bench["project_copy"]), day, bench["hourly_codes"]), 2
    )
    log(f"    {out['orchestration_floor_s']} s")
    log(f"hourly run via mage run with {n} years of history")
    with bench["mlflow_for"](settings, home / ".lumen") as ml:
        hourly, steps = bench["measure_hourly"](ml, home, day=day)
    out.update(hourly_mage_run_s=round(hourly, 2), hourly_steps_s=steps)
    log(f"    {hourly:.1f} s; per step {steps}")
    log("full analytics rebuild (dbt build --full-refresh over every year)")
    from lumen.publish import analytics

    start = time.perf_counter()
    analytics.build(settings, full_refresh=True)
    out["full_analytics_rebuild_s"] = round(time.perf_counter() - start, 2)
    log(f"    {out['full_analytics_rebuild_s']} s")
    log(f"Great Expectations over {last}")
    _, gx_s = bench["measure_gx"](settings, last, home)
    out["gx_year_s"] = round(gx_s, 2)
    log(f"    {gx_s:.1f} s")
    out["disk_bytes"] = {"per_schema": disk_bytes(url), "per_year": disk_years}
    out["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    out["machine"] = f"{os.uname().machine}, {os.cpu_count()} cores"
    return out


def run_history(n: int, stations: int, work: Path, bench: dict) -> None:
    """Measure, then write latest.json's `history` (the one-year figures kept beside it), latest.md and
    history.png in benchmarks/results/."""
    from benchmarks import history_report

    hist = measure_history(n, stations, work, bench, bench["log"])
    out_dir = bench["root"] / "benchmarks" / "results"
    latest = out_dir / "latest.json"
    results = json.loads(latest.read_text()) if latest.exists() else {}
    results["history"] = hist
    latest.write_text(json.dumps(results, indent=2) + "\n")
    history_report.plot(hist, out_dir / "history.png")
    one_year = bench["table"](results) + "\n" if "copy_rows_per_s" in results else ""
    (out_dir / "latest.md").write_text(one_year + history_report.table(hist))
    print()
    print(history_report.table(hist))
