"""`lumen report`: the report notebook executed with Papermill, written as HTML without code cells."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from lumen.config import Settings, get_settings
from lumen.errors import LumenError
from lumen.run.kernel import QUIET, kernel_name
from lumen.window import parse_window


def render_report(
    stations: str, start: str, end: str, settings: Settings | None = None, out_dir: Path | None = None
) -> Path:
    """Execute the report notebook and write HTML without code cells; returns the HTML path."""
    import nbformat
    import papermill
    from nbconvert import HTMLExporter
    from papermill.exceptions import PapermillExecutionError

    parse_window(start, end)
    settings = settings or get_settings()
    root = settings.root
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    executed = root / "runs" / "reports" / f"weather_report_{stamp}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(root / "notebooks" / "reports" / "weather_report.ipynb"),
            str(executed),
            parameters={"stations": stations, "start": start, "end": end},
            kernel_name=kernel_name(),
            extra_arguments=QUIET,
            cwd=str(root),
            progress_bar=False,
        )
    except PapermillExecutionError as exc:
        raise LumenError(f"the report failed: {exc.evalue} (executed notebook: {executed})") from None
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    html, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    out_dir = out_dir or root / "reports"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"weather_report_{start}_{end}.html"
    target.write_text(html, encoding="utf-8")
    return target
