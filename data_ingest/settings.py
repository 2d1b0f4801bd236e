"""One validated settings object for every command; values come from MIGDASH_* variables."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOG = PROJECT_ROOT / "indicator_catalog.yaml"


class Settings(BaseSettings):
    """Runtime configuration. Every field can be set with an environment variable MIGDASH_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="MIGDASH_", extra="forbid")

    data_dir: Path = Field(PROJECT_ROOT / "var", description="database, archived uploads, secret key")
    db_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite file in data_dir")
    catalog: Path = Field(DEFAULT_CATALOG, description="the indicator catalogue YAML file")
    host: str = "127.0.0.1"
    port: int = Field(8050, ge=1, le=65535)
    max_upload_mb: float = Field(20.0, gt=0)
    secret_key: str | None = Field(None, description="session signing key; generated on first run")
    first_year: int = Field(2000, description="earliest reporting year accepted in a return")
    base_year: int = 2015
    target_year: int = 2030
    stale_after_years: int = Field(3, ge=0)
    deadline_month: int = Field(3, ge=1, le=12, description="returns for year Y are due by this month of Y+1")
    deadline_day: int = Field(31, ge=1, le=31)
    public_dashboard: bool = Field(
        True, description="anonymous visitors may read the dashboard (uploading always needs a login)"
    )
    session_hours: float = Field(
        8.0, gt=0, description="a login ends after this many hours without a request"
    )
    login_max_failures: int = Field(
        5, ge=1, description="consecutive wrong passwords before an account locks"
    )
    login_lockout_minutes: float = Field(15.0, gt=0, description="how long a locked account stays locked")
    secure_cookies: bool = Field(
        False, description="send the session cookie over HTTPS only (set it behind TLS)"
    )
    proxy_hops: int = Field(
        0, ge=0, description="reverse proxies in front whose X-Forwarded-For/-Proto/-Host headers are trusted"
    )
    load_sample_data: bool = Field(
        True, description="load sample_data/ on first start into an empty database"
    )

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{(self.data_dir / 'migdash.sqlite3').resolve()}"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"

    def ensure_data_dir(self) -> None:
        """Create the data folder (and its uploads folder) if they do not exist yet."""
        self.upload_dir.mkdir(parents=True, exist_ok=True)

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data folder (never committed)."""
        if self.secret_key:
            return self.secret_key
        self.ensure_data_dir()
        key_file = self.data_dir / "secret_key"
        try:  # created exclusively: server workers starting together must all read the same key
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as out:
                out.write(secrets.token_urlsafe(48))
        for _ in range(50):
            key = key_file.read_text().strip()
            if key:
                return key
            time.sleep(0.01)  # another process created the file and is writing it
        raise RuntimeError(f"the secret key file {key_file} is empty: delete it and start again")


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment; keyword overrides win (used by tests)."""
    return Settings(**overrides)
