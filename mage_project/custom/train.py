"""Daily: train the next-hour model on the last two years (or the run's start/end), log it to
MLflow and promote it only if it beats both baselines and the champion (lumen step train)."""

if "custom" not in globals():
    from mage_ai.data_preparation.decorators import custom

from mage_project.utils.lumen_step import new_run, run_step, variable


@custom
def train(*args, **kwargs):
    run = new_run("forecast_train", kwargs)
    params = {
        "start": run["start"],
        "end": run["end"],
        "stations": variable(kwargs, "stations"),
        "test_from": variable(kwargs, "test_from"),
        # the daily schedule on a young database waits for data; a window someone gave fails loudly
        "when_short": "fail" if variable(kwargs, "start") else "wait",
    }
    return run_step("train", run, params, last=True)
