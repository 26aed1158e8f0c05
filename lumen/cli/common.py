"""Shared pieces of the `lumen` command: console, error handling."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable

import typer
from rich.console import Console

from lumen.errors import DATABASE_DOWN, LumenError, database_down

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def debug_enabled() -> bool:
    return os.environ.get("LUMEN_DEBUG", "") not in ("", "0", "false")


def new_app(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


def run(app: Callable[[], None]) -> None:
    """Run a typer app; LumenError → one line on stderr and exit 1 (full traceback with --debug)."""
    try:
        app()
    except LumenError as exc:
        if debug_enabled():
            traceback.print_exc()
        print(f"lumen: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("lumen: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # anything else still ends in one line that says what to do
        if debug_enabled():
            traceback.print_exc()
        print(f"lumen: error: {_unexpected(exc)}", file=sys.stderr)
        sys.exit(1)


def _unexpected(exc: Exception) -> str:
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    if database_down(exc):
        return f"the database connection failed ({first}): {DATABASE_DOWN}"
    return f"{type(exc).__name__}: {first} (unexpected: run again with --debug for the traceback)"


def given(**options: object) -> dict[str, object]:
    """The options a person gave (not left empty): a step's parameters as `lumen step -p` would pass them."""
    return {k: v for k, v in options.items() if v not in (None, "")}
