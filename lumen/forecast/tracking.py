"""MLflow: where runs are logged, the registered model and its `champion` alias.

The tracking URI is LUMEN_MLFLOW_URI (the project's server: `lumen mlflow start`, or the `mlflow`
service under Docker). Messages name it without any password. MLflow is imported here only
(lazily): the other steps never pay for it.
"""

from __future__ import annotations

import logging
import os
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from lumen.config import Settings
from lumen.forecast import ForecastError
from lumen.polling import http_ok

if TYPE_CHECKING:  # pandas and LightGBM are imported where they are used: `lumen status` reads `answers`
    import pandas as pd
    from mlflow import MlflowClient

    from lumen.forecast.model import Model

ALIAS = "champion"  # the registered model's name is LUMEN_FORECAST_MODEL; its experiment has the same name


def shown_uri(uri: str) -> str:
    """The tracking URI for messages: any password replaced by ***."""
    parts = urlsplit(uri)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return uri


def answers(uri: str, timeout_s: float = 5.0) -> bool:
    """An MLflow server answers its health check at `uri` (http/https)."""
    return http_ok(uri.rstrip("/") + "/health", timeout_s)


def client(settings: Settings) -> MlflowClient:
    """An MLflow client on LUMEN_MLFLOW_URI, checked to answer (else ForecastError, one line)."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no bars in step logs
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # no usage collection from the client either
    uri = settings.mlflow_uri
    if uri.startswith(("http://", "https://")) and not answers(uri):  # before MLflow's own retries (minutes)
        raise ForecastError(
            f"MLflow does not answer at {shown_uri(uri)}: start it with `lumen mlflow start` "
            "(make up), or set LUMEN_MLFLOW_URI"
        )
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(settings.mlflow_uri)
    mlflow.set_registry_uri(settings.mlflow_uri)
    c = MlflowClient(settings.mlflow_uri, settings.mlflow_uri)
    try:
        c.search_experiments(max_results=1)
    except (MlflowException, OSError) as exc:
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise ForecastError(
            f"MLflow does not answer at {shown_uri(settings.mlflow_uri)} ({reason}): start it with "
            "`lumen mlflow start` (make up), or set LUMEN_MLFLOW_URI"
        ) from None
    return c


ABANDONED_AFTER_H = 6.0  # a training takes minutes: a run still RUNNING this long after it began has died


def owner_tags() -> dict[str, str]:
    """Tags that let a later training tell a live run from one whose process was killed."""
    import socket

    return {"lumen.host": socket.gethostname(), "lumen.pid": str(os.getpid())}


def end_abandoned_runs(c: MlflowClient, name: str, now_ms: int | None = None) -> list[str]:
    """Mark FAILED the runs of experiment `name` left RUNNING by a killed training (kill -9 cannot end its
    run): its process is gone on this host, or it began over ABANDONED_AFTER_H ago. Returns their ids.
    (The run lock keeps trainings from overlapping, so a live one is never another training's.)"""
    import socket
    import time as _time

    experiment = c.get_experiment_by_name(name)
    if experiment is None:
        return []
    now_ms = now_ms or int(_time.time() * 1000)
    ended = []
    for run in c.search_runs([experiment.experiment_id], "attributes.status = 'RUNNING'", max_results=100):
        tags = run.data.tags
        here = tags.get("lumen.host") == socket.gethostname() and tags.get("lumen.pid", "").isdigit()
        dead = here and not _alive(int(tags["lumen.pid"]))
        stale = (now_ms - run.info.start_time) / 3.6e6 > ABANDONED_AFTER_H
        if (dead or stale) and run.info.run_id:
            c.set_terminated(run.info.run_id, "FAILED")
            c.set_tag(run.info.run_id, "lumen.ended_by", "a later training: the process had died")
            ended.append(run.info.run_id)
    return ended


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Champion:
    version: str
    run_id: str
    model: Model


def champion(c: MlflowClient, name: str) -> Champion | None:
    """The model version the `champion` alias names, loaded; None when there is none yet."""
    import mlflow.pyfunc
    from mlflow.exceptions import MlflowException

    try:
        mv = c.get_model_version_by_alias(name, ALIAS)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            return None
        raise
    loaded = mlflow.pyfunc.load_model(f"models:/{name}@{ALIAS}")
    return Champion(str(mv.version), str(mv.run_id), loaded.unwrap_python_model().model)


def serving_champion(settings: Settings) -> Champion | None:
    """The champion for the hourly forecast step, cheaply: its version from the registry's REST API
    (one small request, no MLflow import), the model from a local cache of that version. A version
    not cached yet is loaded through MLflow (`models:/NAME@champion`) and cached; a version never
    changes once registered, so the cache cannot go stale."""
    import requests

    uri, name = settings.mlflow_uri.rstrip("/"), settings.forecast_model
    if not uri.startswith(("http://", "https://")):
        return champion(client(settings), name)
    try:
        resp = requests.get(
            f"{uri}/api/2.0/mlflow/registered-models/alias", params={"name": name, "alias": ALIAS}, timeout=10
        )
    except requests.RequestException:
        raise ForecastError(
            f"MLflow does not answer at {shown_uri(uri)}: start it with `lumen mlflow start` "
            "(make up), or set LUMEN_MLFLOW_URI"
        ) from None
    if resp.status_code in (400, 404):  # no such model, or no alias on it yet
        return None
    if resp.status_code != 200:
        raise ForecastError(f"MLflow at {shown_uri(uri)} answered {resp.status_code} for the champion of {name}")
    found = resp.json()["model_version"]
    cached = settings.lumen_dir / "mlflow" / "serving" / name
    if (cache := cached / f"{found['version']}.pkl").exists():
        return Champion(str(found["version"]), str(found.get("run_id", "")), pickle.loads(cache.read_bytes()))
    current = champion(client(settings), name)  # the alias may have moved since: cache what was loaded
    if current is not None:
        cache = cached / f"{current.version}.pkl"
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(pickle.dumps(current.model))
        partial.replace(cache)  # atomic: a concurrent reader sees the whole file or none
    return current


def log_model(model: Model, example: pd.DataFrame, name: str) -> tuple[Any, str]:
    """Log the model as an MLflow pyfunc (signature and input example) and register a new version of
    `name`; returns MLflow's ModelInfo and the version."""
    import mlflow.pyfunc
    from mlflow.models import infer_signature

    from lumen.forecast.features import model_input
    from lumen.forecast.pyfunc import NextHourModel

    example = example[model_input(model.features)].head(5).reset_index(drop=True)
    example = example.astype({c: "float64" for c in ("month", "hour_utc")})  # MLflow: ints cannot be missing
    signature = infer_signature(example, model.predict_values(example))
    # our own object, pickled and loaded by our own code: MLflow's warning about pickles is for strangers' models
    logging.getLogger("mlflow.pyfunc").setLevel(logging.ERROR)
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=NextHourModel(model),
        signature=signature,
        input_example=example,
        pip_requirements=_requirements(),
    )
    # registered here, not by log_model(registered_model_name=…): MLflow then always tries to create the
    # registered model first, and PostgreSQL logged `duplicate key … registered_model_pk` every training
    c = mlflow.MlflowClient()
    try:
        c.get_registered_model(name)
    except mlflow.exceptions.MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        c.create_registered_model(name)
    version = c.create_model_version(
        name, source=f"models:/{info.model_id}", run_id=info.run_id, model_id=info.model_id
    )
    return info, str(version.version)


def _requirements() -> list[str]:
    """What loading the model needs (stated, so MLflow does not load it again to infer them)."""
    from importlib.metadata import version

    return [f"{p}=={version(p)}" for p in ("lightgbm", "pandas", "numpy", "mlflow")]
