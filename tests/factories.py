"""Assessments in any state, built through the services rather than the HTML forms.

The pages are the acceptance tests' business (tests/journeys.py drives them like a browser); a test
about something else starts from here: the same answers, the same validation, pinned definitions, audit
events and (for a sign-off) the sealed PDF, at a fraction of the cost of 27 GET and POST pairs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from eia.extensions import db
from eia.models import Assessment, User
from eia.services import assessments, workflow
from eia.web.form_builder import submitted_values
from tests.journeys import AN_ACTION, questionnaire_answers  # noqa: F401  (AN_ACTION: re-exported for tests)

AUTHOR = "author@example.org"
APPROVER = "approver@example.org"
BOARD = "board@example.org"


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _as_sent(page_id: str, assessment: Assessment, data: Mapping[str, Any]) -> dict[str, Any]:
    """Form-shaped answers (a date as [day, month, year], as the journeys send it) as the domain takes
    them: read by each question's type, as the web form's own reader does."""
    _, page = assessments.page_for(assessment, page_id)
    return submitted_values(
        [question for question in page.definition.questions if question.id in data], MultiDict(data)
    )


def _save(assessment: Assessment, author: User, page_id: str, data: Mapping[str, Any]) -> None:
    """Save a page as its form would send it: what is stored already, with ``data`` typed over it."""
    _, page = assessments.page_for(assessment, page_id)
    values = {**assessments.stored_answers(assessment, page), **_as_sent(page_id, assessment, data)}
    result = assessments.save_page(assessment, author, page_id, values, assessment.lock_version)
    assert result.ok, (page_id, result.errors)


def _fill_list(assessment: Assessment, author: User, page_id: str, items: Iterable[Mapping[str, Any]]) -> None:
    for item in items:
        result = assessments.add_list_item(
            assessment, author, page_id, _as_sent(page_id, assessment, item), assessment.lock_version
        )
        assert result.ok, (page_id, result.errors)
    problem = assessments.finish_list(assessment, author, page_id, assessment.lock_version)
    assert problem is None, (page_id, problem)


def answered(app, *, author: str = AUTHOR, subject_type: str | None = "sop", **answers) -> int:
    """A draft with every page answered (``answers`` as tests.journeys.complete_assessment takes them)."""
    with app.app_context():
        person = _user(author)
        assessment = assessments.start(person, subject_type)
        path = assessments.current_path(assessment)
        characteristics = [page.id.split(":", 1)[1] for page in path.pages if page.id.startswith("screening:")]
        for page_id, data in questionnaire_answers(characteristics, **answers):
            if isinstance(data, list):
                _fill_list(assessment, person, page_id, data)
            else:
                _save(assessment, person, page_id, data)
        return assessment.id


def save(app, assessment_id: int, page_id: str, data: Mapping[str, Any], author: str = AUTHOR) -> None:
    """Change one page's answers, as its form would."""
    with app.app_context():
        _save(db.session.get(Assessment, assessment_id), _user(author), page_id, data)


def act(app, assessment_id: int, action: str, actor: str, **decision) -> None:
    """Take a workflow action as ``actor`` through the service, as the decision page would."""
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        workflow.take_action(assessment, _user(actor), action, workflow.Decision(**decision), assessment.lock_version)


def submitted(app, **answers) -> int:
    assessment_id = answered(app, **answers)
    act(app, assessment_id, "submit", answers.get("author", AUTHOR))
    return assessment_id


def signed_off(app, *, comment: str = "", **answers) -> int:
    """Submitted, reviewed and approved by the approver: signed off, sealed and archived."""
    assessment_id = submitted(app, **answers)
    act(app, assessment_id, "start_review", APPROVER)
    act(app, assessment_id, "approve", APPROVER, comment=comment)
    return assessment_id
