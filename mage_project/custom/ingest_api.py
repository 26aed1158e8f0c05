"""Hourly: INMET API → raw_data, from each station's watermark (lumen step ingest, source=api)."""

if "custom" not in globals():
    from mage_ai.data_preparation.decorators import custom

from mage_project.utils.lumen_step import new_run, run_step, variable


@custom
def ingest_api(*args, **kwargs):
    run = new_run("hourly", kwargs)
    stations = variable(kwargs, "stations")
    if not stations:
        raise ValueError("set the pipeline variable `stations` (e.g. A001,A652) in inmet_hourly/metadata.yaml")
    params = {"source": "api", "stations": stations, "end": run["end"]}
    if variable(kwargs, "api_start"):
        params["start"] = variable(kwargs, "api_start")
    return run_step("ingest", run, params)
