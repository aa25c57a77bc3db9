"""W6: `eia audit verify` over the dataset's whole chain against bare SHA-256 over the same stored
canonical bytes (already in memory: the floor, one process), interleaved. verify is measured in one
process and as the command runs it (a process per CPU for a large chain); the target is the latter."""

from __future__ import annotations

import hashlib
import subprocess
import time

from bench.common import Result, Spread

TARGET_SECONDS_PER_500K = 1.0


def run(dataset, rounds: int, log=print) -> Result:
    from sqlalchemy import select

    from eia import create_app
    from eia.extensions import db
    from eia.models import AuditEvent
    from eia.services import integrity

    result = Result("audit", f"Audit chain verification vs bare SHA-256 over the same bytes ({rounds} rounds)")
    app = create_app()
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.canonical, AuditEvent.prev_hash).order_by(AuditEvent.seq)).all()
        canonical = [(row.canonical.encode(), bytes.fromhex(row.prev_hash)) for row in rows]
        count = len(canonical)
        sha256 = hashlib.sha256

        def bare() -> float:
            started = time.perf_counter()
            for text, previous in canonical:
                sha256(previous + sha256(b"\x00" + text).digest()).digest()
            return time.perf_counter() - started

        def verify(workers: int) -> float:
            started = time.perf_counter()
            report = integrity.verify_audit_chain(workers=workers)
            seconds = time.perf_counter() - started
            if report.problems:
                raise RuntimeError(f"verify found problems: {report.problems[:3]}")
            checked.append(report.checked)
            db.session.rollback()
            return seconds

        workers = integrity.EVERY_CPU
        bare_times, single_times, verify_times, checked = [], [], [], []
        for _ in range(rounds):
            bare_times.append(bare())
            single_times.append(verify(1))
            verify_times.append(verify(workers))
    started = time.perf_counter()
    subprocess.run([dataset.eia_path, "audit", "verify"], env=dataset.env, check=True, capture_output=True)
    command_seconds = time.perf_counter() - started
    scale = 500_000 / checked[-1]
    bare_spread, verify_spread = Spread.of(bare_times), Spread.of(verify_times)
    result.rows.append(
        {
            "measure": f"bare SHA-256 chain over {count:,} stored canonical events (in memory)",
            "seconds": bare_spread.text(" s", 3),
            "per 500k events": f"{bare_spread.median * scale:.3f} s",
        }
    )
    single_spread = Spread.of(single_times)
    result.rows.append(
        {
            "measure": "verify_audit_chain in one process (read, hash, compare)",
            "seconds": single_spread.text(" s", 3),
            "per 500k events": f"{single_spread.median * scale:.3f} s",
        }
    )
    result.rows.append(
        {
            "measure": f"verify_audit_chain as the command runs it ({workers} processes when large)",
            "seconds": verify_spread.text(" s", 3),
            "per 500k events": f"{verify_spread.median * scale:.3f} s",
        }
    )
    result.rows.append(
        {
            "measure": "`eia audit verify` command, wall clock incl. start-up",
            "seconds": f"{command_seconds:.3f} s",
            "per 500k events": f"{command_seconds * scale:.3f} s",
        }
    )
    result.rows.append(
        {
            "measure": "ratio verify in one process / bare",
            "per 500k events": "",
            "seconds": f"{single_spread.median / bare_spread.median:.2f}x",
        }
    )
    per_500k = verify_spread.median * scale
    result.target(
        f"500k events verified in <= {TARGET_SECONDS_PER_500K:g} s",
        f"{per_500k:.3f} s",
        per_500k <= TARGET_SECONDS_PER_500K,
    )
    return result
