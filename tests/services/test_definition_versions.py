"""An assessment keeps the exact definitions it started with; a new one uses the files loaded now."""

from __future__ import annotations

from sqlalchemy import func, select

from eia.domain import questionnaire as q
from eia.extensions import db
from eia.models import Assessment, DefinitionVersion, User
from eia.services import assessments, workflow
from eia.services.definitions import current_definitions, definitions_of
from eia.services.demo import seed
from eia.services.snapshot import build_snapshot
from tests.conftest import PASSWORD
from tests.workflow_copies import WORKFLOWS, changed_definitions


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _questions(assessment: Assessment, page_id: str) -> list[str]:
    path = assessments.current_path(assessment)
    return [question.id for question in path.page(page_id).definition.questions]


def test_an_assessment_keeps_the_definitions_it_started_with(make_app, tmp_path):
    before = make_app(WORKFLOWS_DIR=WORKFLOWS)
    with before.app_context():
        seed(PASSWORD)
        started_before = assessments.start(_user("author@example.org"))
        old_id, old_sha256 = started_before.id, started_before.definitions_sha256
        assert old_sha256 == current_definitions().sha256

    after = make_app(WORKFLOWS_DIR=changed_definitions(tmp_path / "changed"))
    with after.app_context():
        author, approver = _user("author@example.org"), _user("approver@example.org")
        old = db.session.get(Assessment, old_id)
        new = assessments.start(author)
        assert new.definitions_sha256 == current_definitions().sha256 != old_sha256

        assert "budget" not in _questions(old, "aims") and "budget" in _questions(new, "aims")
        assert "withdraw" in [t.id for t in workflow.available_actions(old, author)]
        assert "withdraw" not in [t.id for t in workflow.available_actions(new, author)]
        assert definitions_of(old) is definitions_of(old), "built once, then cached"

        workflow.take_action(old, author, "withdraw", workflow.Decision(), old.lock_version)
        assert old.status == "withdrawn", "the old workflow still allows it"
        assert build_snapshot(old, approver).decision_trail[-1].from_state == "Draft", (
            "the archive uses the pinned labels"
        )
        try:
            workflow.take_action(new, author, "withdraw", workflow.Decision(), new.lock_version)
        except workflow.ActionRefused as refused:
            assert refused.reasons == ["You cannot withdraw an assessment that is being written"]
        else:
            raise AssertionError("the new workflow does not let a draft be withdrawn")

        assessments.start(author)  # the same definitions again: stored once
        assert db.session.scalar(select(func.count()).select_from(DefinitionVersion)) == 2
        pinned = db.session.get(DefinitionVersion, old_sha256).documents
        assert set(pinned) == {"questionnaire", "characteristics", "workflow"}


def test_an_assessment_pinned_before_follow_ups_were_reveals_keeps_its_questions(make_app, tmp_path):
    """Version 2 of the full EIA asked the residual justification on every residual page (required only
    when impact remained). An assessment started then keeps that page; a new one reveals it."""
    import shutil

    old_folder = tmp_path / "v2"
    shutil.copytree(WORKFLOWS, old_folder)
    document = old_folder / "questionnaire-eia.json"
    reveal = '"required": true, "when": {"in": [{"source": "answers", "identifier": "residual:$c.residual_level"}'
    text = document.read_text(encoding="utf-8")
    assert reveal in text
    document.write_text(
        text.replace(reveal, reveal.replace('"required": true, "when"', '"required_when"')), encoding="utf-8"
    )

    before = make_app(WORKFLOWS_DIR=old_folder)
    with before.app_context():
        seed(PASSWORD)
        old_id = assessments.start(_user("author@example.org")).id

    after = make_app(WORKFLOWS_DIR=WORKFLOWS)
    with after.app_context():
        author = _user("author@example.org")
        old, new = db.session.get(Assessment, old_id), assessments.start(author)
        for assessment in (old, new):
            assessments.save_page(
                assessment, author, "screening:age", {"relevance": "high", "reason": "Custody"}, assessment.lock_version
            )
            assessments.save_page(
                assessment, author, "residual:age", {"residual_level": "none"}, assessment.lock_version
            )

        def shown(assessment: Assessment) -> list[str]:
            path = assessments.current_path(assessment)
            return [row.question.id for row in q.answer_rows(path, path.page("residual:age"), {})]

        assert "justification" in shown(old)
        assert "justification" not in shown(new)
