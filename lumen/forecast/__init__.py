"""Next-hour air temperature per station: features (features.py), model and baselines (model.py),
reading processed_data (data.py), MLflow tracking and serving (tracking.py), training (train.py)
and forecasts (predict.py).

This file stays light: `lumen status` and the MLflow server code import the package without
pandas or LightGBM."""

import warnings

from lumen.errors import LumenError

# MLflow imports tqdm.auto, which warns inside a kernel without ipywidgets ("IProgress not found"):
# LÚMEN shows no progress bars there, so the warning asked the user to install something for nothing.
warnings.filterwarnings("ignore", message="IProgress not found")


class ForecastError(LumenError):
    """Training or prediction cannot go on as asked (the message says why and what to do)."""


class NotEnoughData(ForecastError):
    """Too few hours to train or test on: a scheduled training waits for data instead of failing.
    `short` is what is missing, for that step's one-line summary."""

    def __init__(self, message: str, short: str) -> None:
        super().__init__(message)
        self.short = short
