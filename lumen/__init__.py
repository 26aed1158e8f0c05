"""LÚMEN: a reproducible, Jupyter-first data stack for INMET (Brazil) weather data."""

__version__ = "0.1.0"
