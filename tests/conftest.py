"""Shared fixtures: every test gets its own data folder and SQLite file under tmp_path."""

from __future__ import annotations

import pytest

from data_ingest.settings import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key="test-secret")


@pytest.fixture(autouse=True)
def _no_migdash_environment(monkeypatch):
    """Tests must not pick up a developer's MIGDASH_* variables."""
    import os

    for name in list(os.environ):
        if name.startswith("MIGDASH_") and name != "MIGDASH_TEST_CHROMIUM":
            monkeypatch.delenv(name)
