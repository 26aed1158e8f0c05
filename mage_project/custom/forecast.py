"""Hourly, after publish: next-hour forecasts from the MLflow champion (lumen step forecast); it
frees the run lock. With no champion yet it does nothing and succeeds."""

if "custom" not in globals():
    from mage_ai.data_preparation.decorators import custom

from mage_project.utils.lumen_step import run_step, variable


@custom
def forecast(run, *args, **kwargs):
    return run_step("forecast", run, {"stations": variable(kwargs, "forecast_stations")}, last=True)
