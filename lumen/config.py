"""Settings from the environment and the project's git-ignored `.env`.

Every variable is documented in `.env.example`. Secrets are `SecretStr`, so they never
show up in a repr, a log line or a Papermill parameter by accident.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
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


def _env(name: str) -> dict:
    return {"validation_alias": AliasChoices(name)}


class Settings(BaseSettings):
    """All of LÚMEN's settings. Field docs name the environment variable."""

    model_config = SettingsConfigDict(extra="ignore", env_file_encoding="utf-8", populate_by_name=False)

    database_url: SecretStr | None = Field(None, **_env("LUMEN_DATABASE_URL"))
    database_name: str = Field("lumen", **_env("LUMEN_DATABASE_NAME"))
    state_dir: Path | None = Field(None, **_env("LUMEN_STATE_DIR"))
    pipeline_password: SecretStr | None = Field(None, **_env("LUMEN_PIPELINE_PASSWORD"))
    reader_password: SecretStr | None = Field(None, **_env("LUMEN_READER_PASSWORD"))
    connect_timeout_s: int = Field(5, ge=1, le=120, **_env("LUMEN_CONNECT_TIMEOUT"))
    on_invalid: Literal["fail", "quarantine"] = Field("fail", **_env("LUMEN_ON_INVALID"))

    inmet_api_url: str = Field("https://apitempo.inmet.gov.br", **_env("INMET_API_URL"))
    inmet_archive_url: str = Field("https://portal.inmet.gov.br/uploads/dadoshistoricos", **_env("INMET_ARCHIVE_URL"))
    inmet_token: SecretStr | None = Field(None, **_env("INMET_TOKEN"))
    mage_owner_email: str = Field("admin@lumen.local", **_env("DEFAULT_OWNER_EMAIL"))
    mage_owner_password: SecretStr | None = Field(None, **_env("DEFAULT_OWNER_PASSWORD"))
    metabase_url: str = Field("http://127.0.0.1:3000", **_env("METABASE_URL"))
    metabase_admin_email: str = Field("admin@lumen.local", **_env("LUMEN_METABASE_ADMIN_EMAIL"))
    metabase_admin_password: SecretStr | None = Field(None, **_env("LUMEN_METABASE_ADMIN_PASSWORD"))
    jupyter_token: SecretStr | None = Field(None, **_env("JUPYTER_TOKEN"))
    mlflow_uri: str = Field("http://127.0.0.1:5000", **_env("LUMEN_MLFLOW_URI"))
    mlflow_password: SecretStr | None = Field(None, **_env("LUMEN_MLFLOW_PASSWORD"))
    mlflow_database: str = Field("mlflow", **_env("LUMEN_MLFLOW_DATABASE"))
    forecast_model: str = Field("lumen-next-hour-temperature", **_env("LUMEN_FORECAST_MODEL"))
    inmet_timeout_s: float = Field(30.0, gt=0, **_env("INMET_TIMEOUT"))
    archive_max_member_mb: float = Field(16.0, gt=0, le=4096, **_env("LUMEN_ARCHIVE_MAX_MEMBER_MB"))
    archive_max_ratio: float = Field(200.0, ge=1, **_env("LUMEN_ARCHIVE_MAX_RATIO"))

    alert_rules: Path | None = Field(None, **_env("LUMEN_ALERT_RULES"))
    alert_subscriptions: Path | None = Field(None, **_env("LUMEN_ALERT_SUBSCRIPTIONS"))
    alert_webhook_url: SecretStr | None = Field(None, **_env("LUMEN_ALERT_WEBHOOK_URL"))
    alert_webhook_token: SecretStr | None = Field(None, **_env("LUMEN_ALERT_WEBHOOK_TOKEN"))
    alert_email_to: str = Field("", **_env("LUMEN_ALERT_EMAIL_TO"))
    smtp_host: str | None = Field(None, **_env("LUMEN_SMTP_HOST"))
    smtp_port: int = Field(587, ge=1, le=65535, **_env("LUMEN_SMTP_PORT"))
    smtp_user: str | None = Field(None, **_env("LUMEN_SMTP_USER"))
    smtp_password: SecretStr | None = Field(None, **_env("LUMEN_SMTP_PASSWORD"))
    smtp_from: str = Field("lumen@localhost", **_env("LUMEN_SMTP_FROM"))
    smtp_starttls: bool = Field(True, **_env("LUMEN_SMTP_STARTTLS"))
    smtp_ca_file: Path | None = Field(None, **_env("LUMEN_SMTP_CA_FILE"))
    alert_max_age_hours: float = Field(24.0, gt=0, **_env("LUMEN_ALERT_MAX_AGE_HOURS"))
    alert_retry_minutes: float = Field(5.0, ge=0, **_env("LUMEN_ALERT_RETRY_MINUTES"))
    alert_max_attempts: int = Field(6, ge=1, le=100, **_env("LUMEN_ALERT_MAX_ATTEMPTS"))
    alert_timeout_s: float = Field(10.0, gt=0, le=120, **_env("LUMEN_ALERT_TIMEOUT"))

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


_FIELD_TO_ENV = {
    name: field.validation_alias.choices[0]  # type: ignore[union-attr]
    for name, field in Settings.model_fields.items()
}


def load_settings(env_file: Path | None = None) -> Settings:
    """Read settings; raise ConfigError naming the first bad variable in one line."""
    if env_file is None:
        env_file = Path(os.environ.get("LUMEN_ENV_FILE") or project_root() / ".env")
    try:
        return Settings(_env_file=env_file if env_file.exists() else None)  # type: ignore[call-arg]
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
