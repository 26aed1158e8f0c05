"""A fake of open-source Metabase v0.50's REST API: its shapes, statuses and rules, in memory.

Rules it enforces (Metabase's documented behaviour, see ../shared/design.md "Pitfalls"):
- `GET /api/session/properties` has `setup-token` and `has-user-setup`;
- `POST /api/setup` needs that token, answers 403 once a user exists, returns `{"id": session}`; the
  password must pass Metabase's default complexity ("normal": 6+ characters, a digit, not a common
  one) and `site_locale` must be a locale Metabase ships (`pt_BR`; there is no plain `pt`);
- `POST /api/session` checks the password (401 otherwise); other routes need `X-Metabase-Session` (401);
- `GET /api/database` and collection items come as `{"data": [...]}`; `GET /api/collection` is a bare list;
- a new database syncs asynchronously: `initial_sync_status` is "incomplete" for a few reads;
- `PUT /api/dashboard/:id` with `dashcards`: negative ids create, omitted ones are deleted, card ids must exist,
  parameter mappings must name a dashboard parameter and a template tag of the card;
- cards' native queries must declare every `{{tag}}` they use.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TAG = re.compile(r"{{\s*(\w+)\s*}}")
# Locales Metabase v0.50 ships (resources/locales): Portuguese only as pt_BR
LOCALES = {
    "en",
    "ar",
    "ca",
    "cs",
    "da",
    "de",
    "es",
    "fa",
    "fi",
    "fr",
    "he",
    "hu",
    "id",
    "it",
    "ja",
    "ko",
    "lv",
    "nb",
    "nl",
    "pl",
    "pt_BR",
    "ro",
    "ru",
    "sk",
    "sr",
    "sv",
    "th",
    "tr",
    "uk",
    "vi",
    "zh_CN",
    "zh_HK",
    "zh_TW",
}
COMMON_PASSWORDS = {"password1", "passw0rd", "qwerty123", "abc123", "123456", "letmein1", "admin123"}


def password_problem(password: str) -> str | None:
    """Metabase's check under its default MB_PASSWORD_COMPLEXITY=normal, MB_PASSWORD_LENGTH=6."""
    if len(password) < 6 or not any(c.isdigit() for c in password):
        return "Insufficient password strength"
    if password.lower() in COMMON_PASSWORDS:
        return "password is too common."
    return None


class FakeMetabase:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.setup_token = uuid.uuid4().hex
        self.users: dict[str, str] = {}
        self.sessions: set[str] = set()
        self.databases: dict[int, dict] = {}
        self.collections: dict[int, dict] = {1: {"id": "root", "name": "Our analytics"}}
        self.cards: dict[int, dict] = {}
        self.dashboards: dict[int, dict] = {}
        self.calls: list[tuple[str, str]] = []
        self.setup_body: dict = {}
        self._next = 100
        self._lock = threading.Lock()
        self.sync_fails = False  # a database Metabase cannot sync ends "aborted"
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.url = f"http://{host}:{self.httpd.server_address[1]}"

    def __enter__(self) -> FakeMetabase:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def new_id(self) -> int:
        self._next += 1
        return self._next

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] != "GET"]

    # ------------------------------------------------------------------ routes ----
    def route(self, method: str, path: str, query: dict, body: dict | None, session: str | None):
        if (method, path) == ("GET", "/api/health"):
            return 200, {"status": "ok"}
        if (method, path) == ("GET", "/api/session/properties"):
            return 200, {
                "setup-token": None if self.users else self.setup_token,
                "has-user-setup": bool(self.users),
                "version": {"tag": "v0.50.36"},
            }
        if (method, path) == ("POST", "/api/setup"):
            if self.users:
                return (
                    403,
                    "The /api/setup route can only be used to create the first user, however a user currently exists.",
                )
            if body.get("token") != self.setup_token:
                return 403, "Token does not match the setup token."
            self.setup_body = body
            user = body["user"]
            if problem := password_problem(user.get("password", "")):
                return 400, {"errors": {"password": problem}}
            locale = (body.get("prefs") or {}).get("site_locale")
            if locale is not None and locale not in LOCALES:
                return 400, {
                    "errors": {
                        "site_locale": "String must be a valid two-letter ISO language or "
                        "language-country code e.g. 'en' or 'en_US'."
                    }
                }
            self.users[user["email"]] = user["password"]
            return 200, self._session()
        if (method, path) == ("POST", "/api/session"):
            if self.users.get(body.get("username")) != body.get("password"):
                return 401, {"errors": {"password": "did not match stored password"}}
            return 200, self._session()
        if session not in self.sessions:
            return 401, "Unauthenticated"
        return self._authed(method, path, query, body)

    def _session(self) -> dict:
        sid = str(uuid.uuid4())
        self.sessions.add(sid)
        return {"id": sid}

    def _authed(self, method, path, query, body):
        parts = path.strip("/").split("/")[1:]  # drop "api"
        kind, ident, rest = parts[0], (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None), parts[2:]
        if kind == "database":
            return self._database(method, ident, rest, body)
        if kind == "collection":
            if method == "GET" and ident is None:
                return 200, [c for c in self.collections.values()]
            if method == "POST" and ident is None:
                cid = self.new_id()
                self.collections[cid] = {"id": cid, "name": body["name"], "archived": False, "color": body.get("color")}
                return 200, self.collections[cid]
            if method == "GET" and rest == ["items"]:
                models = query.get("models", ["card", "dashboard"])
                items = [
                    {"id": c["id"], "name": c["name"], "model": "card"}
                    for c in self.cards.values()
                    if c["collection_id"] == ident and "card" in models
                ]
                items += [
                    {"id": d["id"], "name": d["name"], "model": "dashboard"}
                    for d in self.dashboards.values()
                    if d["collection_id"] == ident and "dashboard" in models
                ]
                return 200, {"data": items, "total": len(items), "models": models}
        if kind == "card":
            return self._card(method, ident, body)
        if kind == "dashboard":
            return self._dashboard(method, ident, body)
        return 404, "API endpoint does not exist."

    def _database(self, method, ident, rest, body):
        if method == "GET" and ident is None:
            return 200, {"data": list(self.databases.values()), "total": len(self.databases)}
        if method == "POST" and ident is None:
            if body.get("engine") != "postgres" or not body.get("details", {}).get("host"):
                return 400, {"errors": {"details": "value must be a map with host"}}
            did = self.new_id()
            details = {**body["details"], "password": "**MetabasePass**"}
            self.databases[did] = {
                "id": did,
                "name": body["name"],
                "engine": "postgres",
                "details": details,
                "initial_sync_status": "incomplete",
                "_reads_until_synced": 3,
            }
            return 200, self._public(self.databases[did])
        db = self.databases.get(ident)
        if db is None:
            return 404, "Not found."
        if method == "GET" and not rest:
            if db["_reads_until_synced"] > 0:
                db["_reads_until_synced"] -= 1
            elif db.get("_sync_requested"):  # as Metabase does when its sync cannot reach the database
                db["initial_sync_status"] = "aborted" if self.sync_fails else "complete"
            return 200, self._public(db)
        if method == "PUT" and not rest:
            db["details"] = {**body["details"], "password": "**MetabasePass**"}
            return 200, self._public(db)
        if method == "POST" and rest == ["sync_schema"]:
            db["_sync_requested"] = True
            return 200, {"status": "ok"}
        return 404, "Not found."

    @staticmethod
    def _public(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def _card(self, method, ident, body):
        if method in ("POST", "PUT"):
            native = body["dataset_query"]["native"]
            used, declared = set(TAG.findall(native["query"])), set(native.get("template-tags", {}))
            if used != declared or body["dataset_query"]["database"] not in self.databases:
                return 400, {"errors": {"dataset_query": "invalid native query or database"}}
        if method == "POST" and ident is None:
            cid = self.new_id()
            self.cards[cid] = {"id": cid, "archived": False, **body}
            return 200, self.cards[cid]
        if ident not in self.cards:
            return 404, "Not found."
        if method == "GET":
            return 200, self.cards[ident]
        if method == "PUT":
            self.cards[ident].update(body)
            return 200, self.cards[ident]
        return 404, "Not found."

    def _dashboard(self, method, ident, body):
        if method == "POST" and ident is None:
            did = self.new_id()
            self.dashboards[did] = {"id": did, "dashcards": [], "parameters": body.get("parameters", []), **body}
            return 200, self.dashboards[did]
        dash = self.dashboards.get(ident)
        if dash is None:
            return 404, "Not found."
        if method == "GET":
            return 200, dash
        if method == "PUT":
            params = {p["id"] for p in body.get("parameters", dash["parameters"])}
            if "dashcards" in body:
                new_cards = []
                for dc in body["dashcards"]:
                    card = self.cards.get(dc["card_id"])
                    if card is None:
                        return 400, {"errors": {"dashcards": f"card {dc['card_id']} does not exist"}}
                    tags = set(card["dataset_query"]["native"].get("template-tags", {}))
                    for m in dc.get("parameter_mappings", []):
                        if m["parameter_id"] not in params or m["target"][1][1] not in tags:
                            return 400, {"errors": {"parameter_mappings": f"bad mapping {m}"}}
                    new_cards.append({**dc, "id": self.new_id() if dc["id"] < 0 else dc["id"], "dashboard_id": ident})
                dash["dashcards"] = new_cards  # omitted dashcards are deleted
            dash.update({k: v for k, v in body.items() if k != "dashcards"})
            return 200, dash
        return 404, "Not found."

    # ---------------------------------------------------------------- plumbing ----
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _do(self, method: str) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                with fake._lock:
                    fake.calls.append((method, url.path))
                    status, payload = fake.route(
                        method, url.path, parse_qs(url.query), body, self.headers.get("X-Metabase-Session")
                    )
                data = (json.dumps(payload) if not isinstance(payload, str) else payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if not isinstance(payload, str) else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._do("GET")

            def do_POST(self):
                self._do("POST")

            def do_PUT(self):
                self._do("PUT")

            def log_message(self, *args):
                pass

        return Handler


if __name__ == "__main__":  # the Metabase stand-in of the Docker smoke test (docker/standins/metabase.Dockerfile)
    import argparse

    parser = argparse.ArgumentParser(description="Serve the fake Metabase API until stopped.")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=3000)
    options = parser.parse_args()
    FakeMetabase(options.host, options.port).httpd.serve_forever()
