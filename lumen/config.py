"""Settings from the environment and the project's git-ignored `.env`.

Every variable is documented in `.env.example`. Secrets are `SecretStr`, so they never
show up in a repr, a log line or a Papermill parameter by accident.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lumen.errors import ConfigError


def project_root() -> Path:
    """The checkout this package was installed from (editable install), else the working directory."""
    if env := os.environ.get("LUMEN_HOME"):
        return Path(env).resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists() and (here / "lumen").is_dir():
        return here
    return Path.cwd().resolve()


class Settings(BaseSettings):
    """All of LÚMEN's settings. Field docs name the environment variable."""

    model_config = SettingsConfigDict(extra="ignore", env_file_encoding="utf-8", populate_by_name=False)

    database_url: SecretStr | None = Field(None, validation_alias="LUMEN_DATABASE_URL")
    database_name: str = Field("lumen", validation_alias="LUMEN_DATABASE_NAME")
    state_dir: Path | None = Field(None, validation_alias="LUMEN_STATE_DIR")
    pipeline_password: SecretStr | None = Field(None, validation_alias="LUMEN_PIPELINE_PASSWORD")
    reader_password: SecretStr | None = Field(None, validation_alias="LUMEN_READER_PASSWORD")
    connect_timeout_s: int = Field(5, ge=1, le=120, validation_alias="LUMEN_CONNECT_TIMEOUT")
    on_invalid: Literal["fail", "quarantine"] = Field("fail", validation_alias="LUMEN_ON_INVALID")

    inmet_api_url: str = Field("https://apitempo.inmet.gov.br", validation_alias="INMET_API_URL")
    inmet_archive_url: str = Field(
        "https://portal.inmet.gov.br/uploads/dadoshistoricos", validation_alias="INMET_ARCHIVE_URL"
    )
    inmet_token: SecretStr | None = Field(None, validation_alias="INMET_TOKEN")
    mage_owner_email: str = Field("admin@lumen.local", validation_alias="DEFAULT_OWNER_EMAIL")
    mage_owner_password: SecretStr | None = Field(None, validation_alias="DEFAULT_OWNER_PASSWORD")
    metabase_url: str = Field("http://127.0.0.1:3000", validation_alias="METABASE_URL")
    metabase_admin_email: str = Field("admin@lumen.local", validation_alias="LUMEN_METABASE_ADMIN_EMAIL")
    metabase_admin_password: SecretStr | None = Field(None, validation_alias="LUMEN_METABASE_ADMIN_PASSWORD")
    jupyter_token: SecretStr | None = Field(None, validation_alias="JUPYTER_TOKEN")
    mlflow_uri: str = Field("http://127.0.0.1:5000", validation_alias="LUMEN_MLFLOW_URI")
    mlflow_password: SecretStr | None = Field(None, validation_alias="LUMEN_MLFLOW_PASSWORD")
    mlflow_database: str = Field("mlflow", validation_alias="LUMEN_MLFLOW_DATABASE")
    forecast_model: str = Field("lumen-next-hour-temperature", validation_alias="LUMEN_FORECAST_MODEL")
    inmet_timeout_s: float = Field(30.0, gt=0, validation_alias="INMET_TIMEOUT")
    archive_max_member_mb: float = Field(16.0, gt=0, le=4096, validation_alias="LUMEN_ARCHIVE_MAX_MEMBER_MB")
    archive_max_ratio: float = Field(200.0, ge=1, validation_alias="LUMEN_ARCHIVE_MAX_RATIO")
    lock_wait_s: float = Field(600.0, ge=0, validation_alias="LUMEN_LOCK_WAIT")
    lock_gap_s: float = Field(120.0, ge=0, validation_alias="LUMEN_LOCK_GAP_S")
    mage_bin: Path | None = Field(None, validation_alias="LUMEN_MAGE_BIN")
    mage_port: int = Field(6789, ge=1, le=65535, validation_alias="LUMEN_MAGE_PORT")
    schedule_hourly: str = Field("@hourly", min_length=1, validation_alias="LUMEN_SCHEDULE_HOURLY")
    schedule_train: str = Field("0 3 * * *", min_length=1, validation_alias="LUMEN_SCHEDULE_TRAIN")
    lab_port: int = Field(8888, ge=1, le=65535, validation_alias="LUMEN_LAB_PORT")

    alert_rules: Path | None = Field(None, validation_alias="LUMEN_ALERT_RULES")
    alert_subscriptions: Path | None = Field(None, validation_alias="LUMEN_ALERT_SUBSCRIPTIONS")
    alert_webhook_url: SecretStr | None = Field(None, validation_alias="LUMEN_ALERT_WEBHOOK_URL")
    alert_webhook_token: SecretStr | None = Field(None, validation_alias="LUMEN_ALERT_WEBHOOK_TOKEN")
    alert_email_to: str = Field("", validation_alias="LUMEN_ALERT_EMAIL_TO")
    smtp_host: str | None = Field(None, validation_alias="LUMEN_SMTP_HOST")
    smtp_port: int = Field(587, ge=1, le=65535, validation_alias="LUMEN_SMTP_PORT")
    smtp_user: str | None = Field(None, validation_alias="LUMEN_SMTP_USER")
    smtp_password: SecretStr | None = Field(None, validation_alias="LUMEN_SMTP_PASSWORD")
    smtp_from: str = Field("lumen@localhost", validation_alias="LUMEN_SMTP_FROM")
    smtp_starttls: bool = Field(True, validation_alias="LUMEN_SMTP_STARTTLS")
    smtp_ca_file: Path | None = Field(None, validation_alias="LUMEN_SMTP_CA_FILE")
    alert_max_age_hours: float = Field(24.0, gt=0, validation_alias="LUMEN_ALERT_MAX_AGE_HOURS")
    alert_retry_minutes: float = Field(5.0, ge=0, validation_alias="LUMEN_ALERT_RETRY_MINUTES")
    alert_max_attempts: int = Field(6, ge=1, le=100, validation_alias="LUMEN_ALERT_MAX_ATTEMPTS")
    alert_timeout_s: float = Field(10.0, gt=0, le=120, validation_alias="LUMEN_ALERT_TIMEOUT")

    @model_validator(mode="before")
    @classmethod
    def _empty_is_unset(cls, data: object) -> object:
        """`VAR=` in .env means "not set": the default applies."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        raw = value.get_secret_value().strip()
        if not raw.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
            raise ValueError("must be a postgresql://user:password@host:port/database URL")
        return SecretStr(raw)

    @field_validator("database_name", "mlflow_database")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not value.replace("_", "").isalnum() or value[0].isdigit():
            raise ValueError("must be letters, digits and _ (a PostgreSQL database name)")
        return value

    @property
    def root(self) -> Path:
        return project_root()

    @property
    def alert_rules_path(self) -> Path:
        return self._alerts_file(self.alert_rules, "rules.yml")

    @property
    def alert_subscriptions_path(self) -> Path:
        return self._alerts_file(self.alert_subscriptions, "subscriptions.yml")

    def _alerts_file(self, given: Path | None, name: str) -> Path:
        """A variable's path (relative to the project home), else the project home's alerts/NAME, else the
        one shipped beside this package (as for dbt/)."""
        if given:
            return given if given.is_absolute() else self.root / given
        here = self.root / "alerts" / name
        return here if here.exists() else Path(__file__).resolve().parent.parent / "alerts" / name

    @property
    def lumen_dir(self) -> Path:
        """Project-local state: the embedded database, pids, logs."""
        path = self.state_dir or self.root / ".lumen"
        return path if path.is_absolute() else (self.root / path)

    def secret_values(self) -> list[str]:
        """Every secret value set, so tests and logs can check none of them leaks."""
        secrets = [
            self.database_url,
            self.pipeline_password,
            self.reader_password,
            self.inmet_token,
            self.mage_owner_password,
            self.mlflow_password,
            self.alert_webhook_url,
            self.alert_webhook_token,
            self.smtp_password,
        ]
        return [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]


_FIELD_TO_ENV = {name: str(field.validation_alias) for name, field in Settings.model_fields.items()}


def env_names() -> list[str]:
    """The environment variable of every setting (what `.env.example` documents)."""
    return list(_FIELD_TO_ENV.values())


# Variables in .env.example that are not settings of this package: docker-compose.yml reads them.
COMPOSE_ONLY = {
    "COMPOSE_PROJECT_NAME": "the compose project's name (volumes, networks)",
    "POSTGRES_ADMIN_USER": "the PostgreSQL container's superuser",
    "POSTGRES_ADMIN_PASSWORD": "its password",
    "POSTGRES_PORT": "the host port PostgreSQL is published on",
    "METABASE_APP_DB_NAME": "Metabase's own application database",
    "METABASE_APP_DB_USER": "its user",
    "METABASE_APP_DB_PASSWORD": "its password",
    "LUMEN_POSTGRES_IMAGE": "the PostgreSQL image (a local stand-in where none can be pulled)",
    "LUMEN_METABASE_IMAGE": "the Metabase image",
    "LUMEN_PYTHON_IMAGE": "the python base of LÚMEN's two images",
}

# LUMEN_* variables read from the process environment, and why they cannot come through Settings.
PROCESS_ONLY = {
    "LUMEN_HOME": "where the project (and so .env) is: read before .env can be",
    "LUMEN_ENV_FILE": "which .env to read: read before it",
    "LUMEN_DEBUG": "`lumen --debug`, handed to the CLI's error handler and child processes",
    "LUMEN_BIN": "the lumen command as the Mage env finds it (that env never imports lumen)",
    "LUMEN_GX_DATABASE_URL": "set by the validate step for Great Expectations' config to read",
    "LUMEN_WINDOW_START": "handed to dbt by the publish step",
    "LUMEN_WINDOW_END": "handed to dbt by the publish step",
    "LUMEN_DOCKER": "read by scripts/stack_mode.py (stdlib, before any venv exists)",
    "LUMEN_COMPOSE_BUILD": "read by the Makefile and scripts/stack_mode.py",
}


def load_settings(env_file: Path | None = None) -> Settings:
    """Read settings; raise ConfigError naming the first bad variable in one line."""
    if env_file is None:
        env_file = Path(os.environ.get("LUMEN_ENV_FILE") or project_root() / ".env")
    try:
        return Settings(_env_file=env_file if env_file.exists() else None)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = err["loc"][0] if err["loc"] else "?"
            var = _FIELD_TO_ENV.get(str(loc), str(loc))
            got = err.get("input")
            secret = var in {"LUMEN_DATABASE_URL", "LUMEN_ALERT_WEBHOOK_URL"} or "PASSWORD" in var or "TOKEN" in var
            shown = "" if secret else f" (got {got!r})"
            lines.append(f"{var}: {err['msg']}{shown}")
        raise ConfigError("; ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
