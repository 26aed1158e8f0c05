"""Refresh analytics (lumen step publish) and release the run lock."""

if "custom" not in globals():
    from mage_ai.data_preparation.decorators import custom

from mage_project.utils.lumen_step import run_step


@custom
def publish(run, *args, **kwargs):
    return run_step("publish", run, {"start": run["start"], "end": run["end"]}, last=True)
