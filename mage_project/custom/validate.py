"""Great Expectations over the run's window (lumen step validate); nothing is published when it fails."""

if "custom" not in globals():
    from mage_ai.data_preparation.decorators import custom

from mage_project.utils.lumen_step import run_step


@custom
def validate(run, *args, **kwargs):
    return run_step("validate", run, {"start": run["start"], "end": run["end"]})
