"""Subscriptions (who wants which episode) and the messages (Portuguese, local time, the disclaimer)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lumen.alerts import AlertError, messages, outbox, rules
from lumen.alerts.episodes import Change
from tests.conftest import ROOT, make_settings

RULES = {r.id: r for r in rules.load(ROOT / "alerts" / "rules.yml")}


@pytest.mark.parametrize(
    ("sub", "change", "uf", "wanted"),
    [
        ({}, ("A807", "wind_gust", "yellow"), "PR", True),
        ({"min_level": "orange"}, ("A807", "wind_gust", "yellow"), "PR", False),
        ({"min_level": "orange"}, ("A807", "wind_gust", "red"), "PR", True),
        ({"stations": ["A001"]}, ("A807", "wind_gust", "red"), "PR", False),
        ({"stations": ["A001"], "states": ["pr"]}, ("A807", "wind_gust", "red"), "PR", True),
        ({"states": ["RJ"]}, ("A807", "wind_gust", "red"), "PR", False),
        ({"rules": ["heat_wave"]}, ("A807", "wind_gust", "red"), "PR", False),
    ],
)
def test_who_wants_which_episode(sub, change, uf, wanted):
    s = outbox.Subscription(name="s", channel="webhook", **sub)
    assert s.wants(Change(1, change[1], change[0], change[2]), uf) is wanted


def test_the_shipped_subscriptions_load_and_idle_without_channels():
    subs = outbox.load_subscriptions(ROOT / "alerts" / "subscriptions.yml", list(RULES.values()))
    assert [(s.name, s.channel) for s in subs] == [("todas-webhook", "webhook"), ("todas-email", "email")]
    ready, idle = outbox.active(subs, make_settings())
    assert ready == [] and len(idle) == 2
    ready, _ = outbox.active(subs, make_settings(LUMEN_ALERT_WEBHOOK_URL="http://127.0.0.1:9/x"))
    assert [s.name for s in ready] == ["todas-webhook"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("subscriptions:\n  - {name: a, channel: pager}\n", "subscription #1: channel: Input should be"),
        ("subscriptions:\n  - {name: a, channel: email, rules: [hail]}\n", "subscription a: rules: no rule 'hail'"),
        ("subscriptions:\n  - {name: a, channel: email}\n  - {name: a, channel: webhook}\n", "share a name"),
    ],
)
def test_a_bad_subscription_is_one_line(tmp_path, text, message):
    path = tmp_path / "subscriptions.yml"
    path.write_text(text)
    with pytest.raises(AlertError, match=message):
        outbox.load_subscriptions(path, list(RULES.values()))


def test_a_message_in_portuguese_with_local_time_and_the_disclaimer():
    at = datetime(2019, 2, 21, 19, tzinfo=UTC)
    event = {"event_id": 7, "station_code": "A807", "peak_value": 67.6, "peak_at": at, "started_at": at}
    station = {"name": "CURITIBA", "uf": "PR", "time_zone": "America/Sao_Paulo"}
    msg = messages.payload(RULES["heavy_rain_hour"], "red", event, station)
    assert msg["subject"] == "[LÚMEN] Alerta vermelho: Chuva intensa (acumulado em 1 hora) — CURITIBA (A807/PR)"
    assert "Estação CURITIBA (A807, PR): 67,6 mm em 21/02/2019 16:00 (hora local, America/Sao_Paulo)." in msg["text"]
    assert "Limiar vermelho: > 60 mm." in msg["text"] and messages.DISCLAIMER in msg["text"]
    assert msg["alert"]["official_inmet_warning"] is False and msg["alert"]["threshold"] == 60.0
    day = messages.payload(RULES["heavy_rain_day"], "red", {**event, "peak_value": 119.8, "peak_at": at}, station)
    assert "119,8 mm no dia 21/02/2019" in day["text"]
    assert messages.number(1234.5) == "1.234,5" and messages.number(12.0) == "12"
