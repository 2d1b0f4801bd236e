"""Where the time of one ingest goes (a developer's tool, run by hand, not by `make bench` or the tests).

Builds the extract of bench/ingest.py (2,000 municipalities x 150 columns), then ingests it through
the real path (`store.ingest`, as the CLI and the upload page do) with timers wrapped around the
pipeline and store functions. Nested stages are indented; a stage's time includes its children.

    python bench/stages.py            # stage table
    python bench/stages.py --profile  # plus the top of a cProfile of the same ingest
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import build_extract  # noqa: E402

from data_ingest import pipeline, store  # noqa: E402
from data_ingest.catalog import load_catalog  # noqa: E402
from data_ingest.db import make_engine, session_scope, upgrade  # noqa: E402
from data_ingest.register import read_register  # noqa: E402
from data_ingest.settings import DEFAULT_CATALOG, Settings  # noqa: E402

# (module, attribute) pairs to time; the module-level names are what the callers look up.
STAGES = [
    (store, "prepare"),
    (pipeline, "read_workbook"),
    (pipeline, "find_table"),
    (store, "load_register"),
    (pipeline, "_check_fields"),
    (pipeline, "_identify"),
    (pipeline, "_clean"),
    (pipeline, "_check_duplicates"),
    (pipeline, "_check_parts"),
    (pipeline, "compute_indicators"),
    (pipeline, "_check_indicator_bounds"),
    (store, "current_raw_values"),
    (pipeline, "_check_plausibility"),
    (store, "archive_file"),
    (store, "_store_rows"),
    (store, "_executemany"),
    (store, "json_arrays"),
    (store, "sort_codes"),
    (store, "nullable"),
    (store, "_replace_indicator_values"),
]

totals: dict[str, float] = defaultdict(float)
depth_of: dict[str, int] = {}
order: list[str] = []
_depth = 0


def _timed(name: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        global _depth
        depth_of.setdefault(name, _depth)
        if name not in order:
            order.append(name)
        _depth += 1
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - start
            _depth -= 1

    return wrapper


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="also print the top of a cProfile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, register_path, _ = build_extract(folder)
        settings = Settings(data_dir=folder / "db")
        engine = make_engine(settings)
        upgrade(engine)
        catalog = load_catalog(DEFAULT_CATALOG)
        with session_scope(engine) as session:
            store.import_municipalities(session=session, frame=read_register(register_path.read_bytes()))
        data = path.read_bytes()
        for module, name in STAGES:
            setattr(module, name, _timed(name, getattr(module, name)))
        profiler = cProfile.Profile() if args.profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        outcome = store.ingest(
            engine=engine,
            catalog=catalog,
            settings=settings,
            data=data,
            filename="extract.xlsx",
            accept_warnings=True,
        )
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - start
        assert outcome.status == "accepted", outcome.report.to_text()[:2000]
    print(f"{'stage':<40}{'s':>8}")
    for name in order:
        print(f"{'  ' * depth_of[name] + name:<40}{totals[name]:>8.3f}")
    print(f"{'ingest (total)':<40}{elapsed:>8.3f}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
