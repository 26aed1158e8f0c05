"""The package's import graph (#27): no cycle, and no arrow pointing up a layer —
cli → run → the steps and their domain → db, config, errors, vocabulary (every import counts, those
inside functions too)."""

from __future__ import annotations

import ast
from collections import defaultdict
from graphlib import CycleError, TopologicalSorter

from tests.conftest import ROOT

BOTTOM = {"db", "config", "errors", "vocabulary", "envfile", "polling", "window"}


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in (ROOT / "lumen").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = defaultdict(set)
    for name, tree in mods.items():
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lumen"):
                targets = [resolve(f"{node.module}.{a.name}") or resolve(node.module) for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [resolve(a.name) for a in node.names if a.name.startswith("lumen")]
            edges[name] |= {t for t in targets if t and t != name and t != "lumen"}
    return edges


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    return {"cli": 4, "run": 3}.get(top, 1 if top in BOTTOM else 2)


def test_no_import_points_up_a_layer():
    up = sorted(f"{m} → {t}" for m, ts in graph().items() for t in ts if layer(t) > layer(m))
    assert not up, up


def test_no_cycle():
    try:
        tuple(TopologicalSorter(graph()).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' → '.join(exc.args[1])}") from None
