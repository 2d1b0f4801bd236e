"""Ingestion benchmark (run by `make bench`, not by the tests).

On a wide national extract of 2,000 municipalities x 150 raw-field columns, measured in the same
run, each in a fresh child process (so peak memory is per variant):
- ours:  the full pipeline (read, validate every cell, compute indicators, store in one transaction);
- naive: pandas.read_excel with openpyxl, then DataFrame.to_sql of the wide table, no validation;
- floor: python-calamine read, then one executemany of the long rows into an indexed table.
Targets (issue #4): ours at least 2x faster than naive and at most 2x the floor; peak memory < 500 MB.
Results are printed and written to bench/out/ingest.json (git-ignored).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N_MUNICIPALITIES = 2000
N_COLUMNS = 150
REPEAT = 5  # rounds; each round runs every variant once (see main)


def build_extract(folder: Path) -> tuple[Path, Path, int]:
    """The wide extract (with breakdown columns to reach 150) and its municipality register."""
    import openpyxl

    from data_ingest.catalog import load_catalog
    from data_ingest.settings import DEFAULT_CATALOG

    catalog = load_catalog(DEFAULT_CATALOG)
    columns: list[tuple[str, str, str]] = []  # header, raw field type, disaggregation
    for raw in catalog.raw_fields.values():
        columns.append((raw.code, raw.type, "total"))
    for raw in catalog.raw_fields.values():
        if "sex" in raw.disaggregations:
            for sex in ("women", "men"):
                columns.append((f"{raw.code} ({sex})", raw.type, sex))
    columns = columns[:N_COLUMNS]
    assert len(columns) == N_COLUMNS, len(columns)
    rng = np.random.default_rng(2030)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("extract")
    sheet.append(["National statistics office: municipal figures, 2023"])
    sheet.append([])
    sheet.append(["municipality_code", "municipality_name", *[c[0] for c in columns]])
    for i in range(N_MUNICIPALITIES):
        base = int(rng.integers(1000, 100000))
        row = [f"XBN-{i:05d}", f"Bench town {i}"]
        for _, ftype, disaggregation in columns:
            # One figure per row keeps parts within wholes and rates within bounds (all valid data).
            value = {"yes-no": 1, "level": 2, "percent": 50.0}.get(ftype, base)
            if disaggregation != "total" and ftype in ("count", "amount"):
                value = base // 2
            row.append(value)
        sheet.append(row)
    path = folder / "extract.xlsx"
    workbook.save(path)
    register = folder / "register.csv"
    lines = ["country_code,country_name,region_code,region_name,municipality_code,municipality_name"]
    lines += [
        f"XBN,Benchland,R{i % 20},Region {i % 20},XBN-{i:05d},Bench town {i}" for i in range(N_MUNICIPALITIES)
    ]
    register.write_text("\n".join(lines) + "\n")
    return path, register, N_MUNICIPALITIES * N_COLUMNS


OURS = """
import time, resource, json, sys
from pathlib import Path
from data_ingest.catalog import load_catalog
from data_ingest.db import make_engine, session_scope, upgrade
from data_ingest.register import read_register
from data_ingest.settings import Settings, DEFAULT_CATALOG
from data_ingest.store import import_municipalities, ingest
folder = Path(sys.argv[1]); run = sys.argv[2]
settings = Settings(data_dir=folder / f"ours-{run}")
engine = make_engine(settings); upgrade(engine)
catalog = load_catalog(DEFAULT_CATALOG)
with session_scope(engine) as s:
    import_municipalities(session=s, frame=read_register((folder / "register.csv").read_bytes()))
data = (folder / "extract.xlsx").read_bytes()
t = time.perf_counter()
outcome = ingest(engine=engine, catalog=catalog, settings=settings, data=data, filename="extract.xlsx",
                 accept_warnings=True)
elapsed = time.perf_counter() - t
assert outcome.status == "accepted", outcome.report.to_text()[:2000]
print(json.dumps({"seconds": elapsed, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "values": outcome.report.summary["values"]}))
"""

NAIVE = """
import time, resource, json, sys, sqlite3
from pathlib import Path
import pandas as pd
folder = Path(sys.argv[1]); run = sys.argv[2]
t = time.perf_counter()
frame = pd.read_excel(folder / "extract.xlsx", engine="openpyxl", header=2)
with sqlite3.connect(folder / f"naive-{run}.sqlite3") as connection:
    frame.to_sql("wide", connection, index=False)
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "values": int(frame.shape[0] * (frame.shape[1] - 2))}))
"""

FLOOR = """
import time, resource, json, sys, sqlite3
from pathlib import Path
from python_calamine import CalamineWorkbook
folder = Path(sys.argv[1]); run = sys.argv[2]
t = time.perf_counter()
workbook = CalamineWorkbook.from_path(str(folder / "extract.xlsx"))
rows = workbook.get_sheet_by_index(0).to_python()
header = rows[2]
long = [(row[0], header[c], row[c]) for row in rows[3:] for c in range(2, len(header))]
with sqlite3.connect(folder / f"floor-{run}.sqlite3") as connection:
    connection.execute("CREATE TABLE v (municipality TEXT, field TEXT, value REAL)")
    connection.execute("CREATE INDEX ix_v ON v (municipality, field)")
    connection.executemany("INSERT INTO v VALUES (?, ?, ?)", long)
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "values": len(long)}))
"""


def run_once(name: str, code: str, folder: Path, run: int) -> dict:
    """One run of one variant in a fresh process: seconds, peak memory, values stored."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), str(folder), f"{name}{run}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def summary(runs: list[dict]) -> dict:
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "all_seconds": [round(r["seconds"], 3) for r in runs],
        "peak_mb": max(r["peak_mb"] for r in runs),
        "values": runs[0]["values"],
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, _, cells = build_extract(folder)
        print(
            f"extract: {N_MUNICIPALITIES} municipalities x {N_COLUMNS} columns = {cells:,} cells, "
            f"{path.stat().st_size / 1e6:.1f} MB; median of {REPEAT} runs each, interleaved"
        )
        # Round-robin (naive, floor, ours, naive, ...): a burst of noise on a shared machine then
        # slows every variant alike instead of one variant's whole series.
        variants = (("naive", NAIVE), ("floor", FLOOR), ("ours", OURS))
        runs: dict[str, list[dict]] = {name: [] for name, _ in variants}
        for run in range(REPEAT):
            for name, code in variants:
                runs[name].append(run_once(name, code, folder, run))
        results = {name: summary(found) for name, found in runs.items()}
    ours, naive, floor = results["ours"]["seconds"], results["naive"]["seconds"], results["floor"]["seconds"]
    results["ratios"] = {"naive_over_ours": naive / ours, "ours_over_floor": ours / floor}
    print(f"{'variant':<8}{'median s':>10}{'runs':>42}{'peak MB':>10}{'values':>10}")
    for name in ("naive", "floor", "ours"):
        r = results[name]
        print(
            f"{name:<8}{r['seconds']:>10.3f}{str(r['all_seconds']):>42}{r['peak_mb']:>10.0f}{r['values']:>10,}"
        )
    ok_speed = naive / ours >= 2 and ours / floor <= 2
    ok_memory = results["ours"]["peak_mb"] < 500
    print(
        f"ours is {naive / ours:.1f}x faster than naive (target >= 2x) and {ours / floor:.2f}x the floor "
        f"(target <= 2x); peak {results['ours']['peak_mb']:.0f} MB (target < 500 MB): "
        f"{'MET' if ok_speed and ok_memory else 'NOT MET'}"
    )
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "ingest.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
