"""What a change of the dbt models costs the publish step, before and after, in one run on one machine
(#28's target: the completeness rules no more than 10 % slower): a year of N generated stations is
ingested and cleaned into the bench database once, then `dbt build --full-refresh` (every model and
data test; what a backfill's publish and a rebuild run) is timed with the models of a git ref (A) and
of the working tree (B), alternated, several times. Results: benchmarks/results/publish_ab.json.

    .venv/bin/python -m benchmarks.publish_ab --ref <commit before the change> [--stations 600] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from benchmarks.run import bench_settings, log
from lumen import ingest
from lumen.clean import transform
from lumen.db import connect
from lumen.inmet.archive import list_files
from lumen.publish import analytics
from lumen.sample import scale_files

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "publish_ab.json"


def project_at(ref: str, where: Path) -> Path:
    """The dbt project as it was at `ref` (git archive of dbt/)."""
    blob = subprocess.run(["git", "archive", ref, "dbt"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(where, filter="data")
    return where / "dbt"


def timed_build(project: Path, settings, state: Path) -> float:
    env = {
        **analytics.dbt_env(settings),
        "DBT_PROFILES_DIR": str(project),
        "DBT_TARGET_PATH": str(state / "target"),
        "DBT_LOG_PATH": str(state / "logs"),
    }
    args = [*analytics.dbt_command(), "build", "--full-refresh", "--exclude-resource-type", "unit_test"]
    start = time.perf_counter()
    done = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"dbt build failed in {project}:\n{done.stdout[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", required=True, help="the commit whose dbt models are 'before'")
    parser.add_argument("--stations", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings, _ = bench_settings()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        log(f"{args.stations} station-years: generating, ingesting, cleaning")
        files = scale_files(work / "csv", args.stations)
        with connect("pipeline", settings) as conn:
            ingest.load_archive(conn, [f for p in files for f in list_files(p)], "bench")
            transform.clean(
                conn,
                datetime(2024, 1, 1, tzinfo=UTC),
                datetime(2025, 1, 1, tzinfo=UTC),
                "bench",
                on_invalid="quarantine",
            )
        with connect("admin", settings) as conn:
            rows = conn.execute("SELECT count(*) FROM processed_data.observations").fetchone()[0]
            conn.execute("ANALYZE")
        before, after = project_at(args.ref, work / "a"), ROOT / "dbt"
        times: dict[str, list[float]] = {"before": [], "after": []}
        for i in range(args.rounds):
            for name, project in (
                (("before", before), ("after", after)) if i % 2 == 0 else (("after", after), ("before", before))
            ):
                seconds = timed_build(project, settings, work / f"state-{name}")
                times[name].append(seconds)
                log(f"round {i + 1}: {name} {seconds:.1f} s")
    median = {k: statistics.median(v) for k, v in times.items()}
    result = {
        "measured_on": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores",
        "before_ref": subprocess.run(
            ["git", "rev-parse", "--short", args.ref], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip(),
        "stations": args.stations,
        "processed_rows": rows,
        "seconds": times,
        "median_s": median,
        "after_over_before": round(median["after"] / median["before"], 3),
        "target": "after_over_before <= 1.10",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    log(f"before {median['before']:.1f} s, after {median['after']:.1f} s: ×{result['after_over_before']}")


if __name__ == "__main__":
    main()
