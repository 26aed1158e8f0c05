"""Alert delivery over real protocols: a local HTTP receiver (the webhook) and a local SMTP server
(aiosmtpd, STARTTLS with a throw-away CA, login) started here. Sends that fail stay pending with
their error and are retried; nothing is sent twice; no secret reaches the ops tables."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from datetime import timedelta

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from pydantic import SecretStr

from lumen.alerts import service
from lumen.db import connect
from tests.conftest import lumen_cli
from tests.fakes.http import FakeServer, sequence, slow
from tests.integration.test_alert_episodes import T0, add_hours, add_station

pytestmark = pytest.mark.slow
HOOK = "/hooks/T0K3N-s3cr3t"  # the token in the URL is a secret: it must never be stored or shown
OK, FAIL = (200, {}, b"ok"), (500, {}, b"boom")
NOW = T0 + timedelta(hours=3)


@pytest.fixture()
def alerting(migrated_db, tmp_path):
    """The migrated database with a station, a subscriptions file, and retries allowed at once."""
    subs = tmp_path / "subscriptions.yml"
    subs.write_text(
        "subscriptions:\n  - {name: hook, channel: webhook}\n  - {name: mail, channel: email, to: [defesa@exemplo.br]}\n"
    )
    with connect("pipeline", migrated_db) as conn:
        add_station(conn)
        conn.commit()
    return migrated_db.model_copy(
        update={"alert_subscriptions": subs, "alert_retry_minutes": 0.0, "alert_timeout_s": 2.0}
    )


def gusts(settings, *values: float, start=T0) -> None:
    with connect("pipeline", settings) as conn:
        add_hours(conn, start, [{"wind_gust_ms": v} for v in values])
        conn.commit()


def run(settings, start=T0, hours: int = 2, run_id: str = "r1") -> dict:
    checked = service.plan(settings, service.OBSERVED)
    return service.run(settings, run_id, start, start + timedelta(hours=hours), checked, now=NOW)


def outbox(settings) -> list[tuple]:
    with connect("pipeline", settings) as conn:
        return conn.execute(
            "SELECT level, subscription, channel, status, attempts, last_error, payload::text FROM ops.alert_deliveries "
            "ORDER BY delivery_id"
        ).fetchall()


def posts(server: FakeServer) -> list[dict]:
    return [json.loads(r["body"]) for r in server.requests if r["method"] == "POST"]


def test_a_webhook_that_fails_twice_then_succeeds_gets_exactly_one_message(alerting):
    with FakeServer() as hook:
        hook.routes[HOOK] = sequence(FAIL, FAIL, OK, OK)
        settings = alerting.model_copy(update={"alert_webhook_url": SecretStr(hook.url + HOOK)})
        gusts(settings, 12.4, 3.0)
        first = run(settings)
        assert (first["opened"], first["queued"], first["sent"], first["pending"]) == (1, 1, 0, 1)
        assert "webhook answered HTTP 500" in first["warning"]
        assert outbox(settings)[0][3:6] == ("pending", 1, "webhook answered HTTP 500")
        second = run(settings, run_id="r2")  # the same window again: nothing new, one retry
        assert (second["opened"], second["queued"], second["sent"]) == (0, 0, 0)
        third = run(settings, run_id="r3")
        assert (third["sent"], third["pending"], third["warning"]) == (1, 0, "")
        run(settings, run_id="r4")
        bodies = posts(hook)
    assert len(bodies) == 3 and bodies[0] == bodies[2]  # three tries of one message, the third delivered
    assert outbox(settings)[0][3:6] == ("sent", 3, None)
    text = bodies[2]["text"]
    assert text.startswith("Alerta amarelo — Rajadas de vento")
    assert "ESTAÇÃO A901 (A901, MT): 12,4 m/s em 10/07/2024 08:00 (hora local, America/Cuiaba)" in text
    assert "Limiar amarelo: ≥ 11.1 m/s" in text and "não é um aviso oficial do INMET" in text
    assert bodies[2]["alert"]["official_inmet_warning"] is False and bodies[2]["alert"]["level"] == "yellow"
    assert "T0K3N" not in json.dumps(outbox(settings)) + json.dumps(first) + json.dumps(second)


def test_a_station_name_cannot_ping_a_channel_or_hide_a_link(alerting):
    """The name comes from a file's ESTACAO line: in Slack's mrkdwn `<!channel>` notifies everyone and
    `<url|text>` is a link, so the webhook text escapes &, < and > (#26)."""
    with connect("pipeline", alerting) as conn:
        conn.execute(
            "UPDATE processed_data.stations SET name = %s WHERE station_code = 'A901'",
            ("<!channel> <https://evil.example|clique> & <script>",),
        )
        conn.commit()
    with FakeServer() as hook:
        hook.routes[HOOK] = sequence(OK)
        settings = alerting.model_copy(update={"alert_webhook_url": SecretStr(hook.url + HOOK)})
        gusts(settings, 12.4, 3.0)
        run(settings)
        (body,) = posts(hook)
    assert "&lt;!channel&gt; &lt;https://evil.example|clique&gt; &amp; &lt;script&gt;" in body["text"]
    assert "<" not in body["text"] and ">" not in body["text"]


def test_escalation_sends_one_more_message_and_reruns_send_nothing_twice(alerting):
    with FakeServer() as hook:
        hook.routes[HOOK] = sequence(OK)
        settings = alerting.model_copy(update={"alert_webhook_url": SecretStr(hook.url + HOOK)})
        gusts(settings, 12.0, 3.0)
        run(settings)
        run(settings, run_id="r1b")
        gusts(settings, 17.0, start=T0 + timedelta(hours=2))
        escalated = run(settings, start=T0 + timedelta(hours=2), hours=1, run_id="r2")
        run(settings, start=T0 + timedelta(hours=2), hours=1, run_id="r2b")
        levels = [b["alert"]["level"] for b in posts(hook)]
    assert escalated["escalated"] == 1 and levels == ["yellow", "orange"]
    assert [(r[0], r[3]) for r in outbox(settings)] == [("yellow", "sent"), ("orange", "sent")]


def test_a_webhook_that_times_out_holds_up_one_send_per_run_then_fails_visibly(alerting):
    with FakeServer() as hook:
        hook.routes[HOOK] = slow(OK, 5)
        settings = alerting.model_copy(
            update={"alert_webhook_url": SecretStr(hook.url + HOOK), "alert_timeout_s": 0.5, "alert_max_attempts": 2}
        )
        with connect("pipeline", settings) as conn:
            add_station(conn, "A902")
            add_hours(conn, T0, [{"wind_gust_ms": 13.0}], code="A902")
            conn.commit()
        gusts(settings, 12.0)
        t0 = time.monotonic()
        first = run(settings)
        took = time.monotonic() - t0
        assert (first["queued"], first["pending"]) == (2, 2) and "no answer within 0.5 s" in first["warning"]
        assert took < 4  # one timeout, then the broken channel is skipped for the round
        assert [r[4] for r in outbox(settings)] == [1, 0]
        for i in range(3):  # one try per round: the first gives up at its 2nd, then the second has its two
            run(settings, run_id=f"r{i + 2}")
    assert [r[3:5] for r in outbox(settings)] == [("failed", 2), ("failed", 2)]
    env = {
        "LUMEN_DATABASE_URL": settings.database_url.get_secret_value(),
        "LUMEN_STATE_DIR": str(settings.lumen_dir),
        "LUMEN_PIPELINE_PASSWORD": "pipe-Test-9f2c",
        "LUMEN_READER_PASSWORD": "read-Test-41ab",
    }
    listed = lumen_cli("alerts", "list", "--deliveries", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["status"] for line in listed.stdout.splitlines()] == ["failed", "failed"]
    status = lumen_cli("status", env=env)
    assert "alert messages: 0 pending, 2 failed" in status.stdout, status.stdout


class Inbox:
    def __init__(self) -> None:
        self.mails: list = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp_server(tmp_path):
    """aiosmtpd on 127.0.0.1 with STARTTLS required (a throw-away CA) and login required."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    inbox, logins = Inbox(), []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append(auth_data.login)
        ok = (auth_data.login, auth_data.password) == (b"lumen", b"smtp-Secret-77")
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    yield {"port": port, "ca": ca_file, "inbox": inbox, "logins": logins}
    controller.stop()


def mail_settings(alerting, smtp_server, password: str = "smtp-Secret-77"):
    return alerting.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server["port"],
            "smtp_user": "lumen",
            "smtp_password": SecretStr(password),
            "smtp_ca_file": smtp_server["ca"],
            "smtp_from": "lumen@exemplo.br",
        }
    )


def test_e_mail_goes_out_over_starttls_with_login(alerting, smtp_server):
    settings = mail_settings(alerting, smtp_server)
    gusts(settings, 12.0, 3.0)
    result = run(settings)
    assert (result["queued"], result["sent"]) == (1, 1)
    (mail,) = smtp_server["inbox"].mails
    assert mail.rcpt_tos == ["defesa@exemplo.br"] and mail.mail_from == "lumen@exemplo.br"
    text = mail.content.decode("utf-8")
    assert "Subject: =?utf-8?" in text or "Alerta amarelo" in text
    assert "ESTA" in text and "12 m/s" in text.replace("=\n", "")
    run(settings, run_id="r2")
    assert len(smtp_server["inbox"].mails) == 1


def test_an_smtp_server_refusing_the_login_leaves_the_message_pending(alerting, smtp_server):
    settings = mail_settings(alerting, smtp_server, password="wrong-Secret-12")
    gusts(settings, 12.0, 3.0)
    result = run(settings)
    assert (result["sent"], result["pending"]) == (0, 1)
    (row,) = outbox(settings)
    assert row[3:6] == ("pending", 1, f"SMTP 127.0.0.1:{smtp_server['port']} refused the login (535)")
    assert set(smtp_server["logins"]) == {b"lumen"} and "wrong-Secret" not in json.dumps(row) + json.dumps(result)


def test_an_smtp_server_closing_the_connection_leaves_the_message_pending(alerting):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def hang_up():
        for _ in range(3):
            conn, _ = listener.accept()
            conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    port = listener.getsockname()[1]
    settings = alerting.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "alert_max_attempts": 2})
    gusts(settings, 12.0, 3.0)
    first = run(settings)
    assert first["pending"] == 1 and f"SMTP 127.0.0.1:{port} closed the connection" in first["warning"]
    run(settings, run_id="r2")
    assert outbox(settings)[0][3:6] == ("failed", 2, f"SMTP 127.0.0.1:{port} closed the connection")
    listener.close()
