"""The HTML report, opened in headless Chromium as a person would see it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e import browser
from tests.e2e.conftest import lumen

pytestmark = pytest.mark.slow


def test_report_renders_with_plots_and_no_errors(env, no_model):
    home = Path(env["LUMEN_HOME"])
    assert lumen(env, "sample", "--out", str(home / "s"), "--days", "7").returncode == 0
    assert lumen(env, "stations", "--file", str(home / "s/api/estacoes_T.json"), "--save").returncode == 0
    zpath = str(home / "s/archive/2024.zip")
    run = lumen(env, "pipeline", "run", "backfill", "--archive", zpath, "--start", "2024-11-01", "--end", "2024-11-07")
    assert run.returncode == 0, run.stderr[-2000:]
    out = lumen(env, "report", "--start", "2024-11-01", "--end", "2024-11-07")
    assert out.returncode == 0, out.stderr[-2000:]
    html = Path(out.stdout.strip().splitlines()[-1])
    assert html == home / "reports" / "weather_report_2024-11-01_2024-11-07.html"
    page = browser.dom(html.as_uri())
    headings = re.findall(r"<h[12][^>]*>(.*?)<", page)
    assert headings[:1] == ["LÚMEN — weather report"]
    assert {
        "In short",
        "Temperature",
        "Daily rain",
        "Next-hour forecast",
        "Alerts",
        "Latest readings",
        "Data quality",
    } <= {h.strip() for h in headings}
    images = re.findall(r'<img[^>]+src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2 and all(len(i) > 20_000 for i in images)  # two real plots
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", body)
    assert "Traceback" not in text and "Error" not in text and "def " not in text  # no code cells
    assert "CURITIBA" in text and "4 station(s)" in text
    assert "No next-hour forecasts for these stations and days yet" in text  # nothing trained: said, not an error
    assert (
        re.search(r"\d+ episode\(s\) \(\d+ orange, \d+ yellow\)", text) and "Rajadas de vento" in text
    )  # the sample's gusts
    assert "not INMET's official warnings" in text
    latest = text[text.index("Latest readings") : text.index("Data quality")]
    assert "hours_before_window_end" in latest  # counted to the window's end, not to today (~18,000 h)
    assert max(float(v) for v in re.findall(r"(?<![\d:-])\d+\.\d(?![\d:])", latest)) < 200
    shot = browser.screenshot(html.as_uri(), ROOT / "runs" / "screenshots" / "weather_report.png")
    assert shot.stat().st_size > 50_000


def test_report_shows_forecasts_against_observations_and_skill(env, no_model):
    home = Path(env["LUMEN_HOME"])
    assert lumen(env, "sample", "--out", str(home / "s"), "--days", "12").returncode == 0
    zpath = str(home / "s/archive/2024.zip")
    run = lumen(env, "pipeline", "run", "backfill", "--archive", zpath, "--start", "2024-11-01", "--end", "2024-11-12")
    assert run.returncode == 0, run.stderr[-2000:]
    trained = lumen(env, "forecast", "train", "--start", "2024-11-01", "--end", "2024-11-12")
    assert trained.returncode == 0, trained.stderr[-2000:]
    done = lumen(env, "forecast", "predict", "--start", "2024-11-10", "--end", "2024-11-12")
    assert done.returncode == 0 and "next-hour forecast(s) issued 2024-11-10 00:00 … 2024-11-12 23:00" in done.stdout
    out = lumen(env, "report", "--start", "2024-11-01", "--end", "2024-11-12")
    assert out.returncode == 0, out.stderr[-2000:]
    page = browser.dom(Path(out.stdout.strip().splitlines()[-1]).as_uri())
    images = re.findall(r'<img[^>]+src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3 and all(len(i) > 20_000 for i in images)  # temperature, rain, forecast
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S))
    assert re.search(r"by\s+lumen-next-hour-temperature\s+v1,", text), "the model that made them is named"
    assert "mae_persistence_c" in text and "coverage_10_90_pct" in text  # the skill table


HOSTILE = "<script>document.title='XSS'</script><img src=x onerror=alert(1)>[x](javascript:alert(1)) $\\frac$"


def test_a_hostile_station_name_is_shown_never_run(env, no_model, tmp_path):
    """A name from a file's ESTACAO: line (or the API's DC_NOME) is text in every HTML the report writes (#26)."""
    from tests.crafted import station_csv

    home = Path(env["LUMEN_HOME"])
    station_csv(tmp_path / "files", "A990", name=HOSTILE, file_name="INMET_S_PR_A990_X_01-01-2024_A_31-12-2024.CSV")
    assert lumen(env, "ingest", "archive", str(tmp_path / "files")).returncode == 0
    assert lumen(env, "clean", "--start", "2024-01-01", "--end", "2024-01-03").returncode == 0
    assert lumen(env, "dbt", "build").returncode == 0
    out = lumen(env, "report", "--start", "2024-01-01", "--end", "2024-01-03")
    assert out.returncode == 0, out.stderr[-2000:]
    html = Path(out.stdout.strip().splitlines()[-1])
    assert html == home / "reports" / "weather_report_2024-01-01_2024-01-03.html"  # the name it always had
    source = html.read_text(encoding="utf-8")
    assert "<script>document.title" not in source and "<img src=x" not in source
    page = browser.dom(html.as_uri(), wait_ms=2000)
    assert "<title>XSS</title>" not in page and 'src="x"' not in page and 'href="javascript:' not in page
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S))
    assert "document.title='XSS'" in text.replace("&#x27;", "'").replace("&#39;", "'")  # shown as text


def test_a_report_before_publish_names_the_command_that_builds_it(env):
    """#27 new-user 2: `lumen report` right after `lumen clean` said "no processed data" while
    processed_data held the rows; the report reads the analytics publish builds, and now says so."""
    home = Path(env["LUMEN_HOME"])
    assert lumen(env, "sample", "--out", str(home / "s"), "--days", "3").returncode == 0
    nothing = lumen(env, "report", "--start", "2024-11-01", "--end", "2024-11-03")
    assert nothing.returncode == 1 and len([ln for ln in nothing.stderr.splitlines() if "error" in ln]) == 1
    assert "no processed data for any station between 2024-11-01 and 2024-11-03: load it and clean it first" in (
        nothing.stderr
    )
    assert lumen(env, "ingest", "archive", str(home / "s/archive/2024.zip")).returncode == 0
    assert lumen(env, "clean", "--start", "2024-11-01", "--end", "2024-11-03").returncode == 0
    out = lumen(env, "report", "--start", "2024-11-01", "--end", "2024-11-03")
    assert out.returncode == 1
    line = out.stderr.strip().splitlines()[-1]
    assert (
        line.startswith("lumen: error: the report failed: processed_data holds ") and "hours of any station" in line
    ), line
    assert "`lumen step publish -p start=2024-11-01 -p end=2024-11-03 --last` builds them" in line
    assert lumen(env, "step", "publish", "-p", "start=2024-11-01", "-p", "end=2024-11-03", "--last").returncode == 0
    assert lumen(env, "report", "--start", "2024-11-01", "--end", "2024-11-03").returncode == 0
