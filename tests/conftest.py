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


@pytest.fixture(scope="session")
def small_return():
    """small_return(code, year, population=41000) -> the bytes of a return template (.xlsx) with
    one figure typed in, the resident population (any value, e.g. text, to make it invalid)."""
    import io

    from data_ingest.catalog import load_catalog
    from data_ingest.settings import DEFAULT_CATALOG
    from data_ingest.template import write_template

    catalog = load_catalog(DEFAULT_CATALOG)

    def build(code: str, year: int = 2023, population: object = 41000) -> bytes:
        workbook = write_template(
            catalog, municipality_code=code, municipality_name=code, year=year, lang="en"
        )
        sheet = workbook["Data"]
        row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "population_total")
        column = next(c for c in range(1, sheet.max_column + 1) if sheet.cell(6, c).value == "total")
        sheet.cell(row, column).value = population
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    return build
