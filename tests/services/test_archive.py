"""Sign-off archive and tamper evidence, end to end: sign off, download, verify, tamper, detect."""

from __future__ import annotations

import hashlib
import os

import pytest
from sqlalchemy import func, select

from eia.domain.signing import verify_pdf
from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, AuditEvent, Transition
from eia.services import archive, seals
from eia.services.storage import FilesystemStorage
from tests import factories
from tests.conftest import PASSWORD, signed_in
from tests.insider import insider_sql
from tests.journeys import (
    AN_ACTION,
    act,
    high_impact_analysis,
    low_impact_analysis,
)
from tests.pages import PageClient
from tests.pdfs import pdf_words

BACKENDS = ["database", "filesystem"]


@pytest.fixture(params=BACKENDS)
def archive_app(request, make_app):
    from eia.services.demo import seed

    app = make_app(ARCHIVE_BACKEND=request.param)
    with app.app_context():
        seed(PASSWORD)
    return app


def _ready_for_sign_off(app, **answers) -> tuple[PageClient, int]:
    assessment_id = factories.submitted(app, **answers)
    factories.act(app, assessment_id, "start_review", factories.APPROVER)
    return signed_in(app, factories.APPROVER), assessment_id


def _signed_off(app, **answers) -> int:
    return factories.signed_off(app, comment="Content with the mitigation", **answers)


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_the_signed_pdf_shows_every_answer_and_its_signature_validates(archive_app):
    assessment_id = _signed_off(archive_app, title="Custody handover ŵ ł 👮 <b>not bold</b>")
    auditor = signed_in(archive_app, "auditor@example.org")
    page = auditor.get(f"/assessments/{assessment_id}")
    response = auditor.client.get(f"/assessments/{assessment_id}/signed-record.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment;" in response.headers["Content-Disposition"]
    pdf = response.get_data()
    assert page.text_of(id="record-sha256") == hashlib.sha256(pdf).hexdigest()

    with archive_app.app_context():
        report = verify_pdf(pdf, seals.trust_for(db.session.get(Assessment, assessment_id).organisation_id))
        assert report.ok, report.problems
        record = db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id))
        assert record.storage_backend == archive_app.config["ARCHIVE_BACKEND"]
        downloads = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "archive.downloaded").order_by(AuditEvent.seq)
        ).all()
        assert [e.object_id for e in downloads] == [str(record.id)]

    words = pdf_words(pdf)
    for expected in [
        "Custody handover ŵ ł",
        "<b>not bold</b>",
        "[U+1F46E",
        "Inspector Ada Lovelace",
        "Force data on age, 2025",
        "Staff network consulted in March",
        "Sam Approver",
        "Content with the mitigation",
        "Quarterly data review",
    ]:
        assert expected in words, expected


def test_verify_commands_pass_on_an_untouched_system(archive_app):
    _signed_off(archive_app)
    archive = _cli(archive_app, "archive", "verify")
    assert archive.exit_code == 0, archive.output
    assert "all 1 intact" in archive.output
    chain = _cli(archive_app, "audit", "verify")
    assert chain.exit_code == 0, chain.output


def test_flipping_one_byte_of_a_stored_file_is_reported(archive_app):
    assessment_id = _signed_off(archive_app)
    with archive_app.app_context():
        record = db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id))
        content = bytearray(archive.archived_pdf(record))
        content[len(content) // 3] ^= 0x01
        if record.storage_backend == "database":
            insider_sql("UPDATE archived_record SET content = :c WHERE id = :i", {"c": bytes(content), "i": record.id})
            db.session.commit()
        else:
            path = FilesystemStorage(archive_app.config["ARCHIVE_DIR"]).path_for(record.storage_key)
            os.chmod(path, 0o644)
            path.write_bytes(bytes(content))
        reference = record.reference
    result = _cli(archive_app, "archive", "verify")
    assert result.exit_code == 1
    assert f"{reference} version 1" in result.output
    assert "SHA-256 does not match the record (the file was altered)" in result.output


def test_editing_an_audit_row_is_reported(archive_app):
    _signed_off(archive_app)
    with archive_app.app_context():
        target = db.session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "assessment.submit"))
        insider_sql(
            "UPDATE audit_event SET canonical = replace(canonical, 'submitted', 'approved') WHERE seq = :s",
            {"s": target},
        )
        db.session.commit()
    result = _cli(archive_app, "audit", "verify")
    assert result.exit_code == 1
    assert f"event {target}: its content does not match its hash (the event was altered)" in result.output


def test_deleting_the_last_events_is_reported_against_a_checkpoint(archive_app, tmp_path):
    _signed_off(archive_app)
    checkpoint_file = tmp_path / "checkpoint.json"
    made = _cli(archive_app, "audit", "checkpoint", "--output", str(checkpoint_file))
    assert made.exit_code == 0, made.output
    with archive_app.app_context():
        last = db.session.scalar(select(func.max(AuditEvent.seq)))
        insider_sql("DELETE FROM audit_event WHERE seq >= :s", {"s": last - 1})
        db.session.commit()
    result = _cli(archive_app, "audit", "verify", "--checkpoint", str(checkpoint_file))
    assert result.exit_code == 1
    assert f"events {last - 1} to {last} were deleted" in result.output
    assert _cli(archive_app, "audit", "verify").exit_code == 0, "without a checkpoint, a clean cut is undetectable"


def test_deleting_events_the_archive_refers_to_is_reported_without_a_checkpoint(archive_app):
    _signed_off(archive_app)
    with archive_app.app_context():
        archived_at = db.session.scalar(select(func.max(ArchivedRecord.audit_seq)))
        insider_sql("DELETE FROM audit_event WHERE seq >= :s", {"s": archived_at})
        db.session.commit()
    result = _cli(archive_app, "audit", "verify")
    assert result.exit_code == 1
    assert f"the archive refers to audit event {archived_at}" in result.output


def test_a_forged_checkpoint_is_refused(archive_app, tmp_path):
    _signed_off(archive_app)
    checkpoint_file = tmp_path / "checkpoint.json"
    _cli(archive_app, "audit", "checkpoint", "--output", str(checkpoint_file))
    forged = checkpoint_file.read_text().replace('"seq": ', '"seq": 1', 1)
    checkpoint_file.write_text(forged)
    result = _cli(archive_app, "audit", "verify", "--checkpoint", str(checkpoint_file))
    assert result.exit_code == 1
    assert "the checkpoint's signature is not valid" in result.output


def test_a_storage_failure_mid_sign_off_leaves_nothing_half_done_and_can_be_retried(make_app, tmp_path):
    from eia.services.demo import seed

    blocked = tmp_path / "archive-is-a-file"
    blocked.write_text("not a folder")
    app = make_app(ARCHIVE_BACKEND="filesystem", ARCHIVE_DIR=blocked)
    with app.app_context():
        seed(PASSWORD)
    approver, assessment_id = _ready_for_sign_off(app)
    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    failed = act(approver, assessment_id, "approve", {"comment": "Signed"}, status=503)
    assert "The signed record could not be made or stored" in failed.error_messages[0]
    assert "Signed" in failed.text_of(id="comment")
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment.status == "with_approver"
        assert db.session.scalar(select(func.count()).select_from(ArchivedRecord)) == 0
        assert (
            db.session.scalar(select(func.count()).select_from(Transition).where(Transition.action == "approve")) == 0
        )
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before

    blocked.unlink()
    blocked.mkdir()
    act(approver, assessment_id, "approve", {"comment": "Signed"})
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "approved"
    assert _cli(app, "archive", "verify").exit_code == 0


def test_a_board_sign_off_is_archived_with_the_rules_that_sent_it_there(archive_app):
    approver, assessment_id = _ready_for_sign_off(
        archive_app, relevant=high_impact_analysis("race"), actions=[AN_ACTION]
    )
    act(approver, assessment_id, "approve")
    board = signed_in(archive_app, "board@example.org")
    act(board, assessment_id, "board_approve_with_conditions", {"conditions-1-text": "Publish the figures quarterly"})
    response = board.client.get(f"/assessments/{assessment_id}/signed-record.pdf")
    words = pdf_words(response.get_data())
    assert "Residual adverse impact of medium or high" in words and "R1" not in words
    assert "Board condition: Publish the figures quarterly" in words
    assert "Bea Board" in words


def test_extras_are_signed_off_against_their_own_duty_not_the_three_aims(archive_app):
    """Socio-economic disadvantage is judged by the socio-economic duty and the armed forces community
    by the Armed Forces Covenant duty: the signed record's impact tables say so."""
    relevant = {
        **low_impact_analysis("age"),
        "evidence:socio_economic": {"has_evidence": "yes", "evidence": "Index of Multiple Deprivation by custody area"},
        "engagement:socio_economic": {"engaged": "yes", "engagement": "Citizens Advice, June 2026"},
        "impact:socio_economic": {
            "reduce_inequality_direction": "negative",
            "reduce_inequality_level": "medium",
            "description": "Fewer duty solicitors at night in the poorest areas",
        },
        "residual:socio_economic": {
            "mitigation": "Remote duty solicitor by video",
            "residual_level": "low",
            "justification": "Shorter detention for everyone; the remote service closes most of the gap",
        },
        "evidence:armed_forces": {"has_evidence": "yes", "evidence": "Veterans' custody screening data 2025"},
        "engagement:armed_forces": {"engaged": "yes", "engagement": "Veterans' champion, May 2026"},
        "impact:armed_forces": {"covenant_direction": "positive", "description": "Veterans are asked about service"},
        "residual:armed_forces": {"residual_level": "none"},
    }
    assessment_id = _signed_off(archive_app, relevant=relevant, actions=[AN_ACTION])
    with archive_app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "approved"
    auditor = signed_in(archive_app, "auditor@example.org")
    words = pdf_words(auditor.client.get(f"/assessments/{assessment_id}/signed-record.pdf").get_data())
    assert "Socio-economic duty: reduce inequalities of outcome Negative Medium" in words
    assert "Armed Forces Covenant duty: no disadvantage from service Positive" in words
    analysis = words.split("Analysis by protected characteristic", 1)[1]
    assert analysis.count("Aim 1: eliminate discrimination") == 1  # age's table only
    assert words.count("Aim 1: eliminate discrimination") == 2  # and age's row in the key findings
