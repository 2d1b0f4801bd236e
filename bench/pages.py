"""Page speed on the sample data (run by `make bench`, not by the tests).

Each page's server-side work for a request (its layout with typical URL parameters, which calls
the page's queries and figure builders) is timed 50 times on a warm snapshot; the target
(issue #5) is p95 < 100 ms per page. The snapshot itself is rebuilt only when data changes; its
build time is reported separately. Results: printed and bench/out/pages.json (git-ignored).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RUNS = 50
# URL parameters a user typically has on each page (first sample municipality and indicator).
PARAMS = {
    "/": {},
    "/scorecard": {"municipality": "XAA-001"},
    "/indicator": {"code": "WORK-01"},
    "/compare": {},
    "/coverage": {},
    "/upload": {},
    "/catalogue": {"q": "migrant"},
    "/catalogue/<code>": {"code": "WORK-02"},
    "/methodology": {},
    "/coverage/submission/<submission_id>": {"submission_id": "1"},
}


def main() -> int:
    import dash
    import flask

    from app import create_app
    from dashboard.context import get_snapshot
    from data_ingest.accounts import Principal
    from data_ingest.db import make_engine, upgrade
    from data_ingest.sample import load_sample_data
    from data_ingest.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "var", secret_key="bench", load_sample_data=False)
        engine = make_engine(settings)
        upgrade(engine)
        app = create_app(settings)
        load_sample_data(engine=engine, catalog=app.server.config["MIGDASH"].catalog, settings=settings)
        results = {}
        with app.server.test_request_context("/"):
            # As an administrator: every page shows everything (upload form, audit log, all reports).
            flask.g.principal = Principal("bench", "admin")
            started = time.perf_counter()
            get_snapshot()
            results["snapshot_build_ms"] = (time.perf_counter() - started) * 1000
            for page in dash.page_registry.values():
                key = page.get("path_template") or page["path"]
                params = PARAMS.get(key, {})
                timings = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    page["layout"](**params)
                    timings.append((time.perf_counter() - started) * 1000)
                timings.sort()
                results[key] = {
                    "p50_ms": statistics.median(timings),
                    "p95_ms": timings[int(0.95 * RUNS) - 1],
                    "max_ms": timings[-1],
                }
    print(f"snapshot build (once per data change): {results['snapshot_build_ms']:.0f} ms")
    print(f"{'page':<22}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    worst = 0.0
    for key, r in results.items():
        if isinstance(r, dict):
            worst = max(worst, r["p95_ms"])
            print(f"{key:<22}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['max_ms']:>9.1f}")
    print(f"worst p95 {worst:.1f} ms (target < 100 ms): {'MET' if worst < 100 else 'NOT MET'}")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "pages.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
