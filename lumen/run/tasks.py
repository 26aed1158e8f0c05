"""What each pipeline step does: the tasks lumen/run/registry.py declares, which the `lumen` command,
the step notebooks (and so the Mage blocks, which run `lumen step`) all reach through it.

Each takes its step's checked parameters (lumen/run/params.py: the window and the codes parsed once,
there) and returns a StepResult, which the audit scope stores in ops.step_runs. Heavy imports (Great
Expectations) happen only in the step that needs them.
"""

from __future__ import annotations

import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tqdm import tqdm

from lumen.config import get_settings
from lumen.db import connect, one
from lumen.run.params import CleanParams, ForecastParams, IngestParams, PublishParams, TrainParams, ValidateParams
from lumen.run.result import StepResult
from lumen.window import parse_instant


def ingest(run_id: str, p: IngestParams, progress: bool = False) -> StepResult:
    """Archive (a year, ZIP, folder or CSV) or API (stations, from each watermark) → raw_data.

    The API path refreshes the station list first (an open route: names, coordinates, status)."""
    from lumen import ingest as loader

    settings = get_settings()
    t0 = time.monotonic()
    codes, archive, start, end = p.codes(), p.archive, p.start, p.end
    if p.source == "archive":
        from lumen.inmet import archive as reader

        path = Path(archive)
        if not path.exists() and archive.isdigit() and len(archive) == 4:  # a year: INMET's yearly ZIP
            from lumen.inmet.download import check_year, fetch_year

            path = fetch_year(
                settings.inmet_archive_url,
                check_year(int(archive)),
                settings.root / "data" / "cache",
                progress=progress,
            )
        limits = reader.Limits.of(settings)
        skipped: list[str] = []
        files = list(reader.list_files(path, codes, p.states(), limits, skipped))
        if not files:
            raise loader.IngestError(f"no station CSV in {path} matches the stations or states asked for")
        bar_off = not (progress and sys.stderr.isatty())  # a bar only where someone watches
        with connect("pipeline", settings) as conn, tqdm(total=len(files), unit="file", disable=bar_off) as bar:
            stats = loader.load_archive(conn, files, run_id, progress=lambda *_: bar.update(1))
        stats += [loader.LoadStats("?", why, skipped=why) for why in skipped]
        if path.is_file() and not zipfile.is_zipfile(path):  # one CSV asked for by name: not skipped, refused
            stats = [loader.LoadStats(s.station_code, s.origin, refused=s.skipped) if s.skipped else s for s in stats]
    else:  # "api": IngestParams admits only these two
        from lumen.inmet.api import client_from_settings

        if not codes:
            raise loader.IngestError("give at least one station code (stations=A001,A652)")
        lo = parse_instant(start) if start else None
        hi = parse_instant(end, end=True) if end else None
        last = (hi - timedelta(microseconds=1) if hi else datetime.now(UTC)).date()
        client = client_from_settings(settings)
        with connect("pipeline", settings) as conn:
            station_list = client.stations("T")  # open route: keeps names, coordinates and status current
            loader.load_api_stations(conn, station_list, client.base_url + "/estacoes/T", run_id)
            stats = loader.ingest_api(conn, client, codes, lo.date() if lo else None, last, run_id, p.overlap_hours)
    total = loader.total(stats)
    refused = loader.refusals(stats)
    notes = [*total.warnings, *(s.skipped for s in stats if s.skipped)]
    return StepResult(
        rows_in=total.rows,
        rows_out=total.new + total.changed,
        stations=len(loader.per_station(stats)),
        per_station=[
            f"{code}: {st.new:,} new, {st.changed:,} changed, {st.unchanged:,} unchanged"
            for code, st in sorted(loader.per_station(stats).items())
        ],
        summary=loader.summary_line(stats),
        refused=refused,  # files of which nothing was loaded, each with why (the others were)
        warning="; ".join([*(f"refused {r}" for r in refused), *notes]),
        seconds=round(time.monotonic() - t0, 2),
    )


def clean(run_id: str, p: CleanParams) -> StepResult:
    """raw_data → processed_data for the window; raises QualityError with the summary on bad rows."""
    from lumen.clean import transform

    settings = get_settings()
    lo, hi = p.span()
    codes = p.codes() or None
    t0 = time.monotonic()
    with connect("pipeline", settings) as conn:
        result = transform.clean(conn, lo, hi, run_id, codes, settings.on_invalid)
    return StepResult(
        rows_in=result.raw_rows,
        rows_out=result.new + result.changed + result.unchanged,
        quarantined=result.bad_rows,
        summary=result.line(),
        warning=result.warning(),
        held=result.held,
        seconds=round(time.monotonic() - t0, 2),
    )


def validate(run_id: str, p: ValidateParams) -> StepResult:
    """Great Expectations checkpoints over the window; raises ValidationFailed listing what failed."""
    from lumen.validate import validation

    lo, hi = p.span()
    t0 = time.monotonic()
    report = validation.validate(lo, hi, get_settings())
    if not report.success:
        raise validation.ValidationFailed("\n".join(["expectations failed:", *report.failures]))
    with connect("pipeline") as conn:
        rows = one(
            conn.execute(
                "SELECT count(*) FROM processed_data.observations WHERE observed_at >= %s AND observed_at < %s",
                (lo, hi),
            )
        )[0]
    return StepResult(
        rows_in=rows,
        rows_out=rows,
        expectations=report.evaluated,
        summary=report.line(),
        seconds=round(time.monotonic() - t0, 2),
    )


def publish(run_id: str, p: PublishParams) -> StepResult:
    """dbt builds and tests the analytics for what the window can touch (no window: all of history),
    then the alert rules on observations are evaluated over it and their messages sent.

    Each incremental model rewrites its window in one transaction: readers keep seeing the
    previous figures until it commits. A failing dbt test fails the step, naming it. The alert
    rules are checked first (a malformed file stops the step before dbt runs); a message that
    cannot be sent never fails it (it stays pending, and shows in the summary)."""
    from lumen.alerts import service as alerts
    from lumen.publish import analytics

    settings = get_settings()
    lo, hi = p.span_or_all()
    checked = alerts.plan(settings, alerts.OBSERVED)
    result = analytics.publish(settings, lo, hi)
    written = sum(n for n in result.models.values() if n)
    alerted = alerts.run(settings, run_id, lo, hi, checked)
    return StepResult(
        rows_in=written,
        rows_out=written,
        tables=result.models,
        tests_passed=result.tests_passed,
        alerts={k: v for k, v in alerted.items() if k not in ("summary", "warning")},
        summary="\n".join(
            [f"analytics ({f'{p.start} … {p.end}' if lo else 'all of history'}): {result.line()}", alerted["summary"]]
        ),
        warning=alerted["warning"],
        seconds=round(result.seconds + alerted["evaluate_s"], 2),
    )


def train(run_id: str, p: TrainParams) -> StepResult:
    """Train the next-hour model on the window, log it to MLflow, promote it if it earns it.
    `neighbours`: compare (keep the neighbour features only if they help), on or off.
    `when_short`: with too few hours, fail (a person asked for this window) or wait (the daily schedule
    on a young database: the step succeeds, saying it waits for data)."""
    from lumen.forecast import NotEnoughData
    from lumen.forecast.train import train as fit_and_log
    from lumen.run.audit import git_commit

    settings = get_settings()
    lo, hi = p.span()
    use = {"compare": None, "on": True, "off": False}[p.neighbours]  # TrainParams admits only these three
    try:
        result = fit_and_log(settings, lo, hi, p.codes() or None, p.cutoff(), git_commit(settings.root), use)
    except NotEnoughData as exc:
        if p.when_short != "wait":
            raise
        return StepResult(
            rows_in=0,
            rows_out=0,
            waiting=True,
            summary=f"training skipped, waiting for data: {exc.short}",
            warning=f"no training yet, waiting for data: {exc}",
        )
    return StepResult(
        rows_in=result.rows["train_rows"] + result.rows["test_rows"],
        rows_out=result.metrics["n"],
        mlflow_run_id=result.run_id,
        model_version=result.version,
        promoted=result.promoted,
        neighbours=result.neighbours,
        neighbour_comparison=result.compared,
        metrics=result.metrics,
        summary=result.line(),
        seconds=result.seconds,
    )


def forecast(run_id: str, p: ForecastParams) -> StepResult:
    """Next-hour forecasts from the champion (no window: issued at the newest observed hour), then
    the forecast alert rule over the hours they target."""
    from lumen.alerts import service as alerts
    from lumen.forecast.predict import predict

    settings = get_settings()
    lo, hi = p.span_or_all()
    checked = alerts.plan(settings, alerts.FORECAST)
    result = predict(settings, run_id, lo, hi, p.codes() or None)
    alerted = None
    if result.issued and result.written:
        issued_lo, issued_hi = result.issued
        alerted = alerts.run(settings, run_id, issued_lo + timedelta(hours=1), issued_hi + timedelta(hours=1), checked)
    warnings = [
        f"{len(result.skipped)} station(s) without their last 24 h" if result.skipped else "",
        alerted["warning"] if alerted else "",
    ]
    return StepResult(
        rows_in=result.written + len(result.skipped),
        rows_out=result.written,
        model_version=result.version,
        skipped=result.skipped,
        alerts={k: v for k, v in alerted.items() if k not in ("summary", "warning")} if alerted else {},
        summary=result.line() + (f"\n{alerted['summary']}" if alerted else ""),
        warning="; ".join(w for w in warnings if w),
        seconds=result.seconds,
    )
