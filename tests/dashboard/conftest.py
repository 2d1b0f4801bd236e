"""Shared test data for the dashboard tests."""

from __future__ import annotations

import shutil

import pytest

from data_ingest.catalog import load_catalog
from data_ingest.settings import PROJECT_ROOT, Settings

SAMPLE = PROJECT_ROOT / "sample_data"


@pytest.fixture(scope="session")
def xaa_sample_settings(tmp_path_factory) -> Settings:
    """A read-only data folder with the whole sample register and the sample returns of country
    XAA, loaded once per session through the real loader."""
    from data_ingest.db import make_engine, upgrade
    from data_ingest.sample import load_sample_data

    root = tmp_path_factory.mktemp("dashboard-sample-xaa")
    settings = Settings(data_dir=root / "var", secret_key="test", load_sample_data=False)
    folder = root / "sample"
    (folder / "returns").mkdir(parents=True)
    shutil.copy(SAMPLE / "municipalities.csv", folder / "municipalities.csv")
    for path in (SAMPLE / "returns").iterdir():
        if "_XAA" in path.name:
            shutil.copy(path, folder / "returns" / path.name)
    engine = make_engine(settings)
    upgrade(engine)
    result = load_sample_data(
        engine=engine, catalog=load_catalog(settings.catalog), settings=settings, folder=folder
    )
    assert not result.rejected
    engine.dispose()
    return settings
