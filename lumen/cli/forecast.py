"""`lumen forecast train|predict|evaluate`: the next-hour model."""

from __future__ import annotations

import json
from datetime import timedelta

import typer

from lumen.cli.common import console, err_console, given, new_app
from lumen.config import get_settings

app = new_app("Next-hour air temperature: train, forecast, evaluate (MLflow tracks and serves the model).")
STATIONS = typer.Option("", help="Only these station codes, comma-separated (default: all).")


@app.command("train")
def train_command(
    start: str = typer.Option(..., help="First day or hour of the training window, UTC."),
    end: str = typer.Option(..., help="Last day (included) or hour (excluded), UTC."),
    stations: str = STATIONS,
    test_from: str = typer.Option("", help="The test period starts here (default: the window's last 20 %)."),
    neighbours: str = typer.Option("compare", help="Neighbour-station features: compare (kept if they help), on, off."),
) -> None:
    """Train on the window, score against both baselines, log to MLflow; promote if it earns it."""
    from lumen.run.steps import run_here

    console.print(
        run_here(
            "train", given(start=start, end=end, stations=stations, test_from=test_from, neighbours=neighbours)
        ).summary
    )


@app.command("predict")
def predict_command(
    at: str = typer.Option("", help="The issue hour (UTC); default: the newest observed hour."),
    start: str = typer.Option("", help="Or every issue hour from here (a hindcast) …"),
    end: str = typer.Option("", help="… to here (excluded)."),
    stations: str = STATIONS,
) -> None:
    """Forecast the next hour from the champion into analytics.temperature_forecast."""
    from lumen.run.steps import run_here
    from lumen.window import parse_instant

    if at and (start or end):
        raise typer.BadParameter("give --at, or --start/--end, not both")
    if at:
        hour = parse_instant(at)
        start, end = f"{hour:%Y-%m-%dT%H:%M}", f"{hour.replace(minute=0) + timedelta(hours=1):%Y-%m-%dT%H:%M}"
    result = run_here("forecast", given(start=start, end=end, stations=stations))
    console.print(result.summary)
    if result.warning:
        err_console.print("warning: " + result.warning)


@app.command("evaluate")
def evaluate_command(
    start: str = typer.Option(..., help="First day or hour, UTC."),
    end: str = typer.Option(..., help="Last day (included) or hour (excluded), UTC."),
    stations: str = STATIONS,
    as_json: bool = typer.Option(False, "--json", help="One JSON object (n, rmse_model, rmse_persistence, …)."),
) -> None:
    """Score the champion and both baselines on any window of processed_data."""
    from lumen.forecast.predict import evaluate
    from lumen.vocabulary import station_codes
    from lumen.window import parse_window

    lo, hi = parse_window(start, end)
    scores = evaluate(get_settings(), lo, hi, station_codes(stations) or None)
    if as_json:
        print(json.dumps(scores))
        return
    console.print(
        f"champion v{scores['model_version']} on {scores['n']:,} hours: RMSE {scores['rmse_model']:.3f} °C "
        f"(persistence {scores['rmse_persistence']:.3f}, climatology {scores['rmse_climatology']:.3f}); "
        f"skill {scores['skill']:.2f}; 10-90 % coverage {scores['coverage_10_90']:.0%}"
    )
    if scores["unseen"]:
        what = "scored as asked (no climatology of their own)" if scores["unseen_scored"] else "left out (--stations "
        what += "" if scores["unseen_scored"] else "scores them anyway)"
        err_console.print(
            f"note: {len(scores['unseen'])} station(s) the model never saw {what}: {', '.join(scores['unseen'][:10])}"
        )
