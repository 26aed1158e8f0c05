"""raw_data → processed_data for the run's window (lumen step clean); fails on quality problems."""

if "custom" not in globals():
    from mage_ai.data_preparation.decorators import custom

from mage_project.utils.lumen_step import run_step, variable


@custom
def clean(run, *args, **kwargs):
    return run_step("clean", run, {"start": run["start"], "end": run["end"], "stations": variable(kwargs, "stations")})
