"""Next-hour air temperature per station: features (features.py), model and baselines (model.py),
reading processed_data (data.py), MLflow tracking and serving (tracking.py), training (train.py)
and forecasts (predict.py).

This file stays light: `lumen status` and the MLflow server code import the package without
pandas or LightGBM."""

from lumen.errors import LumenError


class ForecastError(LumenError):
    """Training or prediction cannot go on as asked (the message says why and what to do)."""


class NotEnoughData(ForecastError):
    """Too few hours to train or test on: a scheduled training waits for data instead of failing."""
