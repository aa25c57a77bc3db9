"""`python -m bench` (`make bench`): build or reuse the dataset, run each workload, write the report.

python -m bench                          # everything at 50,000 assessments (dataset built once, cached)
python -m bench --only audit,signoff     # some workloads
python -m bench --quick                  # 1,000 assessments, short runs: a smoke test of the harness
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from bench import common, dataset
from bench.workloads import audit, pages, search, signoff

WORKLOADS = {"pages": pages, "signoff": signoff, "audit": audit, "search": search}


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assessments", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default=",".join(WORKLOADS), help=f"comma-separated: {', '.join(WORKLOADS)}")
    parser.add_argument("--runs", type=int, default=5, help="wrk runs per page (and anchor)")
    parser.add_argument("--seconds", type=float, default=5, help="duration of each wrk run")
    parser.add_argument("--rounds", type=int, default=15, help="repetitions of in-process workloads")
    parser.add_argument("--database-url", help="build and run on this PostgreSQL database (it is wiped)")
    parser.add_argument("--quick", action="store_true", help="1,000 assessments, 1 run of 2 s, 3 rounds")
    args = parser.parse_args()
    if args.quick:
        args.assessments, args.runs, args.seconds, args.rounds = 1000, 1, 2, 3
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(sorted(unknown))}")

    # A plain `kill` must still stop the servers this run started (their `finally` blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.time()
    info = common.machine()
    data = dataset.ensure(args.assessments, args.seed, args.database_url)
    info["dataset"] = {
        "assessments": args.assessments,
        "seed": args.seed,
        "database": "PostgreSQL" if args.database_url else "SQLite",
        "generate_seconds": (data.instance / "generate-seconds").read_text(),
    }
    # In-process workloads build the app from the same environment the servers get.
    os.environ.update(data.env)
    log_dir = common.RESULTS / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for name in chosen:
        print(f"== {name}", flush=True)
        module = WORKLOADS[name]
        if name == "pages":
            result = module.run(data, log_dir, args.runs, args.seconds)
        else:
            result = module.run(data, args.rounds)
        results.append(result)
        print(
            common.report_markdown({"machine": info, "started": "", "seconds": 0, "results": [_as_dict(result)]}).split(
                "\n", 3
            )[3],
            flush=True,
        )
    report = common.write_results(results, info, started)
    print(f"Report: {report}")


def _as_dict(result):
    from dataclasses import asdict

    return asdict(result)


if __name__ == "__main__":
    main()
