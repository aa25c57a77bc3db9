"""The equality adviser's quality review, declared in workflows/eia-adviser-review.json and chosen per
kind of proposal by the organisation: routing, who is told, the adviser's queue and its summary, and the
adviser's comments reaching the author in the decision trail. Built through the services."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from eia.dataset import seed_demo_assessments
from eia.extensions import db
from eia.models import Notification, User
from eia.services import admin, assessments, quality, workflow
from eia.services.database import NotAllowed
from eia.services.definitions import definitions_of, library
from eia.services.demo import seed
from eia.services.trail import decision_trail
from tests.conftest import PASSWORD

ADVISER_WORKFLOW = "eia-adviser-review"


@pytest.fixture
def ctx(make_app):
    app = make_app()
    with app.app_context():
        seed(PASSWORD)
        yield app


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _route_through_adviser(*kinds: str) -> None:
    """The administrator sends these kinds of proposal (with their usual questionnaire) through the adviser."""
    folder = library()
    organisation = _user("admin@example.org").organisation
    routes = {kind.value: folder.route_for(kind, organisation.subject_type_routes) for kind in folder.subject_types}
    routes.update({kind: (folder.subject_type(kind).questionnaire_id, ADVISER_WORKFLOW) for kind in kinds})
    admin.update_subject_type_routes(_user("admin@example.org"), routes)


def _answers(assessment, *, residual: str = "none") -> dict:
    next_year = (date.today() + timedelta(days=365)).isoformat()
    answers = {
        "subject": {
            "title": "Spit and bite guards",
            "subject_type": assessment.subject_type,
            "department": str(assessment.department_id),
        },
        "responsibility": {"owner": "Insp A", "senior_responsible_officer": "ACC B", "decision_date": next_year},
        "aims": {"aims": "Protect officers from assault", "affected": "both", "scope": "Force-wide"},
        "objectives": {},
    }
    for characteristic in assessment.characteristic_ids:
        answers[f"screening:{characteristic}"] = (
            {"relevance": "high", "reason": "Guards are used more on younger people"}
            if characteristic == "age"
            else {"relevance": "none", "reason": f"No link found between guards and {characteristic}"}
        )
    answers |= {
        "evidence:age": {"has_evidence": "yes", "evidence": "Use-of-force data 2025"},
        "engagement:age": {"engaged": "yes", "engagement": "Youth independent advisory group, March"},
        "impact:age": {
            "eliminate_direction": "neutral",
            "advance_direction": "positive",
            "foster_direction": "neutral",
            "description": "Little effect",
        },
        "residual:age": {
            "residual_level": residual,
            **(
                {
                    "mitigation": "Supervisor review of every use",
                    "justification": "Proportionate to the risk of assault",
                }
                if residual != "none"
                else {}
            ),
        },
        "outcome": {"outcome": "no_change", "changes_made": "Nothing", "board_review_requested": "no"},
        "review": {"monitoring": "Quarterly", "review_date": next_year},
    }
    return answers


def _completed(kind: str = "sop", **options):
    author = _user("author@example.org")
    assessment = assessments.start(author, kind)
    for page_id, values in _answers(assessment, **options).items():
        result = assessments.save_page(assessment, author, page_id, values, assessment.lock_version)
        assert result.ok, (page_id, result.errors)
    assert assessments.finish_list(assessment, author, "action_plan", assessment.lock_version) is None
    return assessment


def _act(assessment, email: str, action: str, **decision):
    return workflow.take_action(
        assessment, _user(email), action, workflow.Decision(**decision), assessment.lock_version
    )


def _messages(email: str, assessment) -> list[str]:
    return list(
        db.session.scalars(
            select(Notification.message)
            .where(Notification.user_id == _user(email).id, Notification.assessment_id == assessment.id)
            .order_by(Notification.id)
        )
    )


def _queue_state(assessment, role: str) -> bool:
    return definitions_of(assessment).workflow.state(assessment.status).queue == role


def test_the_demo_organisation_has_an_adviser_and_its_record_sends_some_kinds_through_them(ctx):
    assert _user("adviser@example.org").roles == {"adviser"}
    assert _user("author-adviser@example.org").roles == {"author", "adviser"}
    author = _user("author@example.org")
    assert definitions_of(assessments.start(author, "sop")).workflow.id != ADVISER_WORKFLOW, "the folder's mapping"
    seed_demo_assessments(PASSWORD)
    assert definitions_of(assessments.start(author, "sop")).workflow.id == ADVISER_WORKFLOW
    assert definitions_of(assessments.start(author, "policy")).workflow.id != ADVISER_WORKFLOW, "only the kinds chosen"
    neighbour = db.session.scalar(select(User).where(User.email == "author@neighbouring.example.org"))
    assert definitions_of(assessments.start(neighbour, "sop")).workflow.id != ADVISER_WORKFLOW


def test_a_submission_waits_for_the_adviser_who_returns_it_then_passes_it_to_the_approver(ctx):
    _route_through_adviser("sop")
    assessment = _completed()
    _act(assessment, "author@example.org", "submit")

    assert _queue_state(assessment, "adviser")
    assert quality.adviser_queue(_user("adviser@example.org")) == [assessment]
    assert quality.adviser_queue(_user("author-adviser@example.org")) == [assessment], "advisers see every department"
    assert _messages("adviser@example.org", assessment) == [
        "Submitted for quality review. Status: With the equality adviser"
    ]
    assert _messages("approver@example.org", assessment) == [], "not the approver's yet"
    with pytest.raises(workflow.ActionRefused):  # the approver cannot skip the review
        _act(assessment, "approver@example.org", "start_review")
    db.session.rollback()
    db.session.refresh(assessment)

    _act(
        assessment,
        "adviser@example.org",
        "return_after_quality_review",
        section_reasons={"analysis:age": "Say what the youth advisory group told you, and what you changed"},
    )
    assert assessment.status == "returned"
    assert _messages("author@example.org", assessment) == [
        "Returned to the author by the equality adviser. Status: Returned"
    ]
    assert quality.adviser_queue(_user("adviser@example.org")) == []

    _act(assessment, "author@example.org", "submit")
    _act(assessment, "adviser@example.org", "pass_quality_review", comment="Proportionate and well evidenced")
    assert _queue_state(assessment, "approver")
    assert _messages("approver@example.org", assessment) == [
        "Quality review passed by the equality adviser. Status: Submitted"
    ]
    assert _messages("author@example.org", assessment)[-1] == (
        "Quality review passed by the equality adviser. Status: Submitted"
    )

    _act(assessment, "approver@example.org", "start_review")
    _act(assessment, "approver@example.org", "approve")
    assert definitions_of(assessment).workflow.state(assessment.status).signed_off

    trail = decision_trail(assessment)
    words = [(entry.actor, entry.role, entry.action_label) for entry in trail]
    assert ("Eden Adviser", "Equality adviser", "Returned to the author by the equality adviser") in words
    assert ("Eden Adviser", "Equality adviser", "Quality review passed by the equality adviser") in words
    returned = next(entry for entry in trail if entry.section_reasons)
    assert returned.section_reasons == (
        "Full analysis: Age: Say what the youth advisory group told you, and what you changed",
    )
    assert any(entry.comment == "Proportionate and well evidenced" for entry in trail)


def test_an_adviser_may_not_review_their_own_assessment_nor_act_outside_the_review(ctx):
    _route_through_adviser("sop")
    author_adviser = _user("author-adviser@example.org")
    assessment = assessments.start(author_adviser, "sop")
    for page_id, values in _answers(assessment).items():
        assert assessments.save_page(assessment, author_adviser, page_id, values, assessment.lock_version).ok
    assert assessments.finish_list(assessment, author_adviser, "action_plan", assessment.lock_version) is None
    _act(assessment, "author-adviser@example.org", "submit")
    assert _messages("adviser@example.org", assessment), "the other advisers are told"
    assert _messages("author-adviser@example.org", assessment) == [], "never told of their own action"
    with pytest.raises((workflow.ActionRefused, NotAllowed)):
        _act(assessment, "author-adviser@example.org", "pass_quality_review")
    db.session.rollback()
    db.session.refresh(assessment)
    _act(assessment, "adviser@example.org", "pass_quality_review")
    with pytest.raises((workflow.ActionRefused, NotAllowed)):  # the adviser's part is over
        _act(assessment, "adviser@example.org", "return_after_quality_review", comment="Too late")


def test_the_summary_says_what_the_adviser_should_look_at(ctx):
    _route_through_adviser("sop")
    assessment = _completed(residual="medium")
    _act(assessment, "author@example.org", "submit")
    summary = quality.summary(assessment)
    assert summary.kind == "Standard operating procedure"
    assert summary.relevant == ("Age",)
    assert summary.covered == len(assessment.characteristic_ids)
    assert summary.times_returned == 0
    assert [(onward.to, onward.reasons) for onward in summary.onward] == [
        ("With the Board", ("Residual adverse impact of medium or high for a characteristic",))
    ]
    assert summary.warnings and not any(re.search(r"\bL\d", warning) for warning in summary.warnings), (
        f"labels, not rule codes: {summary.warnings}"
    )


def test_kinds_the_organisation_did_not_choose_skip_the_review(ctx):
    _route_through_adviser("policy")
    assessment = _completed("sop")
    _act(assessment, "author@example.org", "submit")
    assert _queue_state(assessment, "approver")
    assert quality.adviser_queue(_user("adviser@example.org")) == []
    assert _messages("adviser@example.org", assessment) == []
