"""The `migdash` command as users run it: the installed console script, in a subprocess,
configured through MIGDASH_* variables."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

MIGDASH = Path(sys.executable).with_name("migdash")
MINIMAL = Path(__file__).parent / "data" / "catalog" / "minimal.yaml"


def run(
    *args: str, env: dict[str, str] | None = None, tmp_path: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MIGDASH_")}
    if tmp_path is not None:
        full_env["MIGDASH_DATA_DIR"] = str(tmp_path / "var")
    full_env.update(env or {})
    return subprocess.run(
        [str(MIGDASH), *args], input=stdin, capture_output=True, text=True, env=full_env, timeout=120
    )


def with_local_user(tmp_path: Path) -> None:
    """The sample register and amina, a local user of XAA-001, created through the CLI."""
    register = Path(__file__).parents[1] / "sample_data" / "municipalities.csv"
    assert run("municipalities", "import", str(register), tmp_path=tmp_path).returncode == 0
    added = run(
        *("users", "add", "amina", "--role", "local", "--municipality", "XAA-001", "--password-stdin"),
        stdin="a long password\n",
        tmp_path=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "amina: local for XAA-001, active"


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
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from data_ingest.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert f"is at revision {ScriptDirectory.from_config(config).get_current_head()}" in result.stdout
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


def test_accounts_from_the_command_line(tmp_path):
    """The account lifecycle as an administrator runs it; passwords only from stdin or a prompt."""
    with_local_user(tmp_path)

    def users(*args: str, password: str | None = None) -> subprocess.CompletedProcess:
        return run("users", *args, stdin=password, tmp_path=tmp_path)

    # No way to give a password as an argument.
    assert users("add", "bob", "--role", "viewer", "--password", "secret123456").returncode == 2
    short = users("add", "bob", "--role", "viewer", "--password-stdin", password="short\n")
    assert short.returncode == 1 and "too short" in short.stderr
    unknown = users(
        *("add", "bob", "--role", "local", "--municipality", "XZZ-999", "--password-stdin"),
        password="a long password\n",
    )
    assert unknown.returncode == 1 and "Unknown municipality code(s): XZZ-999" in unknown.stderr
    assert users("set-role", "amina", "programme").stdout.strip() == "amina: programme, active"
    assert users("disable", "amina").stdout.strip() == "amina: programme, disabled"
    assert users("disable", "nobody").returncode == 1
    listed = users("list").stdout.splitlines()
    assert listed[1].split()[:3] == ["amina", "programme", "disabled"]
    log = run("audit", "--json", tmp_path=tmp_path)
    actions = [json.loads(line)["action"] for line in log.stdout.splitlines()]
    assert actions == ["user-disabled", "role-changed", "user-added"]  # refusals change nothing
    # A backup is a consistent copy that holds the account, and is never overwritten.
    copy = tmp_path / "backup.sqlite3"
    assert run("db", "backup", str(copy), tmp_path=tmp_path).returncode == 0
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT username, role FROM users").fetchall() == [("amina", "programme")]
    again = run("db", "backup", str(copy), tmp_path=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_ingest_as_a_local_user_is_held_to_their_municipality(tmp_path):
    with_local_user(tmp_path)
    other = tmp_path / "x.xlsx"
    made = run("template", "--municipality", "XAA-002", "--year", "2021", "-o", str(other), tmp_path=tmp_path)
    assert made.returncode == 0, made.stderr
    refused = run("ingest", "--as", "amina", str(other), tmp_path=tmp_path)
    assert refused.returncode == 1
    assert "not-your-municipality" in refused.stdout and "REFUSED for amina" in refused.stdout
    assert "no active account" in run("ingest", "--as", "ghost", str(other), tmp_path=tmp_path).stderr
