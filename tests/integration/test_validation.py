"""Great Expectations 1.x over processed_data: checkpoints, failures people can read, Data Docs, clean git."""

import hashlib
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lumen import ingest
from lumen.clean import transform
from lumen.db import connect
from lumen.inmet.archive import list_files
from lumen.sample import generate
from lumen.validate import validation
from tests.conftest import ROOT, project_home

pytestmark = pytest.mark.slow


@pytest.fixture()
def gx_home(tmp_path, monkeypatch) -> Path:
    """A copy of the project's committed GX folder, so tests never write into the checkout."""
    home = project_home(tmp_path)
    monkeypatch.setenv("LUMEN_HOME", str(home))
    return home


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and "uncommitted" not in p.parts
    }


@pytest.fixture()
def clean_sample(migrated_db, tmp_path):
    sample = generate(tmp_path / "s", days=3)
    with connect("pipeline", migrated_db) as conn:
        ingest.load_archive(conn, list_files(sample.archive_zip), "load")
        ingest.load_api_stations(conn, json.loads(sample.stations_json.read_text()), "file", "load")
        transform.clean(conn, datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 4, tzinfo=UTC), "run-1")
    return migrated_db


def test_setup_twice_leaves_the_committed_files_unchanged(gx_home, clean_sample):
    before = _tree(gx_home / "expectations")
    validation.setup(clean_sample)
    validation.setup(clean_sample)
    assert _tree(gx_home / "expectations") == before


def test_committed_suites_match_the_code():
    suite = json.loads((ROOT / "expectations/expectations/processed_observations.json").read_text())

    def canon(kind, kwargs):
        norm = {k: float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for k, v in kwargs.items()}
        return kind + json.dumps(norm, sort_keys=True)

    committed = sorted(canon(e["type"], e["kwargs"]) for e in suite["expectations"])
    code = sorted(canon(e.expectation_type, e.configuration.kwargs) for e in validation.observation_expectations())
    assert committed == code
    ranges = {
        e["kwargs"]["column"]: (e["kwargs"]["min_value"], e["kwargs"]["max_value"])
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_be_between"
    }
    assert ranges["rel_humidity_pct"] == (0, 100) and ranges["air_temp_c"] == (-15, 48)


def test_window_passes_then_fails_on_injected_bad_data(gx_home, clean_sample):
    ok = validation.validate(datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 4, tzinfo=UTC), clean_sample)
    assert ok.success and ok.batches == ["monthly 2024-11", "stations"] and ok.evaluated > 30
    with connect("admin", clean_sample) as conn:  # bypass lumen's own checks: GX is the second line
        conn.execute(
            "UPDATE processed_data.observations SET rel_humidity_pct = 150 "
            "WHERE station_code = 'Z807' AND observed_at = '2024-11-02 03:00+00'"
        )
        conn.commit()
    bad = validation.validate(datetime(2024, 11, 2, tzinfo=UTC), datetime(2024, 11, 3, tzinfo=UTC), clean_sample)
    assert not bad.success and bad.batches == ["daily 2024-11-02", "stations"]
    assert any(
        "expect_column_values_to_be_between(column=rel_humidity_pct" in f and "[150.0]" in f for f in bad.failures
    ), bad.failures
    other_day = validation.validate(datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 2, tzinfo=UTC), clean_sample)
    assert other_day.success  # only the window is validated
    index = validation.build_docs(clean_sample)
    html = index.read_text()
    assert "processed_observations" in html and "processed_stations" in html
    secrets = clean_sample.secret_values()
    for path in (gx_home / "expectations").rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            assert not any(s in text for s in secrets), f"a secret leaked into {path}"


def test_results_are_pruned(gx_home, clean_sample):
    for _ in range(3):
        validation.validate(
            datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 2, tzinfo=UTC), clean_sample, stations=False, keep=2
        )
    results = list((gx_home / "expectations/uncommitted/validations").rglob("*.json"))
    assert len(results) == 2


def test_window_batches():
    d = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731
    assert validation.window_batches(d(2024, 1, 1, 3), d(2024, 1, 1, 4)) == [
        ("daily", {"year": 2024, "month": 1, "day": 1})
    ]
    assert [p["day"] for _, p in validation.window_batches(d(2024, 1, 1, 23), d(2024, 1, 2, 2))] == [1, 2]
    assert validation.window_batches(d(2024, 1, 30), d(2024, 2, 10)) == [
        ("monthly", {"year": 2024, "month": 1}),
        ("monthly", {"year": 2024, "month": 2}),
    ]
    assert validation.window_batches(d(2023, 6, 1), d(2025, 1, 1)) == [
        ("yearly", {"year": 2023}),
        ("yearly", {"year": 2024}),
    ]


def test_batches_span_whole_days_months_and_years():
    d = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731
    span = lambda lo, hi: validation.batches_span(validation.window_batches(lo, hi))  # noqa: E731
    assert span(d(2024, 1, 1, 3), d(2024, 1, 1, 4)) == (d(2024, 1, 1), d(2024, 1, 2))
    assert span(d(2024, 12, 31, 23), d(2025, 1, 1, 2)) == (d(2024, 12, 31), d(2025, 1, 2))
    assert span(d(2024, 1, 30), d(2024, 2, 10)) == (d(2024, 1, 1), d(2024, 3, 1))
    assert span(d(2024, 12, 1), d(2025, 1, 15)) == (d(2024, 12, 1), d(2025, 2, 1))
    assert span(d(2023, 6, 1), d(2025, 1, 1)) == (d(2023, 1, 1), d(2025, 1, 1))


def test_gx_reads_only_the_window_it_was_given(gx_home, clean_sample):
    """The observations asset is a view narrowed on GX's own connection: its row count is the day's."""
    import sqlalchemy as sa

    with connect("reader", clean_sample) as conn:
        everything = conn.execute("SELECT count(*) FROM processed_data.observations_to_validate").fetchone()[0]
        day = conn.execute(
            "SELECT count(*) FROM processed_data.observations WHERE observed_at >= '2024-11-02' "
            "AND observed_at < '2024-11-03'"
        ).fetchone()[0]
    validation.setup(clean_sample, (datetime(2024, 11, 2, tzinfo=UTC), datetime(2024, 11, 3, tzinfo=UTC)))
    engine = sa.create_engine(os.environ[validation.URL_VARIABLE])
    with engine.connect() as conn:
        seen = conn.execute(sa.text("SELECT count(*) FROM processed_data.observations_to_validate")).scalar()
    engine.dispose()
    assert 0 < seen == day < everything


def test_batch_reads_narrow_each_year_to_itself_unless_nothing_lies_outside():
    d = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731
    days = validation.window_batches(d(2024, 1, 1, 23), d(2024, 1, 2, 2))
    assert validation.batch_reads(days, lambda span: True) == [((d(2024, 1, 1), d(2024, 1, 3)), days)]
    years = validation.window_batches(d(2023, 6, 1), d(2025, 1, 1))
    assert validation.batch_reads(years, lambda span: True) == [
        ((d(2023, 1, 1), d(2024, 1, 1)), [years[0]]),
        ((d(2024, 1, 1), d(2025, 1, 1)), [years[1]]),
    ]
    only_2024 = lambda span: span[0].year != 2024  # noqa: E731  (processed_data holds 2024 alone)
    assert validation.batch_reads(years, only_2024) == [
        ((d(2023, 1, 1), d(2024, 1, 1)), [years[0]]),
        (None, [years[1]]),
    ]


def test_a_year_batch_reads_its_year_only(gx_home, clean_sample, tmp_path, monkeypatch):
    """#14: with 2023 loaded beside 2024, GX's connections for the 2024 batch see 2024's rows only."""
    import sqlalchemy as sa

    earlier = generate(tmp_path / "y", start=datetime(2023, 11, 1).date(), days=2)
    with connect("pipeline", clean_sample) as conn:
        ingest.load_archive(conn, list_files(earlier.archive_zip), "load")
        transform.clean(conn, datetime(2023, 11, 1, tzinfo=UTC), datetime(2023, 11, 3, tzinfo=UTC), "run-2023")
    with connect("reader", clean_sample) as conn:
        per_year = dict(
            conn.execute(
                "SELECT extract(year FROM observed_at)::int, count(*) FROM processed_data.observations GROUP BY 1"
            ).fetchall()
        )
    seen: list[int] = []
    real_setup = validation.setup

    def setup_and_count(settings, window=None):
        ctx = real_setup(settings, window)
        engine = sa.create_engine(os.environ[validation.URL_VARIABLE])
        with engine.connect() as conn:
            seen.append(conn.execute(sa.text("SELECT count(*) FROM processed_data.observations_to_validate")).scalar())
        engine.dispose()
        return ctx

    monkeypatch.setattr(validation, "setup", setup_and_count)
    report = validation.validate(datetime(2023, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), clean_sample)
    assert report.success, report.failures
    assert report.batches == ["yearly 2023", "yearly 2024", "stations"]
    assert seen == [per_year[2023], per_year[2024]] and min(per_year.values()) > 0


def test_real_a807_years_pass_the_suites(gx_home, migrated_db):
    from tests.conftest import samples_dir

    samples = samples_dir()
    with connect("pipeline", migrated_db) as conn:
        for year in (2018, 2019, 2024):
            path = samples / f"INMET_S_PR_A807_CURITIBA_01-01-{year}_A_31-12-{year}.CSV"
            ingest.load_archive(conn, list_files(path), "load")
        transform.clean(conn, datetime(2018, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), "run-real")
    report = validation.validate(datetime(2018, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), migrated_db)
    # 2020-2023 hold no data: those yearly batches report it; the three real years pass every expectation
    real = [
        f for f in report.failures if not f.startswith(("yearly 2020", "yearly 2021", "yearly 2022", "yearly 2023"))
    ]
    assert real == [], real
    assert {"yearly 2018", "yearly 2019", "yearly 2024", "stations"} <= set(report.batches)


def test_a_year_batch_records_verdicts_and_details_only_what_failed(gx_home, clean_sample, monkeypatch):
    """#19: year batches run in BOOLEAN_ONLY (no scan for examples of expectations that passed); a failed
    one is validated again in SUMMARY, so the message still has its count and examples."""
    year = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    formats: list[str] = []
    real_run = validation._run

    def spy(ctx, runs, report):
        formats.extend(ctx.checkpoints.get(name).result_format for name, _ in runs if name != "stations")
        return real_run(ctx, runs, report)

    monkeypatch.setattr(validation, "_run", spy)
    ok = validation.validate(*year, clean_sample)
    assert ok.success and ok.batches == ["yearly 2024", "stations"] and formats == ["BOOLEAN_ONLY"]
    with connect("admin", clean_sample) as conn:
        conn.execute(
            "UPDATE processed_data.observations SET rel_humidity_pct = 150 "
            "WHERE station_code = 'Z807' AND observed_at = '2024-11-02 03:00+00'"
        )
        conn.commit()
    bad = validation.validate(*year, clean_sample)
    assert [f for f in bad.failures if "rel_humidity_pct" in f] == [
        "yearly 2024: expect_column_values_to_be_between(column=rel_humidity_pct, min_value=0.0, max_value=100.0): "
        "1 unexpected, e.g. [150.0]"
    ], bad.failures


def test_data_docs_work_offline(gx_home, clean_sample, tmp_path):
    """The pages load no CDN, no S3 logo: with every host unresolvable, the validation table still shows."""
    from lumen.validate import docs_assets
    from tests.e2e import browser

    if not docs_assets.present():
        pytest.fail(
            "the Data Docs assets are missing: `make setup` fetches them (python -m lumen.validate.docs_assets)"
        )
    validation.validate(datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 2, tzinfo=UTC), clean_sample)
    index = validation.build_docs(clean_sample)
    pages = list(index.parent.rglob("*.html"))
    assert len(pages) >= 3  # the index, a suite, a validation result
    for page in pages:
        html = page.read_text()
        remote = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="(https?:[^"]*)"', html)
        assert not remote, f"{page.name} still loads {remote}"
    offline = ["--host-resolver-rules=MAP * ~NOTFOUND"]  # no name resolves: any remote asset would fail
    dom = browser.dom(index.as_uri(), wait_ms=3000, extra=offline)
    assert 'class="bootstrap-table' in dom  # bootstrap-table's JS ran: jquery, bootstrap and it loaded
    rows = re.findall(r'<tr[^>]*data-index="\d+"', dom)
    assert rows, "the validation index shows no rows (only its filter buttons)"
    assert "observations_daily" in dom or "processed_observations" in dom
    result = next(p for p in pages if "/validations/" in p.as_posix())
    page = browser.dom(result.as_uri(), wait_ms=3000, extra=offline)
    assert "expect_column_values_to_be_between" in page or "Expectation" in page
    shot = browser.screenshot(result.as_uri(), tmp_path / "validation.png", wait_ms=3000, extra=offline)
    assert shot.stat().st_size > 10_000
