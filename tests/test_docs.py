"""Docs cannot drift: generated pages are current, and every code, command and indicator that a
user can meet is documented."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from data_ingest.catalog import PROBLEM_CODES, load_catalog
from data_ingest.catalog_docs import render_catalog_markdown
from data_ingest.cli import build_parser
from data_ingest.settings import DEFAULT_CATALOG

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_catalogue_page_is_current():
    expected = render_catalog_markdown(load_catalog(DEFAULT_CATALOG))
    actual = (DOCS / "catalogue.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/catalogue.md is stale: run `make docs`"


def test_every_indicator_is_in_the_catalogue_page():
    text = (DOCS / "catalogue.md").read_text(encoding="utf-8")
    for code, ind in load_catalog(DEFAULT_CATALOG).indicators.items():
        assert f"### {code} — {ind.name.en}" in text


def test_every_catalogue_problem_code_is_explained():
    text = (DOCS / "editing-the-catalogue.md").read_text(encoding="utf-8")
    missing = [code for code in sorted(PROBLEM_CODES) if f"`{code}`" not in text]
    assert missing == []


def _commands(parser: argparse.ArgumentParser, prefix: str = "migdash") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = _commands(sub, f"{prefix} {name}")
                found.extend(nested or [f"{prefix} {name}"])
    return found


def test_every_cli_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = _commands(build_parser())
    assert "migdash catalog check" in commands
    missing = [c for c in commands if c not in readme]
    assert missing == []


def test_readme_shows_the_two_commands_and_a_screenshot():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme):
        assert (ROOT / image).is_file(), f"README shows a missing image: {image}"
    assert re.search(r"!\[[^\]]*\]\(docs/screenshots/[^)]+\.png\)", readme)


def test_docs_links_point_to_existing_files():
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).is_file(), f"{page.name} links to missing {target}"


def test_every_issue_code_is_documented():
    from data_ingest.validation import ISSUE_TYPES

    text = (DOCS / "issue-codes.md").read_text(encoding="utf-8")
    missing = [code for code in ISSUE_TYPES if f"`{code}`" not in text]
    assert missing == []


def test_every_setting_is_in_the_readme():
    from data_ingest.settings import Settings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"MIGDASH_{name.upper()}" not in readme]
    assert missing == []
