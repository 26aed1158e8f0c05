"""Great Expectations 1.x: suites, checkpoints and Data Docs for processed_data.

The GX project is the `expectations/` folder (a file context): suites, validation
definitions and checkpoints are committed; `uncommitted/` (results, Data Docs) is
not. The data source's connection string is the config variable
`${LUMEN_GX_DATABASE_URL}`, set in this process from the lumen_reader role, so no
secret is written to any file. Objects are fetched or added, never re-added, so
running the setup again leaves `git status` clean.

A run validates its window only: batches are days (≤ 2 days), months (≤ 62 days) or
years of `observed_at`, one checkpoint per granularity. The observations asset is the
view processed_data.observations_to_validate, narrowed on GX's connection to the span
of the run's day or month batches, so their queries read those days and not the whole
table. Year batches get a context each, narrowed to their year (read through the primary
key); only where processed_data holds nothing outside the year is
the view left whole (a plain scan then reads the same rows for less). Year batches record
each expectation's verdict only, and are validated again for counts and examples only when
one fails (see VERDICT_ONLY). GX is imported lazily: it takes seconds, and only the validate
step needs it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from lumen.clean import quality
from lumen.config import Settings, get_settings
from lumen.db import connect, one
from lumen.db.engine import role_conn
from lumen.errors import LumenError
from lumen.validate import docs_assets
from lumen.vocabulary import ALTITUDE_RANGE, LATITUDE_RANGE, LONGITUDE_RANGE, UFS

DATASOURCE = "lumen"
URL_VARIABLE = "LUMEN_GX_DATABASE_URL"
GRANULARITIES = ("daily", "monthly", "yearly")
KEEP_RESULTS = 20
# batches that share one context, narrowed to their joint span; a year batch is narrowed alone
NARROWED = ("daily", "monthly")
# Checkpoints that record the verdict of each expectation only (BOOLEAN_ONLY); a batch that fails
# is validated again in SUMMARY for its counts and examples. Why: in SUMMARY, GX looks for example
# values of every map expectation even when its count is 0 — one more scan of the batch each. Over
# a year of 600 stations that was 41 of 56 queries; the counts come in a few bundled ones.
VERDICT_ONLY = ("observations_yearly",)
Batch = tuple[str, dict[str, int]]  # ("daily" | "monthly" | "yearly", its batch parameters)
Span = tuple[datetime, datetime]  # UTC [from, to)


class ValidationFailed(LumenError):
    """A checkpoint found data that breaks its suite; the message lists what failed."""


@dataclass
class ValidationReport:
    batches: list[str] = field(default_factory=list)
    evaluated: int = 0
    failures: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # batches with no rows yet (reported, skipped)

    @property
    def success(self) -> bool:
        return not self.failures

    def line(self) -> str:
        verdict = "passed" if self.success else f"FAILED ({len(self.failures)} expectation(s))"
        checked = [b for b in self.batches if b not in self.empty]
        skipped = f"; skipped, no rows yet: {', '.join(self.empty)}" if self.empty else ""
        return f"validate: {self.evaluated} expectation(s) over {', '.join(checked)}: {verdict}{skipped}"


def gx_dir(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).root / "expectations"


def _context(settings: Settings, window: Span | None = None):
    """The file context, with the reader's URL in the environment (never in a file).

    `window` sets lumen.validate_from/_to on GX's connections: the observations asset is the
    view processed_data.observations_to_validate (V010), which then holds that window only."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    url = role_conn("reader", settings).url(driver="postgresql+psycopg")
    options = ["TimeZone=UTC"]
    if window:
        options += [f"lumen.validate_from={window[0].isoformat()}", f"lumen.validate_to={window[1].isoformat()}"]
    options_arg = quote(" ".join(f"-c {o}" for o in options))
    os.environ[URL_VARIABLE] = url + ("&" if "?" in url else "?") + "options=" + options_arg
    import great_expectations as gx

    return gx.get_context(mode="file", context_root_dir=str(gx_dir(settings)))


def _get_or_add(getter, adder):
    """Get-or-add (never add_or_update, which re-mints ids and makes a git diff every run)."""
    try:
        return getter()
    except Exception as exc:  # GX raises KeyError, LookupError or DataContextError("… not found")
        if not isinstance(exc, KeyError | LookupError) and "not found" not in str(exc).lower():
            raise
        return adder()


def observation_expectations() -> list[Any]:
    """The suite for processed_data.observations: keys, value sets, and lumen.clean.quality's ranges."""
    import great_expectations.expectations as gxe

    out: list[Any] = [gxe.ExpectTableRowCountToBeBetween(min_value=1)]
    out += [
        gxe.ExpectColumnValuesToNotBeNull(column=c)
        for c in ("station_code", "observed_at", "local_date", "local_hour", "source")
    ]
    out += [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["station_code", "observed_at"]),
        gxe.ExpectColumnValuesToMatchRegex(column="station_code", regex="^[A-Z][0-9]{3}$"),
        gxe.ExpectColumnValuesToBeInSet(column="source", value_set=["archive", "api"]),
        gxe.ExpectColumnValuesToBeBetween(column="local_hour", min_value=0, max_value=23),
    ]
    out += [
        gxe.ExpectColumnValuesToBeBetween(column=r.column, min_value=r.lo, max_value=r.hi)
        for r in quality.all_rules()
        if r.lo is not None
    ]
    # pairs with the same small slack as lumen.clean.quality: GX has none, so allow 1 % of rows
    out += [
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="air_temp_c",
            column_B="dew_point_c",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            mostly=0.99,
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="wind_gust_ms",
            column_B="wind_speed_ms",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            mostly=0.99,
        ),
    ]
    return out


def station_expectations() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="station_code"),
        gxe.ExpectColumnValuesToBeUnique(column="station_code"),
        gxe.ExpectColumnValuesToBeInSet(column="uf", value_set=list(UFS)),
        *(
            gxe.ExpectColumnValuesToBeBetween(column=column, min_value=lo, max_value=hi)
            for column, (lo, hi) in (
                ("latitude", LATITUDE_RANGE),
                ("longitude", LONGITUDE_RANGE),
                ("altitude_m", ALTITUDE_RANGE),
            )
        ),
    ]


def setup(settings: Settings | None = None, window: Span | None = None):
    """Create (or find) the data source, assets, suites, validation definitions and checkpoints."""
    settings = settings or get_settings()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = _context(settings, window)
    if ctx.variables.analytics_enabled is not False or not ctx.variables.progress_bars:
        ctx.variables.analytics_enabled = False
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        ctx.variables.save()
    url = "${" + URL_VARIABLE + "}"
    ds = _get_or_add(
        lambda: ctx.data_sources.get(DATASOURCE),
        lambda: ctx.data_sources.add_postgres(DATASOURCE, connection_string=url),
    )

    def asset(name: str, table: str):
        return _get_or_add(
            lambda: ds.get_asset(name),
            lambda: ds.add_table_asset(name, table_name=table, schema_name="processed_data"),
        )

    def suite(name: str, expectations):
        def add():
            new = ctx.suites.add(gx.ExpectationSuite(name=name))
            for expectation in expectations():
                new.add_expectation(expectation)
            return new

        return _get_or_add(lambda: ctx.suites.get(name), add)

    def checkpoint(name: str, batch_definition, expectation_suite) -> None:
        vd = _get_or_add(
            lambda: ctx.validation_definitions.get(name),
            lambda: ctx.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch_definition, suite=expectation_suite)
            ),
        )
        docs = gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")
        result_format: Literal["BOOLEAN_ONLY", "SUMMARY"] = "BOOLEAN_ONLY" if name in VERDICT_ONLY else "SUMMARY"
        _get_or_add(
            lambda: ctx.checkpoints.get(name),
            lambda: ctx.checkpoints.add(
                gx.Checkpoint(name=name, validation_definitions=[vd], actions=[docs], result_format=result_format)
            ),
        )

    obs, stations = asset("observations", "observations_to_validate"), asset("stations", "stations")
    obs_suite = suite("processed_observations", observation_expectations)
    add_partitioned = {
        "daily": obs.add_batch_definition_daily,
        "monthly": obs.add_batch_definition_monthly,
        "yearly": obs.add_batch_definition_yearly,
    }
    for g in GRANULARITIES:
        bd = _get_or_add(
            lambda g=g: obs.get_batch_definition(g), lambda g=g: add_partitioned[g](g, column="observed_at")
        )
        checkpoint(f"observations_{g}", bd, obs_suite)
    whole = _get_or_add(
        lambda: stations.get_batch_definition("whole"), lambda: stations.add_batch_definition_whole_table("whole")
    )
    checkpoint("stations", whole, suite("processed_stations", station_expectations))
    return ctx


def window_batches(start: datetime, end: datetime) -> list[Batch]:
    """The fewest date batches that cover [start, end): days, months or years."""
    last = end - timedelta(microseconds=1)
    span = end - start
    out: list[Batch] = []
    if span <= timedelta(days=2):
        day = start.date()
        while day <= last.date():
            out.append(("daily", {"year": day.year, "month": day.month, "day": day.day}))
            day += timedelta(days=1)
    elif span <= timedelta(days=62):
        y, m = start.year, start.month
        while (y, m) <= (last.year, last.month):
            out.append(("monthly", {"year": y, "month": m}))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    else:
        out = [("yearly", {"year": y}) for y in range(start.year, last.year + 1)]
    return out


def batches_span(batches: list[Batch]) -> Span:
    """The UTC instants [from, to) that the batches cover: whole days, months or years."""

    def first(params: dict[str, int]) -> datetime:
        return datetime(params["year"], params.get("month", 1), params.get("day", 1), tzinfo=UTC)

    def after(granularity: str, params: dict[str, int]) -> datetime:
        begin = first(params)
        if granularity == "daily":
            return begin + timedelta(days=1)
        if granularity == "monthly":
            return (begin + timedelta(days=32)).replace(day=1)
        return begin.replace(year=begin.year + 1)

    return first(batches[0][1]), after(*batches[-1])


def batch_reads(batches: list[Batch], holds_outside: Callable[[Span], bool]) -> list[tuple[Span | None, list[Batch]]]:
    """Which batches share a GX context, and the span its connections narrow the view to.

    Day and month batches: one context over their joint span. Year batches: one each, narrowed
    to its year, unless `holds_outside(year)` says processed_data has no row outside it."""
    if batches[0][0] in NARROWED:
        return [(batches_span(batches), batches)]
    out: list[tuple[Span | None, list[Batch]]] = []
    for batch in batches:
        year = batches_span([batch])
        out.append((year if holds_outside(year) else None, [batch]))
    return out


def _holds_outside(settings: Settings) -> Callable[[Span], bool]:
    def ask(span: Span) -> bool:
        with connect("reader", settings) as conn:
            return one(
                conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM processed_data.observations WHERE observed_at < %(lo)s)"
                    " OR EXISTS (SELECT 1 FROM processed_data.observations WHERE observed_at >= %(hi)s)",
                    {"lo": span[0], "hi": span[1]},
                )
            )[0]

    return ask


def validate(
    start: datetime, end: datetime, settings: Settings | None = None, stations: bool = True, keep: int = KEEP_RESULTS
) -> ValidationReport:
    """Run the checkpoints over the window (and the stations table); Data Docs are updated."""
    settings = settings or get_settings()
    batches = window_batches(start, end)
    reads = batch_reads(batches, _holds_outside(settings))
    report = ValidationReport()
    for i, (span, group) in enumerate(reads):
        ctx = setup(settings, span)
        runs = [(f"observations_{g}", params) for g, params in group]
        if stations and i == len(reads) - 1:
            runs.append(("stations", {}))
        _run(ctx, runs, report)
    if len(report.empty) == len(batches):
        report.failures.append(
            f"no rows in processed_data between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC: "
            "run clean for that window first"
        )
    prune_results(settings, keep)
    docs_assets.localize(site_dir(settings))
    return report


def _run(ctx, runs: list[tuple[str, dict[str, int]]], report: ValidationReport) -> None:
    from great_expectations.exceptions.exceptions import NoAvailableBatchesError  # after setup's env

    for name, params in runs:
        label = name if not params else f"{name.split('_')[1]} " + "-".join(f"{v:02d}" for v in params.values())
        report.batches.append(label)
        try:
            result = ctx.checkpoints.get(name).run(batch_parameters=params or None)
        except NoAvailableBatchesError:  # the batch (day, month or year) has no rows: a window's last day
            report.empty.append(label)  # often has none yet; only a window with no rows at all fails
            continue
        for vr in result.run_results.values():
            report.evaluated += vr.statistics["evaluated_expectations"]
            if not vr.success and name in VERDICT_ONLY:  # the details, for the failed batch only
                vr = ctx.validation_definitions.get(name).run(batch_parameters=params, result_format="SUMMARY")
            report.failures += [f"{label}: {_describe(r)}" for r in vr.results if not r.success]


def _describe(result) -> str:
    cfg = result.expectation_config
    kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id",)}
    what = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    res = result.result or {}
    if "unexpected_count" in res:
        sample = res.get("partial_unexpected_list") or []
        return f"{cfg.type}({what}): {res['unexpected_count']} unexpected, e.g. {sample[:3]}"
    if "observed_value" in res:
        return f"{cfg.type}({what}): observed {res['observed_value']}"
    return f"{cfg.type}({what})"


def prune_results(settings: Settings, keep: int = KEEP_RESULTS) -> int:
    """Keep the newest `keep` validation results (and their Data Docs pages); returns how many went."""
    root = gx_dir(settings) / "uncommitted"
    results = sorted((root / "validations").rglob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    gone = 0
    for path in results[keep:]:
        run_dir = path.parent
        path.unlink()
        gone += 1
        page_dir = site_dir(settings) / "validations" / run_dir.relative_to(root / "validations")
        shutil.rmtree(page_dir, ignore_errors=True)
        for d in (run_dir, run_dir.parent):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
    return gone


def site_dir(settings: Settings) -> Path:
    return gx_dir(settings) / "uncommitted" / "data_docs" / "local_site"


def build_docs(settings: Settings | None = None) -> Path:
    """Build Data Docs; returns the path of index.html."""
    settings = settings or get_settings()
    ctx = setup(settings)
    ctx.build_data_docs()
    docs_assets.localize(site_dir(settings))
    index = site_dir(settings) / "index.html"
    if not index.exists():
        raise LumenError(f"Data Docs were not written to {index}")
    return index
