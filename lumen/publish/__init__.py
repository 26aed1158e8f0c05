"""The publish step: dbt builds and tests the analytics (then the alert rules run over them)."""
