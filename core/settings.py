"""One Settings object: environment, a .env file and the user's config file."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

APP_NAME = "medkb"


def config_file() -> Path:
    """Where the optional user config file lives (TOML, same keys as MEDKB_*)."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


class Settings(BaseSettings):
    """Everything medkb can be told; secrets live here and nowhere else."""

    model_config = SettingsConfigDict(
        env_prefix="MEDKB_",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
    )

    store: str | None = Field(
        default=None, validation_alias=AliasChoices("MEDKB_STORE", "store")
    )
    mongodb_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("MONGODB_URI", "mongodb_uri")
    )
    data_dir: Path | None = None

    retention_days: float = Field(default=30.0, gt=0)
    log_cap: int = Field(default=5000, ge=10)

    concurrency: int = Field(default=2, ge=1, le=64)
    lease_seconds: float = Field(default=6.0, gt=0.5)
    heartbeat_seconds: float = Field(default=2.0, gt=0.05)
    cancel_grace: float = Field(default=5.0, ge=0)
    max_attempts: int = Field(default=3, ge=1)
    task_modules: str = ""

    provider: Literal["auto", "gemini", "simulator"] = "auto"
    model: str = "gemini-flash-latest"
    request_timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=6, ge=0)
    requests_per_minute: int = Field(default=1000, ge=1)
    tokens_per_minute: int = Field(default=1_000_000, ge=1)
    #: the window both limits count over; 60 s in real use, shorter in tests
    rate_window_seconds: float = Field(default=60.0, gt=0)
    train_concurrency: int = Field(default=24, ge=1)
    #: twice what keeps pace with 1,000 requests a minute at 2 s a call, so a
    #: translation uses a fresh minute's allowance early instead of spreading it
    translate_concurrency: int = Field(default=72, ge=1)
    simulator_latency: float = Field(default=0.05, ge=0)
    simulator_failure_rate: float = Field(default=0.0, ge=0, le=1)

    gemini_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return (init_settings, env_settings, dotenv_settings, toml)

    @cached_property
    def data_path(self) -> Path:
        """The user data directory: default store, worker logs, limiter files."""
        if self.data_dir is not None:
            return self.data_dir
        return Path(platformdirs.user_data_dir(APP_NAME))

    def store_url(self, override: str | None = None) -> str:
        """--store, else MEDKB_STORE, else MONGODB_URI, else the default file."""
        for candidate in (override, self.store, self.mongodb_uri):
            if candidate:
                return candidate
        return str(self.data_path / "medkb.sqlite3")

    def secret_values(self, store_url: str | None = None) -> list[str]:
        """Every secret medkb knows of, so text can be scrubbed of them."""
        values = []
        if self.gemini_api_key is not None:
            values.append(self.gemini_api_key.get_secret_value())
        password = _url_password(store_url or self.store_url())
        if password:
            values.append(password)
        return [value for value in values if len(value) >= 4]


def _url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password if "://" in url else None
    except ValueError:
        return None


def scrub(text: str, secrets: list[str]) -> str:
    """The text with every secret replaced by ***."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
