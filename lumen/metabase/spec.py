"""The Metabase spec (metabase/dashboard.yml) → the JSON payloads Metabase's API takes.

Pure functions: no HTTP here. Ids Metabase asks the client to choose (template tags)
are derived from names (uuid5), so the same spec always gives the same payloads.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

from lumen.errors import LumenError

_NS = uuid.UUID("4c554d45-4e00-4000-8000-00000000beef")
_TAG = re.compile(r"{{\s*(\w+)\s*}}")
TAG_TYPES = {"text", "date", "number"}


@dataclass(frozen=True)
class Spec:
    version: str
    collection: str
    database: dict
    parameters: list[dict]
    questions: list[dict]
    dashboard: dict


def load(path: Path) -> Spec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LumenError(f"{path}: cannot read the Metabase spec ({exc})") from None
    spec = Spec(
        raw["metabase_version"],
        raw["collection"],
        raw["database"],
        raw.get("parameters", []),
        raw["questions"],
        raw["dashboard"],
    )
    check(spec)
    return spec


def check(spec: Spec) -> None:
    """Every tag used in SQL is declared, every card names a question, every tag maps to a parameter."""
    names = {q["name"] for q in spec.questions}
    params = {p["slug"] for p in spec.parameters}
    for q in spec.questions:
        used, declared = set(_TAG.findall(q["sql"])), set(q.get("tags") or {})
        if used != declared:
            raise LumenError(f"question {q['name']!r}: SQL uses tags {sorted(used)}, declares {sorted(declared)}")
        if bad := {t for t in (q.get("tags") or {}).values() if t not in TAG_TYPES}:
            raise LumenError(f"question {q['name']!r}: tag types must be {sorted(TAG_TYPES)}, not {sorted(bad)}")
        if missing := declared - params:
            raise LumenError(f"question {q['name']!r}: tags {sorted(missing)} have no dashboard parameter")
    for card in spec.dashboard["cards"]:
        if card["question"] not in names:
            raise LumenError(f"dashboard card {card['question']!r}: no such question")


def tag_id(question: str, tag: str) -> str:
    return str(uuid.uuid5(_NS, f"{question}/{tag}"))


def card_payload(q: dict, database_id: int, collection_id: int, spec: Spec) -> dict:
    labels = {p["slug"]: p for p in spec.parameters}
    tags = {
        name: {
            "id": tag_id(q["name"], name),
            "name": name,
            "display-name": labels[name]["name"],
            "type": kind,
            "required": False,
            **({"default": labels[name]["default"]} if "default" in labels[name] else {}),
        }
        for name, kind in (q.get("tags") or {}).items()
    }
    return {
        "name": q["name"],
        "description": q.get("description"),
        "display": q["display"],
        "collection_id": collection_id,
        "dataset_query": {
            "type": "native",
            "database": database_id,
            "native": {"query": q["sql"].strip(), "template-tags": tags},
        },
        "visualization_settings": q.get("visualization_settings") or {},
    }


def dashboard_parameters(spec: Spec) -> list[dict]:
    return [
        {
            "id": p["slug"],
            "name": p["name"],
            "slug": p["slug"],
            "type": p["type"],
            **({"default": p["default"]} if "default" in p else {}),
        }
        for p in spec.parameters
    ]


def dashcards(spec: Spec, card_ids: dict[str, int], existing: dict[int, int]) -> list[dict]:
    """The dashboard's cards; `existing` maps card_id → dashcard id (kept), new ones get negative ids."""
    out = []
    questions = {q["name"]: q for q in spec.questions}
    for i, card in enumerate(spec.dashboard["cards"], start=1):
        card_id = card_ids[card["question"]]
        tags = questions[card["question"]].get("tags") or {}
        out.append(
            {
                "id": existing.get(card_id, -i),
                "card_id": card_id,
                "row": card["row"],
                "col": card["col"],
                "size_x": card["size_x"],
                "size_y": card["size_y"],
                "parameter_mappings": [
                    {"parameter_id": tag, "card_id": card_id, "target": ["variable", ["template-tag", tag]]}
                    for tag in tags
                ],
                "visualization_settings": {},
            }
        )
    return out
