"""The application reads the questionnaire through its bindings, never by page or question id: with
every id renamed, an assessment is completed, escalated, signed off with conditions and archived with
no code change, beside one signed off under the shipped questionnaire; and an assessment pinned to a
questionnaire stored before bindings existed is still read correctly."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

from sqlalchemy import select

from eia.clock import uk_today
from eia.dataset import ensure_cast, run_scenario
from eia.domain import sample_data
from eia.extensions import db
from eia.models import (
    ArchivedRecord,
    Assessment,
    AssessmentSearch,
    DefinitionVersion,
    Organisation,
    TrackedAction,
    User,
)
from eia.services import archive, assessments, compliance, legal, lifecycle, search, workflow
from eia.services.definitions import current_definitions, definitions_of, documents_sha256
from eia.services.demo import seed
from eia.services.snapshot import build_snapshot
from tests.conftest import PASSWORD
from tests.pdfs import pdf_words
from tests.workflow_copies import WORKFLOWS, RenamedQuestionnaire

PINNED_V1 = Path(__file__).resolve().parents[1] / "definitions" / "fixtures" / "pinned" / "questionnaire-eia-v1.json"


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _organisation() -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.slug == "example-constabulary"))


def _complete(assessment: Assessment, author: User, answers: dict) -> None:
    """Save every page through the services, as the author's browser or the API would."""
    plan_page = definitions_of(assessment).questionnaire.bindings.action_plan.page_id
    for page_id, values in answers.items():
        if page_id == plan_page:
            for item in values["items"]:
                result = assessments.add_list_item(assessment, author, page_id, item, assessment.lock_version)
                assert result.ok, result.errors
            assert assessments.finish_list(assessment, author, page_id, assessment.lock_version) is None
        else:
            result = assessments.save_page(assessment, author, page_id, values, assessment.lock_version)
            assert result.ok, (page_id, result.errors)


def test_every_page_and_question_renamed_an_assessment_is_signed_off_with_no_code_change(make_app, tmp_path):
    before = make_app(WORKFLOWS_DIR=WORKFLOWS)
    with before.app_context():
        seed(PASSWORD)
        shipped = run_scenario(ensure_cast(_organisation(), PASSWORD), random.Random(3), "approve")
        shipped_id = shipped.id

    renamed = RenamedQuestionnaire(tmp_path / "renamed")
    after = make_app(WORKFLOWS_DIR=renamed.folder)
    with after.app_context():
        author, approver, board = (_user(f"{role}@example.org") for role in ("author", "approver", "board"))
        assessment = assessments.start(author)
        assert "subject" not in assessment.answers and "screen_subject" in assessment.answers, "department pre-filled"
        questionnaire = current_definitions().questionnaire
        covered = [(c.id, c.aims) for c in questionnaire.applicable_characteristics(assessment.characteristic_ids)]
        shipped_answers = sample_data.answers(
            random.Random(11),
            profile=sample_data.PROFILES["adverse"],
            characteristics=covered,
            department_id=author.department_id,
            objective_codes=[o.code for o in author.organisation.objectives],
            today=uk_today(),
            title_and_type=("Renamed questionnaire pilot", "sop"),
        )
        _complete(assessment, author, renamed.answers(shipped_answers))
        assert assessment.title == "Renamed questionnaire pilot" and assessment.subject_type == "sop"
        relevant = questionnaire.relevant_characteristics(assessments.current_path(assessment))
        assert relevant and all(c.id in assessment.characteristic_ids for c in relevant)

        def act(user: User, action: str, **decision) -> None:
            workflow.take_action(assessment, user, action, workflow.Decision(**decision), assessment.lock_version)

        act(author, "submit")
        blocking = [r for r in legal.evaluate(assessment) if r.blocks]
        assert blocking == []
        act(approver, "start_review")
        act(approver, "approve", comment="Content with the analysis.")
        assert assessment.status == "with_board", "the escalation rules read the renamed answers"
        act(board, "board_approve_with_conditions", conditions=["Publish quarterly figures"])
        assert definitions_of(assessment).workflow.state(assessment.status).final

        # The Board's condition joined the renamed action plan, owned by the senior responsible officer.
        plan = questionnaire.bindings.action_plan
        items = plan.items(assessment.answers)
        officer = shipped_answers["responsibility"]["senior_responsible_officer"]
        review_date = shipped_answers["review"]["review_date"]
        assert items[-1].action == "Board condition: Publish quarterly figures"
        assert (items[-1].owner, items[-1].due_date, items[-1].source) == (officer, review_date, "board_condition")
        tracked = db.session.scalars(
            select(TrackedAction).where(TrackedAction.assessment_id == assessment.id).order_by(TrackedAction.position)
        ).all()
        assert [t.text for t in tracked] == [item.action for item in items]
        assert lifecycle.review_date(assessment) == date.fromisoformat(review_date)

        search_row = db.session.get(AssessmentSearch, assessment.id)
        assert search_row.outcome == shipped_answers["outcome"]["outcome"]
        assert search_row.review_date == date.fromisoformat(review_date)
        assert search_row.decision_date == date.fromisoformat(shipped_answers["responsibility"]["decision_date"])
        assert search_row.adverse_characteristics.strip(",")

        record = db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment.id))
        words = pdf_words(archive.archived_pdf(record))
        for expected in [
            "Renamed questionnaire pilot",
            officer,
            "Board condition: Publish quarterly figures",
            "Aim 1: eliminate discrimination",
            "Residual impact after mitigation",
        ]:
            assert expected in words, expected
        snapshot = record.snapshot
        assert snapshot["owner"] == shipped_answers["responsibility"]["owner"]
        assert [c["name"] for c in snapshot["characteristics"]] == [c.name for c in relevant]

        # The assessment signed off under the shipped questionnaire is read with its own bindings.
        old = db.session.get(Assessment, shipped_id)
        assert definitions_of(old) is not definitions_of(assessment)
        assert lifecycle.review_date(old) == date.fromisoformat(old.answers["review"]["review_date"])
        assert search.rebuild() == 2, "re-indexed, each with its own questionnaire"
        for signed_off in (old, assessment):
            row = db.session.get(AssessmentSearch, signed_off.id)
            assert row.outcome and row.review_date == lifecycle.review_date(signed_off)
        figures = compliance.report(_user("auditor@example.org"), date(2000, 1, 1), date(2100, 1, 1))
        assert figures.signed_off == 2
        assert figures.not_linked_to_an_objective == 0
        assert sum(count.count for count in figures.outcomes) == 2
        assert "Not given" not in [count.label for count in figures.outcomes]


def test_an_assessment_pinned_to_a_questionnaire_without_bindings_is_read_with_the_shipped_ones(app):
    with app.app_context():
        seed(PASSWORD)
        signed_off = run_scenario(ensure_cast(_organisation(), PASSWORD), random.Random(5), "approve")
        # As stored by a release before bindings existed: the same pages and questions, no bindings.
        documents = {**current_definitions().documents, "questionnaire": json.loads(PINNED_V1.read_text())}
        sha256 = documents_sha256(documents)
        db.session.add(DefinitionVersion(sha256=sha256, documents=documents))
        db.session.flush()
        signed_off.definitions_sha256 = sha256
        db.session.commit()
        db.session.expire_all()

        old = db.session.get(Assessment, signed_off.id)
        pinned = definitions_of(old)
        assert (
            pinned.sha256 == sha256
            and "bindings" not in db.session.get(DefinitionVersion, sha256).documents["questionnaire"]
        )
        assert pinned.questionnaire.version == 1
        assert lifecycle.review_date(old) == date.fromisoformat(old.answers["review"]["review_date"])
        assert [r.check.id for r in legal.evaluate(old) if r.blocks] == []
        snapshot = build_snapshot(old, _user("approver@example.org"))
        assert snapshot.owner == old.answers["responsibility"]["owner"]
        assert snapshot.review_date == lifecycle.review_date(old)
        assert [c.name for c in snapshot.characteristics] == [
            c.name for c in pinned.questionnaire.relevant_characteristics(assessments.current_path(old))
        ]
        assert len(snapshot.actions) == len(old.answers["action_plan"]["items"])
