"""Alert messages, in Portuguese: what a person reads in the chat or the e-mail.

Each names the station, the value and when (local time, the station's own zone), the level
and its threshold, and says that this is an exceedance of INMET's criteria found in the
data, not one of INMET's official warnings.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from lumen.alerts.rules import LEVEL_PT, Rule

DISCLAIMER = (
    "Excedência dos critérios de aviso do INMET encontrada nos dados pelo LÚMEN — não é um aviso "
    "oficial do INMET (avisos oficiais: https://alertas2.inmet.gov.br)."
)


def number(x: float) -> str:
    """1234.5 → '1.234,5' (Brazilian style, up to one decimal)."""
    text = f"{x:,.1f}".replace(",", "§").replace(".", ",").replace("§", ".")
    return text.removesuffix(",0")


def local(when: datetime, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")


def payload(rule: Rule, level: str, event: dict, station: dict) -> dict:
    """The message for one level of one episode: subject, text, and the figures as JSON."""
    zone = station.get("time_zone") or "America/Sao_Paulo"
    name = station.get("name") or event["station_code"]
    uf = station.get("uf") or "?"
    limit = rule.levels[level]  # type: ignore[index]
    if rule.kind == "consecutive_days":
        what = (
            f"{number(event['peak_value'])} dias seguidos com máxima {number(rule.anomaly_c or 0)} °C ou mais "
            f"acima da média do mês, até {local(event['peak_at'], zone)}"
        )
    elif rule.kind == "local_day":
        day = event["peak_at"].astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y")
        what = f"{number(event['peak_value'])} {rule.unit} no dia {day}"
    else:
        where = "previsto para" if rule.kind == "forecast" else "em"
        what = f"{number(event['peak_value'])} {rule.unit} {where} {local(event['peak_at'], zone)}"
    subject = f"[LÚMEN] Alerta {LEVEL_PT[level]}: {rule.name} — {name} ({event['station_code']}/{uf})"
    text = "\n".join(
        [
            f"Alerta {LEVEL_PT[level]} — {rule.name}",
            f"Estação {name} ({event['station_code']}, {uf}): {what} (hora local, {zone}).",
            f"Limiar {LEVEL_PT[level]}: {limit.text()} {rule.unit}. Episódio desde {local(event['started_at'], zone)}.",
            f"Critério: {rule.source}.",
            DISCLAIMER,
        ]
    )
    return {
        "subject": subject,
        "text": text,
        "alert": {
            "event_id": event["event_id"],
            "station_code": event["station_code"],
            "station_name": name,
            "uf": uf,
            "rule": rule.id,
            "rule_name": rule.name,
            "level": level,
            "level_pt": LEVEL_PT[level],
            "value": event["peak_value"],
            "unit": rule.unit,
            "threshold": limit.value,
            "comparison": limit.op,
            "at": event["peak_at"].isoformat(),
            "local_time": local(event["peak_at"], zone),
            "time_zone": zone,
            "started_at": event["started_at"].isoformat(),
            "official_inmet_warning": False,
        },
    }
