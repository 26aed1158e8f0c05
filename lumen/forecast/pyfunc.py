"""The registered model as MLflow serves it: a pyfunc around lumen.forecast.model.Model.

Input: the `model_input(model.features)` columns of issue rows (lumen.forecast.features). Output: predicted_c,
p10_c and p90_c, row for row. The model carries its training climatology, so the served model
needs nothing but its input.
"""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd

from lumen.forecast.model import Model


class NextHourModel(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined]  # mlflow ships no stubs
    def __init__(self, model: Model) -> None:
        self.model = model

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        return self.model.predict_values(model_input)
