"""W3: archive search at 50k and 500k against the bare full-text query, per query class.

TODO(lead, after merging the archive-search branch): fill in ``app_query`` and ``bare_query`` below:
``app_query(term)`` calls the search service the /archive page uses (first page, relevance and newest
first); ``bare_query(term)`` runs the same FTS5 / tsvector SQL directly on the connection. The timing
loop, the query classes, the report and the targets are already here.
"""

from __future__ import annotations

import importlib.util
import time

from bench.common import Result, Spread, percentile

TARGET_P95_MS = {50_000: 25.0, 500_000: 200.0}
# Query classes from the protocol (performance-anchors.md §2.2); the terms exist in the generator's vocabulary.
QUERIES = {"rare term": "strip", "common term": "policy", "very common term": "officers",
           "phrase": '"stop and search"', "two terms": "custody adjustments", "absent term": "zeppelin"}


def available() -> bool:
    return importlib.util.find_spec("eia.services.search") is not None


def app_query(term: str):  # pragma: no cover - filled in after the merge
    raise NotImplementedError


def bare_query(term: str):  # pragma: no cover - filled in after the merge
    raise NotImplementedError


def run(dataset, rounds: int, log=print) -> Result:
    result = Result("search", f"Archive search at {dataset.assessments:,} assessments vs the bare full-text query")
    if not available():
        result.skipped = ("eia.services.search does not exist in this branch (archive search is built elsewhere); "
                          "TODO: fill in app_query/bare_query in bench/workloads/search.py after the merge")
        return result
    from eia import create_app

    app = create_app()
    with app.app_context():
        for name, term in QUERIES.items():
            app_ms, bare_ms = [], []
            for _ in range(rounds):
                started = time.perf_counter()
                bare_query(term)
                bare_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                app_query(term)
                app_ms.append((time.perf_counter() - started) * 1000)
            p95 = percentile(app_ms, 0.95)
            result.rows.append({"query": f"{name} ({term})", "app p50 / p95 ms": f"{Spread.of(app_ms).median:.2f} / {p95:.2f}",
                                "bare p50 ms": f"{Spread.of(bare_ms).median:.2f}",
                                "ratio": f"{Spread.of(app_ms).median / Spread.of(bare_ms).median:.2f}x"})
            target = TARGET_P95_MS.get(dataset.assessments)
            if target:
                result.target(f"{name}: p95 <= {target:g} ms", f"{p95:.2f} ms", p95 <= target)
    return result
