"""Provisioning against a fake of Metabase's API (no Metabase server can run here)."""

from pathlib import Path

import pytest
import yaml

from lumen.errors import LumenError
from lumen.metabase import spec as specs
from lumen.metabase.provision import MetabaseError, provision
from tests.conftest import ROOT, make_settings
from tests.fakes.metabase import FakeMetabase

SPEC = ROOT / "metabase" / "dashboard.yml"


def settings_for(fake: FakeMetabase, **extra):
    base = {
        "LUMEN_DATABASE_URL": "postgresql://owner:0wner-pw@postgres:5432/lumen",
        "LUMEN_READER_PASSWORD": "read3r-pw",
        "METABASE_URL": fake.url,
        "LUMEN_METABASE_ADMIN_EMAIL": "admin@lumen.local",
        "LUMEN_METABASE_ADMIN_PASSWORD": "Adm1n-pass-9",
    }
    return make_settings(**{**base, **extra})


def test_first_run_creates_everything_with_the_right_calls():
    with FakeMetabase() as fake:
        report = provision(settings_for(fake), SPEC, sync_timeout_s=20)
    writes = fake.writes()
    assert writes[0] == ("POST", "/api/setup") and ("POST", "/api/session") not in writes
    assert ("POST", "/api/database") in writes and writes.count(("POST", "/api/card")) == 9
    assert writes.index(("POST", "/api/database")) < writes.index(next(w for w in writes if "sync_schema" in w[1]))
    assert writes[-1][0] == "PUT" and writes[-1][1].startswith("/api/dashboard/")
    (db,) = fake.databases.values()
    assert db["initial_sync_status"] == "complete"  # waited for the asynchronous sync
    assert db["details"]["user"] == "lumen_reader" and db["details"]["host"] == "postgres"
    assert db["details"]["schema-filters-patterns"] == "processed_data,analytics"
    (dash,) = fake.dashboards.values()
    assert dash["name"] == "LÚMEN — Clima INMET" and len(dash["dashcards"]) == 9
    assert {p["slug"] for p in dash["parameters"]} == {"station", "start", "end"}
    temp = next(c for c in dash["dashcards"] if fake.cards[c["card_id"]]["name"] == "Temperatura diária (°C)")
    assert {m["parameter_id"] for m in temp["parameter_mappings"]} == {"station", "start", "end"}
    forecast = next(c for c in dash["dashcards"] if fake.cards[c["card_id"]]["name"].startswith("Previsão"))
    assert {m["parameter_id"] for m in forecast["parameter_mappings"]} == {"station", "start", "end"}
    assert all(c["collection_id"] == dash["collection_id"] for c in fake.cards.values())
    assert "created database" in report.line() and report.dashboard_url.endswith(f"/dashboard/{dash['id']}")


def test_second_run_changes_nothing():
    with FakeMetabase() as fake:
        provision(settings_for(fake), SPEC, sync_timeout_s=20)
        before = len(fake.calls)
        report = provision(settings_for(fake), SPEC, sync_timeout_s=20)
        second = fake.calls[before:]
    assert [c for c in second if c[0] != "GET" and c[1] != "/api/session"] == []  # no POST, no PUT
    assert ("POST", "/api/session") in second  # setup answered: it logs in instead
    assert report.created == [] and report.updated == []


def test_a_changed_spec_updates_in_place(tmp_path):
    changed = yaml.safe_load(SPEC.read_text())
    changed["questions"][1]["display"] = "line"
    changed["dashboard"]["cards"] = changed["dashboard"]["cards"][:4]  # drop the quality and forecast panels
    path = tmp_path / "dashboard.yml"
    path.write_text(yaml.safe_dump(changed, allow_unicode=True))
    with FakeMetabase() as fake:
        provision(settings_for(fake), SPEC, sync_timeout_s=20)
        ids = set(fake.cards)
        report = provision(settings_for(fake), path, sync_timeout_s=20)
        (dash,) = fake.dashboards.values()
    assert set(fake.cards) == ids  # updated, not duplicated
    assert report.updated == ["card 'Chuva diária (mm)'", "dashboard 'LÚMEN — Clima INMET'"]
    assert len(dash["dashcards"]) == 4


def test_wrong_admin_password_is_a_clear_error():
    with FakeMetabase() as fake:
        provision(settings_for(fake), SPEC, sync_timeout_s=20)
        with pytest.raises(MetabaseError, match=r"POST /api/session: HTTP 401"):
            provision(settings_for(fake, LUMEN_METABASE_ADMIN_PASSWORD="wrong-one"), SPEC)


def test_embedded_socket_database_is_refused_for_metabase():
    with FakeMetabase() as fake:
        s = settings_for(fake, LUMEN_DATABASE_URL="postgresql://postgres@/lumen?host=/tmp/sock")
        with pytest.raises(LumenError, match="over TCP"):
            provision(s, SPEC)


def test_spec_checks(tmp_path: Path):
    spec = specs.load(SPEC)
    assert len(spec.questions) == 9 and spec.version.startswith("v0.50")
    bad = yaml.safe_load(SPEC.read_text())
    bad["questions"][0]["sql"] += " AND x = {{undeclared}}"
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True))
    with pytest.raises(LumenError, match="SQL uses tags"):
        specs.load(path)


def test_an_aborted_sync_fails_at_once_with_what_to_do():
    """Metabase marks a sync it cannot finish "aborted"; waiting the whole timeout for it helped nobody."""
    import time

    with FakeMetabase() as fake:
        fake.sync_fails = True
        t0 = time.monotonic()
        with pytest.raises(
            MetabaseError, match=r"Metabase aborted its schema sync .* `lumen metabase provision --sync`"
        ):
            provision(settings_for(fake), SPEC, sync_timeout_s=60)
    assert time.monotonic() - t0 < 15


def test_metabase_refuses_a_password_without_a_digit_and_every_generated_secret_has_one():
    """Metabase's default complexity ("normal") wants 6+ characters and a digit; `.env`'s generated secrets
    always qualify (token_urlsafe alone lacks a digit about 1.7 % of the time)."""
    from lumen.envfile import new_secret
    from tests.fakes.metabase import password_problem

    with FakeMetabase() as fake, pytest.raises(MetabaseError, match="Insufficient password strength"):
        provision(settings_for(fake, LUMEN_METABASE_ADMIN_PASSWORD="only-letters-here"), SPEC, sync_timeout_s=5)
    assert all(password_problem(new_secret()) is None for _ in range(3000))


def test_setup_asks_for_a_locale_metabase_ships():
    with FakeMetabase() as fake:
        provision(settings_for(fake), SPEC, sync_timeout_s=20)
    assert fake.setup_body["prefs"]["site_locale"] == "pt_BR"
    with FakeMetabase() as fake:  # the fake refuses what Metabase refuses: it ships no plain "pt"
        fake.setup_body = {}
        status, _ = fake.route(
            "POST",
            "/api/setup",
            {},
            {
                "token": fake.setup_token,
                "prefs": {"site_locale": "pt"},
                "user": {"email": "a@b.c", "password": "Adm1n-pass-9"},
            },
            None,
        )
    assert status == 400
