"""Next-hour air temperature per station: features (features.py), model and baselines (model.py),
reading processed_data (data.py). MLflow tracking and serving come on top of these."""
