"""Refresh analytics (lumen step publish). It frees the run lock unless a forecast step follows
(the hourly pipeline)."""

if "custom" not in globals():
    from mage_ai.data_preparation.decorators import custom

from mage_project.utils.lumen_step import run_step


@custom
def publish(run, *args, **kwargs):
    last = run.get("pipeline") != "hourly"  # inmet_hourly ends with the forecast step
    return run_step("publish", run, {"start": run["start"], "end": run["end"]}, last=last)
