"""LÚMEN's speed, measured side by side with PostgreSQL's own COPY and the naive pandas path.

    .venv/bin/python benchmarks/run.py              # one year × 600 stations (≈5.27M rows)
    .venv/bin/python benchmarks/run.py --rows 500000 --scaling 100000,200000   # a quick run

Everything runs in ONE process run, in a throw-away database `lumen_bench` on the
embedded server (or LUMEN_DATABASE_URL's server), so the ratios hold on a noisy
machine. Writes benchmarks/results/latest.json (raw measures) and latest.md (the
table with ratios and targets). Targets are printed as met / not met, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import psycopg
from psycopg import sql
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.alerts import measure_alerts  # noqa: E402
from benchmarks.analytics import measure_analytics  # noqa: E402
from benchmarks.baselines import measure_keyed_copy, measure_naive  # noqa: E402
from benchmarks.forecast import measure_predict, measure_training, mlflow_env, mlflow_for  # noqa: E402
from benchmarks.history_report import table as history_table  # noqa: E402
from benchmarks.report import table  # noqa: E402
from benchmarks.sampling import run_sampled  # noqa: E402
from lumen.config import get_settings  # noqa: E402
from lumen.db import engine as dbc  # noqa: E402
from lumen.db import server  # noqa: E402
from lumen.run.database import migrate  # noqa: E402
from lumen.sample import scale_files  # noqa: E402

LUMEN = str(Path(sys.executable).parent / "lumen")
HOURS = 8784  # rows per station-year in 2024
BENCH_DB = "lumen_bench"
REPEATS = 3  # the two measures the ingest ratio compares are taken 3 times each (medians): the machine is noisy


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", flush=True)


def bench_settings(fresh: bool = True):
    """Settings for the throw-away database, created (and migrated) anew."""
    base = get_settings()
    if base.database_url is None:
        server.up(base)
    admin = dbc.admin_conn(base)
    with psycopg.connect(replace(admin, dbname="postgres").url(), autocommit=True) as conn:
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    url = replace(admin, dbname=BENCH_DB).url()
    settings = base.model_copy(update={"database_url": SecretStr(url)})
    migrate(settings)
    return settings, url


def env_for(settings) -> dict[str, str]:
    env = {**os.environ, "LUMEN_DATABASE_URL": settings.database_url.get_secret_value(), **mlflow_env(settings)}
    for key, secret in (
        ("LUMEN_PIPELINE_PASSWORD", settings.pipeline_password),
        ("LUMEN_READER_PASSWORD", settings.reader_password),
    ):
        if secret is not None:
            env[key] = secret.get_secret_value()
    return env


def measure_copy(url: str, data_file: Path, rows: int) -> float:
    """The limit: psql \\copy of the same bytes into a text table."""
    with psycopg.connect(url, autocommit=True) as conn:
        cols = ", ".join(f"c{i} text" for i in range(20))
        conn.execute(f"DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy ({cols})")
    psql = str(server.bin_dir() / "psql")
    start = time.perf_counter()
    subprocess.run(
        [psql, url, "-qc", f"\\copy bench_copy FROM '{data_file}' WITH (FORMAT text, DELIMITER ';')"], check=True
    )
    seconds = time.perf_counter() - start
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM bench_copy").fetchone()[0] == rows
        conn.execute("DROP TABLE bench_copy")
    return rows / seconds


def measure_ingest(folder: Path, settings) -> tuple[float, float, int]:
    """LÚMEN's archive ingest into raw_data, as a user runs it: (seconds, peak RSS MiB, rows).

    The RSS is sampled every 50 ms on the `lumen` process itself (ru_maxrss of children would
    also count the psql processes of the other measures)."""
    done, seconds, peak = run_sampled([LUMEN, "ingest", "archive", str(folder)], env_for(settings))
    if done.returncode != 0:
        raise SystemExit(f"ingest failed: {done.stderr[-2000:]}")
    stdout = done.stdout
    rows = int(stdout.strip().splitlines()[-1].split("ingested ")[1].split(" rows")[0].replace(",", ""))
    return seconds, peak, rows


def measure_bare(settings, year: int) -> float:
    """The year floor's second half: a bare typed INSERT…SELECT of the year's raw rows into a keyed table."""
    from lumen.clean import transform
    from lumen.db import connect
    from lumen.inmet.schema import number_sql

    start_ts, end_ts = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    casts = ", ".join(number_sql(raw) for raw in transform.COLUMNS.values())
    with connect("admin", settings) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_bare")
        conn.execute("CREATE TABLE bench_bare (LIKE processed_data.observations INCLUDING ALL)")
        conn.commit()
        start = time.perf_counter()
        conn.execute(
            f"INSERT INTO bench_bare (station_code, observed_at, local_date, local_hour, source, "
            f"{', '.join(transform.COLUMNS)}, run_id) "
            f"SELECT station_code, observed_at, (observed_at AT TIME ZONE 'America/Sao_Paulo')::date, "
            f"extract(hour FROM observed_at AT TIME ZONE 'America/Sao_Paulo')::smallint, source, {casts}, 'bare' "
            "FROM raw_data.inmet_observations WHERE observed_at >= %s AND observed_at < %s",
            (start_ts, end_ts),
        )
        conn.commit()
        bare = time.perf_counter() - start
        conn.execute("DROP TABLE bench_bare")
        conn.commit()
    return bare


def measure_clean(settings, year: int) -> tuple[float, float]:
    """LÚMEN's clean + checks, and a bare typed INSERT…SELECT of the same rows into a keyed table."""
    from lumen.clean import transform
    from lumen.db import connect

    bare = measure_bare(settings, year)
    with connect("pipeline", settings) as conn:
        start = time.perf_counter()
        transform.clean(
            conn,
            datetime(year, 1, 1, tzinfo=UTC),
            datetime(year + 1, 1, 1, tzinfo=UTC),
            "bench-clean",
            on_invalid="quarantine",
        )
        clean = time.perf_counter() - start
    return clean, bare


def measure_gx(settings, year: int, home: Path) -> tuple[float, float]:
    """(import great_expectations s, validation of the year s) on a copy of the GX project."""
    with mock.patch.dict(os.environ, {"LUMEN_HOME": str(home)}):  # the bench's own settings come back after
        start = time.perf_counter()
        import great_expectations  # noqa: F401

        imported = time.perf_counter() - start
        from lumen.validate import validation

        start = time.perf_counter()
        window = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
        report = validation.validate(*window, settings)
        seconds = time.perf_counter() - start
    if not report.success:
        log(f"GX reported failures (the timing still counts): {report.failures[:3]}")
    return imported, seconds


def hourly_codes(stations: int = 670) -> list[str]:
    """The hourly runs' station codes: ~670 is INMET's whole automatic network."""
    return [f"H{n:03d}" if n < 1000 else f"J{n - 1000:03d}" for n in range(stations)]


def measure_hourly(settings, home: Path, stations: int = 670, day: str = "2025-01-01") -> tuple[float, dict]:
    """One inmet_hourly run via `mage run`: ~670 rows (one hour of INMET's whole network, the first hour
    of `day`) from a fake API."""
    sys.path.insert(0, str(ROOT))
    from tests.fakes.http import FakeServer

    codes = hourly_codes(stations)
    station_list = [
        {
            "CD_ESTACAO": c,
            "DC_NOME": f"BENCH {c}",
            "SG_ESTADO": "PR",
            "VL_LATITUDE": "-25.4",
            "VL_LONGITUDE": "-49.2",
            "VL_ALTITUDE": "900",
            "CD_SITUACAO": "Operante",
            "TP_ESTACAO": "Automatica",
            "DT_INICIO_OPERACAO": "2010-01-01T21:00:00.000-03:00",
        }
        for c in codes
    ]

    def record(code: str) -> bytes:
        rec = {"CD_ESTACAO": code, "DT_MEDICAO": day, "HR_MEDICAO": "0000", "TEM_INS": "21.5",
               "TEM_MAX": "22.0", "TEM_MIN": "21.0", "UMD_INS": "80", "UMD_MAX": "82", "UMD_MIN": "78",
               "PTO_INS": "18.0", "PTO_MAX": "18.3", "PTO_MIN": "17.8", "PRE_INS": "912.0", "PRE_MAX": "912.3",
               "PRE_MIN": "911.8", "CHUVA": "0.0", "VEN_VEL": "2.0", "VEN_RAJ": "4.5", "VEN_DIR": "120",
               "RAD_GLO": None}  # fmt: skip
        return json.dumps([rec]).encode()

    with FakeServer() as fake:
        fake.routes["/estacoes/T"] = lambda _h: (200, {}, json.dumps(station_list).encode())
        # INMET answers whole days; the run asks from yesterday (no watermark yet) to its end
        fake.fallback = lambda h: (200, {}, record(h.path.rstrip("/").rsplit("/", 1)[-1]))
        env = {**env_for(settings), "INMET_API_URL": fake.url, "LUMEN_HOME": str(home),
               "LUMEN_STATE_DIR": str(home / ".lumen"),
               "LUMEN_MAGE_BIN": str(ROOT / ".venv-mage/bin/mage")}  # fmt: skip
        start = time.perf_counter()
        out = subprocess.run(
            [
                LUMEN,
                "pipeline",
                "run",
                "hourly",
                "--stations",
                ",".join(codes),
                "--start",
                f"{day}T00:00",
                "--end",
                f"{day}T01:00",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
    if out.returncode != 0:
        log(f"hourly run failed, not counted: {(out.stdout + out.stderr)[-1500:]}")
        return float("nan"), {}
    with psycopg.connect(settings.database_url.get_secret_value()) as conn:
        steps = conn.execute(
            "SELECT step, round(extract(epoch FROM finished_at - started_at)::numeric, 1)::float8 FROM ops.step_runs "
            "WHERE run_id LIKE 'hourly-%' ORDER BY started_at"
        ).fetchall()
    return seconds, dict(steps)


def project_copy(tmp: Path) -> Path:
    """A throw-away project home (runs/, Data Docs, Mage state stay out of the checkout)."""
    from tests.conftest import project_home

    shutil.rmtree(tmp / "home", ignore_errors=True)
    return project_home(tmp, mage=True)


def scaling(files: list[Path], sizes: list[int], work: Path) -> list[dict]:
    out = []
    for size in sizes:
        n = max(1, round(size / HOURS))
        folder = work / f"scale_{size}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for f in files[:n]:
            (folder / f.name).symlink_to(f)
        settings, _ = bench_settings()
        ingest_s, _, rows = measure_ingest(folder, settings)
        clean_s, _ = measure_clean(settings, 2024)
        out.append({"rows": rows, "ingest_s": round(ingest_s, 2), "clean_s": round(clean_s, 2)})
        log(f"scaling {rows:,} rows: ingest {ingest_s:.1f} s, clean {clean_s:.1f} s")
    return out


def drop_bench(work: Path) -> None:
    admin = dbc.admin_conn(get_settings())
    with psycopg.connect(replace(admin, dbname="postgres").url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
    shutil.rmtree(work, ignore_errors=True)


def forecast_part(settings, home: Path, results: dict) -> None:
    """5b and 6/7: training, one hour's forecasts, and the hourly run, with an MLflow of their own."""
    with mlflow_for(settings, home / ".lumen") as settings:
        log("5b  forecast: training on the year (lumen forecast train), then one hour × every station")
        results.update(measure_training(LUMEN, env_for(settings), 2024))
        log(f"    {results['train_s']:.1f} s, peak RSS {results['train_peak_rss_mib']:.0f} MiB")
        log(f"    {results['train_summary']}")
        results.update(measure_predict(settings, 2024, log))
        log(f"    predict: {results['predict_hour_s']:.2f} s (cold {results['predict_hour_cold_s']:.2f} s)")
        log("6/7 one hourly run via mage run (~670 rows), its forecast step included")
        results["hourly_mage_run_s"], results["hourly_steps_s"] = measure_hourly(settings, home)
        log(f"    {results['hourly_mage_run_s']:.1f} s; per step {results['hourly_steps_s']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=600 * HOURS, help="rows in the year data set (default 5,270,400)")
    parser.add_argument("--scaling", default="500000,1000000,2500000,5000000", help="row counts for the slope")
    parser.add_argument("--naive-rows", type=int, default=200_000)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "data")
    parser.add_argument(
        "--alerts-only",
        action="store_true",
        help="only load the year, build its analytics, then the alert figures (printed)",
    )
    parser.add_argument(
        "--years",
        type=int,
        nargs="?",
        const=5,
        default=0,
        help="history mode: N (alone: 5) consecutive years × --stations loaded one by one (5 take ~20 min here)",
    )
    parser.add_argument("--stations", type=int, default=600, help="history mode: stations per year")
    parser.add_argument(
        "--forecast-only",
        action="store_true",
        help="only load the year, then the forecast's figures and the hourly run (printed; "
        "benchmarks/results untouched)",
    )
    args = parser.parse_args()
    if args.years:
        return history(args)
    stations = max(1, round(args.rows / HOURS))
    work = args.work
    log(f"data: {stations} station-year files into {work}")
    shutil.rmtree(work, ignore_errors=True)
    files = scale_files(work / "csv", stations)
    data_file = work / "all_rows.txt"
    with data_file.open("wb") as out:  # the same bytes, without the header lines, for \copy
        for f in files:
            body = f.read_bytes().split(b"\n", 9)[9]
            out.write(body)  # 19 values and the trailing `;`: 20 text columns
    rows = stations * HOURS
    results: dict = {
        "rows": rows,
        "stations": stations,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    settings, url = bench_settings()
    if args.forecast_only or args.alerts_only:
        from lumen.clean import transform
        from lumen.db import connect
        from lumen.publish import analytics

        measure_ingest(work / "csv", settings)
        with connect("pipeline", settings) as conn:
            transform.clean(
                conn,
                datetime(2024, 1, 1, tzinfo=UTC),
                datetime(2025, 1, 1, tzinfo=UTC),
                "bench-clean",
                on_invalid="quarantine",
            )
        if args.alerts_only:
            analytics.build(settings, full_refresh=True)
            results.update(measure_alerts(settings, 2024, ROOT))
        else:
            forecast_part(settings, project_copy(work), results)
        print(json.dumps(results, indent=2))
        drop_bench(work)
        return
    log(f"1/7 psql \\copy (the limit), median of {REPEATS}")
    results["copy_rows_per_s"] = statistics.median(measure_copy(url, data_file, rows) for _ in range(REPEATS))
    log(f"    {results['copy_rows_per_s']:,.0f} rows/s")
    log("1b  \\copy of rewritten rows into one keyed table shaped like raw_data (the file-by-file bound)")
    results["keyed_copy_rows_per_s"] = measure_keyed_copy(url, files, rows)
    log(f"    {results['keyed_copy_rows_per_s']:,.0f} rows/s")
    log(f"2/7 pandas read_csv + to_sql on {args.naive_rows:,} rows (the naive baseline)")
    results["naive_rows_per_s"] = measure_naive(files, url, args.naive_rows)
    log(f"    {results['naive_rows_per_s']:,.0f} rows/s")
    log(f"3/7 lumen ingest archive, median of {REPEATS} (each into a new database)")
    runs = []
    for _ in range(REPEATS):
        settings, url = bench_settings()
        runs.append(measure_ingest(work / "csv", settings))
    seconds, loaded = statistics.median(r[0] for r in runs), runs[-1][2]
    rss = max(r[1] for r in runs)
    results.update(
        ingest_rows_per_s=loaded / seconds,
        ingest_peak_rss_mib=rss,
        ingest_s=seconds,
        ingest_runs_s=[round(r[0], 2) for r in runs],
    )
    log(f"    {loaded:,} rows in {seconds:.1f} s = {loaded / seconds:,.0f} rows/s, peak RSS {rss:.0f} MiB")
    log("4/7 clean + checks, and a bare INSERT…SELECT with casts")
    results["clean_s"], results["bare_insert_select_s"] = measure_clean(settings, 2024)
    log(f"    clean {results['clean_s']:.1f} s, bare {results['bare_insert_select_s']:.1f} s")
    log("4b  analytics of the year: dbt build --full-refresh, and the plpgsql refresh it replaced")
    results.update(measure_analytics(settings, url, BENCH_DB))
    log(
        f"    dbt {results['full_analytics_rebuild_s']:.1f} s (start-up {results['dbt_startup_s']:.1f} s), "
        f"plpgsql {results['plpgsql_refresh_s']:.1f} s"
    )
    log("4c  alert rules over the year, then over one hour with the year loaded")
    results.update(measure_alerts(settings, 2024, ROOT))
    log(
        f"    year {results['alert_year_s']:.2f} s ({results['alert_episodes']:,} episodes), "
        f"one hour {results['alert_hour_s']:.3f} s"
    )
    home = project_copy(work)
    log("5/7 Great Expectations over the year")
    results["gx_import_s"], results["gx_year_s"] = measure_gx(settings, 2024, home)
    log(f"    import {results['gx_import_s']:.1f} s, validation {results['gx_year_s']:.1f} s")
    forecast_part(settings, home, results)
    sizes = [int(s) for s in args.scaling.split(",") if s.strip()]
    log(f"7/7 scaling at {sizes}")
    results["scaling"] = scaling(files, sizes, work)
    first, last = results["scaling"][0], results["scaling"][-1]
    per_row = [(s["ingest_s"] + s["clean_s"]) / s["rows"] for s in (first, last)]
    results["scaling_ratio"] = per_row[1] / per_row[0]
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    latest = out_dir / "latest.json"
    kept = json.loads(latest.read_text()).get("history") if latest.exists() else None
    if kept:  # the history mode's figures stay beside the new one-year ones (measured when they say)
        results["history"] = kept
    latest.write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "latest.md").write_text(table(results) + (f"\n{history_table(kept)}" if kept else ""))
    print()
    print(table(results))
    drop_bench(work)


def history(args) -> None:
    """`--years N`: the history object, merged into latest.json beside the one-year figures."""
    from benchmarks.history import run_history

    helpers = {"settings": bench_settings, "project_copy": project_copy, "env_for": env_for, "root": ROOT,
               "lumen": LUMEN, "measure_copy": measure_copy, "measure_bare": measure_bare, "measure_gx": measure_gx,
               "measure_hourly": measure_hourly, "hourly_codes": hourly_codes(), "mlflow_for": mlflow_for,
               "table": table, "log": log}  # fmt: skip
    run_history(args.years, args.stations, args.work, helpers)
    drop_bench(args.work)


if __name__ == "__main__":
    main()
