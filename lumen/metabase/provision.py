"""Provision Metabase (open source, v0.50+) from metabase/dashboard.yml through its REST API.

1. first-run setup with the admin from .env (`POST /api/setup`, which answers 403 once
   a user exists: then `POST /api/session`);
2. the database, as lumen_reader, limited to processed_data and analytics; a schema sync
   is triggered and waited for when the database is new or changed (sync is asynchronous);
3. the collection, the cards and the dashboard, found by name and created or updated;
   dashcards are placed with `PUT /api/dashboard/:id` (negative ids = new, omitted = removed).

Running it twice changes nothing: the second run only reads (GET).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import requests
from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from lumen.config import Settings, get_settings
from lumen.db.engine import role_conn
from lumen.errors import LumenError
from lumen.metabase import spec as specs

SPEC_PATH = Path("metabase") / "dashboard.yml"


class MetabaseError(LumenError):
    """Metabase refused a request; the message names the call, the status and Metabase's words."""


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    dashboard_url: str = ""

    def line(self) -> str:
        made = ", ".join(self.created) or "nothing"
        changed = ", ".join(self.updated) or "nothing"
        return f"metabase: created {made}; updated {changed}; dashboard {self.dashboard_url}"


class Metabase:
    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.http = requests.Session()
        self.timeout_s = timeout_s

    def call(self, method: str, path: str, **kwargs):
        try:
            resp = self.http.request(method, self.url + path, timeout=self.timeout_s, **kwargs)
        except requests.RequestException as exc:
            raise MetabaseError(f"cannot reach Metabase at {self.url} ({type(exc).__name__})") from None
        if resp.status_code >= 400:
            raise MetabaseError(f"{method} {path}: HTTP {resp.status_code}: {resp.text[:200]}")
        return resp.json() if resp.content.strip() else None

    def login(self, email: str, password: str) -> None:
        props = self.call("GET", "/api/session/properties")
        session = None
        if not props.get("has-user-setup") and props.get("setup-token"):
            try:
                session = self.call(
                    "POST",
                    "/api/setup",
                    json={
                        "token": props["setup-token"],
                        "user": {
                            "email": email,
                            "password": password,
                            "first_name": "LÚMEN",
                            "last_name": "Admin",
                            "site_name": "LÚMEN",
                        },
                        "prefs": {"site_name": "LÚMEN", "site_locale": "pt_BR", "allow_tracking": False},
                    },
                )
            except MetabaseError as exc:
                if "HTTP 403" not in str(exc):  # someone finished setup meanwhile: log in instead
                    raise
        if session is None:
            session = self.call("POST", "/api/session", json={"username": email, "password": password})
        self.http.headers["X-Metabase-Session"] = session["id"]


def _items(payload) -> list[dict]:
    """Metabase lists come bare or as {"data": [...]} depending on the endpoint and version."""
    return payload.get("data", []) if isinstance(payload, dict) else list(payload or [])


def _differs(current: dict, desired: dict) -> bool:
    return any(current.get(k) != v for k, v in desired.items())


def provision(
    settings: Settings | None = None,
    spec_path: Path | None = None,
    sync_timeout_s: float = 300,
    force_sync: bool = False,
) -> Report:
    settings = settings or get_settings()
    spec = specs.load(spec_path or settings.root / SPEC_PATH)
    if not settings.metabase_admin_password:
        raise LumenError("LUMEN_METABASE_ADMIN_PASSWORD is not set (make setup generates it in .env)")
    mb = Metabase(settings.metabase_url)
    mb.login(settings.metabase_admin_email, settings.metabase_admin_password.get_secret_value())
    report = Report()
    db_id = _database(mb, settings, spec, report, sync_timeout_s, force_sync)
    collection_id = _collection(mb, spec.collection, report)
    items = _items(mb.call("GET", f"/api/collection/{collection_id}/items", params={"models": ["card", "dashboard"]}))
    existing = {(i["model"], i["name"]): i["id"] for i in items}
    card_ids: dict[str, int] = {}
    for q in spec.questions:
        desired = specs.card_payload(q, db_id, collection_id, spec)
        if ("card", q["name"]) not in existing:
            card_ids[q["name"]] = mb.call("POST", "/api/card", json=desired)["id"]
            report.created.append(f"card {q['name']!r}")
            continue
        card_id = card_ids[q["name"]] = existing[("card", q["name"])]
        if _differs(mb.call("GET", f"/api/card/{card_id}"), desired):
            mb.call("PUT", f"/api/card/{card_id}", json=desired)
            report.updated.append(f"card {q['name']!r}")
    dash = spec.dashboard
    parameters = specs.dashboard_parameters(spec)
    dash_id = existing.get(("dashboard", dash["name"]))
    if dash_id is None:
        body = {
            "name": dash["name"],
            "description": dash.get("description"),
            "collection_id": collection_id,
            "parameters": parameters,
        }
        dash_id = mb.call("POST", "/api/dashboard", json=body)["id"]
        report.created.append(f"dashboard {dash['name']!r}")
    current = mb.call("GET", f"/api/dashboard/{dash_id}")
    placed = {c["card_id"]: c["id"] for c in current.get("dashcards", [])}
    cards = specs.dashcards(spec, card_ids, placed)
    keys = ("id", "card_id", "row", "col", "size_x", "size_y", "parameter_mappings")
    now = sorted(({k: c.get(k) for k in keys} for c in current.get("dashcards", [])), key=lambda c: c["id"])
    want = sorted(({k: c[k] for k in keys} for c in cards), key=lambda c: c["id"])
    if now != want or current.get("parameters") != parameters or current.get("description") != dash.get("description"):
        mb.call(
            "PUT",
            f"/api/dashboard/{dash_id}",
            json={"dashcards": cards, "parameters": parameters, "description": dash.get("description")},
        )
        if ("dashboard", dash["name"]) in existing:
            report.updated.append(f"dashboard {dash['name']!r}")
    report.dashboard_url = f"{mb.url}/dashboard/{dash_id}"
    return report


def _database(
    mb: Metabase, settings: Settings, spec: specs.Spec, report: Report, timeout_s: float, force_sync: bool
) -> int:
    reader = role_conn("reader", settings)
    if not reader.host or reader.host.startswith("/"):
        raise LumenError("Metabase reaches PostgreSQL over TCP: set LUMEN_DATABASE_URL to a host:port URL")
    details = {
        "host": reader.host, "port": reader.port or 5432, "dbname": reader.dbname, "user": reader.user,
        "ssl": False, "schema-filters-type": "inclusion",
        "schema-filters-patterns": ",".join(spec.database["schemas"]),
    }  # fmt: skip
    name = spec.database["name"]
    found = [d for d in _items(mb.call("GET", "/api/database")) if d.get("name") == name]
    changed = False
    if not found:
        db = mb.call(
            "POST",
            "/api/database",
            json={
                "engine": "postgres",
                "name": name,
                "is_full_sync": True,
                "details": {**details, "password": reader.password},
            },
        )
        report.created.append(f"database {name!r}")
        changed = True
    else:
        db = found[0]
        if _differs(db.get("details") or {}, details):
            db = mb.call("PUT", f"/api/database/{db['id']}", json={"details": {**details, "password": reader.password}})
            report.updated.append(f"database {name!r}")
            changed = True
    if changed or force_sync:
        mb.call("POST", f"/api/database/{db['id']}/sync_schema")
        _wait_for_sync(mb, int(db["id"]), name, timeout_s)
    return int(db["id"])


def _wait_for_sync(mb: Metabase, db_id: int, name: str, timeout_s: float) -> None:
    """Metabase syncs asynchronously: poll until "complete"; "aborted" fails at once."""

    def status() -> str:
        state = mb.call("GET", f"/api/database/{db_id}").get("initial_sync_status")
        if state == "aborted":
            raise MetabaseError(
                f"database {name!r}: Metabase aborted its schema sync (it could not read the database): check "
                "that Metabase reaches PostgreSQL as lumen_reader, then `lumen metabase provision --sync`"
            )
        return str(state)

    try:
        Retrying(
            stop=stop_after_delay(timeout_s), wait=wait_fixed(1.0), retry=retry_if_result(lambda s: s != "complete")
        )(status)
    except RetryError:
        raise MetabaseError(f"database {name!r}: schema sync did not complete in {timeout_s:g} s") from None


def _collection(mb: Metabase, name: str, report: Report) -> int:
    found = [c for c in _items(mb.call("GET", "/api/collection")) if c.get("name") == name and not c.get("archived")]
    if found:
        return int(found[0]["id"])
    report.created.append(f"collection {name!r}")
    return int(mb.call("POST", "/api/collection", json={"name": name, "color": "#509EE3"})["id"])
