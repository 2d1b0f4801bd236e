"""Killing `migdash ingest` with SIGKILL at any moment leaves the database consistent: integrity
check passes, and a submission is either absent or stored completely."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from data_ingest.catalog import load_catalog
from data_ingest.settings import DEFAULT_CATALOG

MIGDASH = Path(sys.executable).with_name("migdash")
N_MUNICIPALITIES = 400


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> tuple[Path, Path, int]:
    """A national extract (wide table) big enough for ingest to take a while, and its register."""
    folder = tmp_path_factory.mktemp("crash")
    catalog = load_catalog(DEFAULT_CATALOG)
    counts = [c for c, r in catalog.raw_fields.items() if r.type == "count"][:40]
    register = folder / "register.csv"
    lines = ["country_code,country_name,region_code,region_name,municipality_code,municipality_name"]
    lines += [f"XZZ,Testland,R{i % 7},Region {i % 7},XZZ-{i:04d},Town {i}" for i in range(N_MUNICIPALITIES)]
    register.write_text("\n".join(lines) + "\n")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["municipality_code", "year", *counts])
    rng = np.random.default_rng(7)
    for i in range(N_MUNICIPALITIES):
        # One figure per row for every field keeps parts within wholes and rates within bounds.
        sheet.append([f"XZZ-{i:04d}", 2023, *[int(rng.integers(100, 100000))] * len(counts)])
    path = folder / "extract.xlsx"
    workbook.save(path)
    return path, register, N_MUNICIPALITIES * len(counts)


def run(args: list[str], data_dir: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIGDASH_")}
    env["MIGDASH_DATA_DIR"] = str(data_dir)
    return subprocess.Popen([str(MIGDASH), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def check_consistent(database: Path, expected_values: int) -> int:
    """Integrity and all-or-nothing; returns the number of accepted submissions."""
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        accepted = connection.execute("SELECT id FROM submissions WHERE status = 'accepted'").fetchall()
        values = connection.execute("SELECT COUNT(*) FROM raw_values").fetchone()[0]
        returns = connection.execute("SELECT COUNT(*) FROM returns").fetchone()[0]
        indicators = connection.execute("SELECT COUNT(*) FROM indicator_values").fetchone()[0]
    if accepted:
        assert (len(accepted), values, returns) == (1, expected_values, N_MUNICIPALITIES)
        assert indicators > 0
    else:
        assert (values, returns, indicators) == (0, 0, 0)  # no partial submission
    return len(accepted)


def test_sigkill_during_ingest_leaves_database_consistent(tmp_path, extract):
    path, register, expected_values = extract
    reference = tmp_path / "reference"
    assert run(["municipalities", "import", str(register)], reference).wait(60) == 0
    started = time.monotonic()
    process = run(["ingest", "--accept-warnings", str(path)], reference)
    assert process.wait(120) == 0, process.stderr.read().decode()
    duration = time.monotonic() - started
    assert check_consistent(reference / "migdash.sqlite3", expected_values) == 1

    outcomes = []
    for fraction in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99):
        data_dir = tmp_path / f"kill-{fraction}"
        assert run(["municipalities", "import", str(register)], data_dir).wait(60) == 0
        process = run(["ingest", "--accept-warnings", str(path)], data_dir)
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        outcomes.append(check_consistent(data_dir / "migdash.sqlite3", expected_values))
        # The interrupted upload can simply be sent again and is then stored completely.
        assert run(["ingest", "--accept-warnings", str(path)], data_dir).wait(120) == 0
        assert check_consistent(data_dir / "migdash.sqlite3", expected_values) == 1
    assert 0 in outcomes, "no kill landed before the commit: the test did not exercise an interrupted ingest"
