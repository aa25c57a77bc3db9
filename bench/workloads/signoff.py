"""W5: the sign-off pipeline (snapshot, render, seal, hash, store, archive row, audit event) against a
bare reportlab render of the same document, interleaved, in one process.

Each pipeline run happens inside a transaction that is rolled back, on an assessment that is with
the Board, so the same sign-off can be repeated (database archive backend: nothing is left behind).
"""

from __future__ import annotations

import time

from bench.common import Result, Spread

TARGET_RATIO = 1.3


def run(dataset, rounds: int, log=print) -> Result:
    from sqlalchemy import select

    from eia import create_app
    from eia.domain.pdf import render_assessment_pdf
    from eia.domain.signing import sha256_hex
    from eia.extensions import db
    from eia.models import ArchivedRecord, Assessment, User, UserRole
    from eia.services import archive, seals
    from eia.services.snapshot import build_snapshot

    result = Result("signoff", f"Sign-off pipeline vs bare reportlab render of the same document ({rounds} rounds)")
    app = create_app(ARCHIVE_BACKEND="database")
    with app.app_context():
        archived = select(ArchivedRecord.assessment_id)
        assessment_id = db.session.scalar(
            select(Assessment.id)
            .where(Assessment.status == "with_board", Assessment.id.not_in(archived))
            .order_by(Assessment.id)
        )
        board = db.session.scalar(select(User).join(UserRole).where(UserRole.role == "board").order_by(User.id))
        signer = "Example Constabulary (decision by the Board)"

        # Wall-clock and CPU time of the same call: on a shared machine the process also waits for a
        # core, which CPU time leaves out (the pipeline does no file I/O with the database backend).
        def timed(call):
            wall, cpu = time.perf_counter(), time.process_time()
            value = call()
            return time.perf_counter() - wall, time.process_time() - cpu, value

        def bare():
            snapshot = build_snapshot(db.session.get(Assessment, assessment_id), board)
            return timed(lambda: render_assessment_pdf(snapshot, sealed_by=signer, certificate_sha256="0" * 64))

        def pipeline():
            assessment = db.session.get(Assessment, assessment_id)

            def sign_off():
                record = archive.archive_signed_off(assessment, board)
                db.session.flush()
                return record.size

            measured = timed(sign_off)
            db.session.rollback()
            return measured

        def seal_only(content):
            started = time.perf_counter()
            sealed = sealer.seal(
                content.content, signer_name=signer, reason="bench", location="bench", seal_box=content.seal_box
            )
            sha256_hex(sealed)
            return time.perf_counter() - started

        # The organisation's seal exists (committed) and its key is loaded once per process, as in a worker.
        organisation = db.session.get(Assessment, assessment_id).organisation
        seals.ensure_seal(organisation)
        sealer, _ = seals.current_seal(organisation)
        db.session.rollback()
        bare(), pipeline()  # warm-up: fonts, templates, caches
        bare_times, pipeline_times, seal_times, bare_cpu, pipeline_cpu = [], [], [], [], []
        size = 0
        for _ in range(rounds):
            seconds, cpu, rendered = bare()
            bare_times.append(seconds * 1000)
            bare_cpu.append(cpu * 1000)
            seconds, cpu, size = pipeline()
            pipeline_times.append(seconds * 1000)
            pipeline_cpu.append(cpu * 1000)
            seal_times.append(seal_only(rendered) * 1000)
        pages = rendered.content.count(b"/Type /Page\n") or rendered.content.count(b"/Type /Page")
    bare_spread, pipeline_spread, seal_spread = Spread.of(bare_times), Spread.of(pipeline_times), Spread.of(seal_times)
    ratio = pipeline_spread.median / bare_spread.median
    result.rows.append({"measure": "bare render (reportlab, same snapshot)", "ms": bare_spread.text(" ms", 1)})
    result.rows.append(
        {
            "measure": "pipeline: snapshot + render + seal + SHA-256 + store + audit",
            "ms": pipeline_spread.text(" ms", 1),
        }
    )
    result.rows.append(
        {"measure": "of which seal (pyHanko PAdES, ECDSA P-256) + SHA-256", "ms": seal_spread.text(" ms", 1)}
    )
    result.rows.append({"measure": "ratio pipeline / bare render", "ms": f"{ratio:.2f}x"})
    bare_cpu_spread, pipeline_cpu_spread = Spread.of(bare_cpu), Spread.of(pipeline_cpu)
    result.rows.append(
        {
            "measure": "CPU time: bare render / pipeline",
            "ms": f"{bare_cpu_spread.text(' ms', 1)} / {pipeline_cpu_spread.text(' ms', 1)}",
        }
    )
    result.rows.append(
        {
            "measure": "ratio of CPU times (leaves out waiting for a core on a shared machine)",
            "ms": f"{pipeline_cpu_spread.median / bare_cpu_spread.median:.2f}x",
        }
    )
    result.target(f"pipeline <= {TARGET_RATIO}x bare render", f"{ratio:.2f}x", ratio <= TARGET_RATIO)
    result.notes.append(f"signed PDF {size:,} bytes, about {pages} pages; assessment {assessment_id}")
    return result
