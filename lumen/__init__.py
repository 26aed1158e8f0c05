"""LÚMEN: a reproducible, Jupyter-first data stack for INMET (Brazil) weather data."""

import sys

__version__ = "0.1.0"

# jsonschema imports rfc3987-syntax when it is installed (JupyterLab's jsonschema[format-nongpl]
# brings it) and compiles an IRI grammar on import: 1.4–1.8 s of every Great Expectations and
# dbt start-up here, for an "iri" format check neither uses. Marking it absent makes jsonschema
# skip that one format; everything else validates as before.
if "rfc3987_syntax" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
