"""The `migdash` command as users run it: the installed console script, in a subprocess,
configured through MIGDASH_* variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MIGDASH = Path(sys.executable).with_name("migdash")
MINIMAL = Path(__file__).parent / "data" / "catalog" / "minimal.yaml"


def run(
    *args: str, env: dict[str, str] | None = None, tmp_path: Path | None = None
) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MIGDASH_")}
    if tmp_path is not None:
        full_env["MIGDASH_DATA_DIR"] = str(tmp_path / "var")
    full_env.update(env or {})
    return subprocess.run([str(MIGDASH), *args], capture_output=True, text=True, env=full_env, timeout=120)


def test_catalog_check_prints_counts_per_area(tmp_path):
    result = run("catalog", "check", "--catalog", str(MINIMAL), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split() == ["governance", "1", "0"] for line in lines)
    assert any(line.split() == ["work", "2", "0"] for line in lines)
    assert any(line.split() == ["total", "3", "1"] for line in lines)


def test_catalog_check_honours_the_environment_and_fails_on_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.read_text().replace("    green: 65\n", "    green: 45\n"))
    result = run("catalog", "check", env={"MIGDASH_CATALOG": str(bad)}, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "[thresholds-reversed]" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_shipped_catalogue_passes_check(tmp_path):
    result = run("catalog", "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout


def test_invalid_setting_is_explained_not_a_traceback(tmp_path):
    result = run("catalog", "check", env={"MIGDASH_PORT": "eighty"}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "invalid setting MIGDASH_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_creates_the_database_in_the_data_dir(tmp_path):
    result = run("db", "upgrade", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "migdash.sqlite3").is_file()
    assert "revision 0002" in result.stdout  # the newest migration
    # A second, independent instance side by side, with its own database URL.
    other = tmp_path / "other.sqlite3"
    result = run("db", "upgrade", env={"MIGDASH_DB_URL": f"sqlite:///{other}"}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert other.is_file()


def test_catalog_docs_writes_markdown(tmp_path):
    out = tmp_path / "catalogue.md"
    result = run("catalog", "docs", "--catalog", str(MINIMAL), "-o", str(out), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    for code in ("GOV-01", "WORK-01", "WORK-02", "CTX-01"):
        assert f"### {code} — " in text
