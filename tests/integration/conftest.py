"""Fixtures shared by the integration modules."""

from __future__ import annotations

import pytest

from lumen.db import connect
from lumen.publish import analytics
from lumen.run.database import migrate
from tests.conftest import empty_database, load_curitiba, samples_dir


@pytest.fixture(scope="session")
def curitiba_analytics(pg_admin_url, migrated_template):
    """INMET's real Curitiba files (A807 2018, 2019, 2024) cleaned and the analytics built from them,
    in a database of their own (read by the alert and the completeness tests)."""
    samples_dir()  # skipped before any set-up where the samples are absent
    with empty_database(pg_admin_url, template=migrated_template) as settings:
        migrate(settings)
        with connect("pipeline", settings) as conn:
            load_curitiba(conn)
        analytics.build(settings)
        yield settings
