"""Every role x transition x state of the real workflow, through the service: an action is taken
exactly where the definition allows that role in that state, and refused (changing nothing) elsewhere."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from config import Config
from eia.extensions import db
from eia.models import ROLES, Assessment, Transition, User
from eia.services import assessments, workflow
from eia.services.database import NotAllowed, unit_of_work
from eia.services.definitions import load_library
from eia.services.demo import seed
from tests.conftest import PASSWORD, POSTGRES_URL, _make_app, _truncate_all

DEFINITION = load_library(Config.WORKFLOWS_DIR).default.workflow
USERS = {
    "author": "author@example.org",
    "approver": "approver@example.org",
    "board": "board@example.org",
    "adviser": "adviser@example.org",
    "auditor": "auditor@example.org",
    "admin": "admin@example.org",
}
CASES = [(role, action, state) for role in ROLES for action in DEFINITION.transitions for state in DEFINITION.states]


@pytest.fixture(scope="module")
def app(migrated_database, tmp_path_factory):
    """One app and one set of demo users for all the cases (each case starts its own assessment)."""
    instance = tmp_path_factory.mktemp("workflow-permissions")
    if POSTGRES_URL:
        uri = migrated_database
    else:
        shutil.copyfile(migrated_database, instance / "eia.db")
        uri = f"sqlite:///{instance / 'eia.db'}"
    built = _make_app(uri, instance)
    with built.app_context():
        seed(PASSWORD)
    yield built
    if POSTGRES_URL:
        _truncate_all(built)
    with built.app_context():
        db.engine.dispose()


def _complete_answers(assessment: Assessment) -> dict:
    """A finished, low-impact assessment: nothing escalates, so approving signs it off."""
    next_year = (date.today() + timedelta(days=365)).isoformat()
    return {
        "subject": {"title": "Body-worn video", "subject_type": "sop", "department": str(assessment.department_id)},
        "responsibility": {"owner": "Insp A", "senior_responsible_officer": "ACC B", "decision_date": next_year},
        "aims": {"aims": "Aims", "affected": "both", "scope": "Force-wide"},
        "objectives": {},
        **{f"screening:{c}": {"relevance": "none", "reason": "Not relevant"} for c in assessment.characteristic_ids},
        "screening:age": {"relevance": "high", "reason": "Relevant"},
        "evidence:age": {"has_evidence": "yes", "evidence": "Force data 2025"},
        "engagement:age": {"engaged": "yes", "engagement": "Staff network, March"},
        "impact:age": {
            "eliminate_direction": "neutral",
            "advance_direction": "positive",
            "foster_direction": "neutral",
            "description": "d",
        },
        "residual:age": {"residual_level": "none"},
        "outcome": {"outcome": "no_change", "changes_made": "Nothing", "board_review_requested": "no"},
        "action_plan": {"items": [], "done": True},
        "review": {"monitoring": "Quarterly", "review_date": next_year},
    }


def _user(role: str) -> User:
    return db.session.scalar(select(User).where(User.email == USERS[role]))


def _assessment_in(state: str) -> Assessment:
    assessment = assessments.start(_user("author"))
    with unit_of_work():  # set-up, not behaviour under test: put it straight into the state
        assessment.answers = _complete_answers(assessment)
        assessment.status = state
    return assessment


def _transitions(assessment: Assessment) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Transition).where(Transition.assessment_id == assessment.id)
    )


@pytest.mark.parametrize("role, action, state", CASES, ids=[f"{r}-{a}-{s}" for r, a, s in CASES])
def test_an_action_is_allowed_exactly_where_the_definition_says(app, role, action, state):
    transition = DEFINITION.transitions[action]
    allowed = state in transition.from_states and role in transition.roles
    decision = workflow.Decision(
        comment="Because" if transition.comment == "required" else "",
        conditions=[workflow.Condition("Train supervisors")] if transition.conditions else [],
    )
    with app.app_context():
        assessment = _assessment_in(state)
        version = assessment.lock_version
        if allowed:
            outcome = workflow.take_action(assessment, _user(role), action, decision, version)
            assert assessment.status == outcome.to_state != state, "every transition changes the state"
            assert assessment.lock_version > version, "so every transition passes the version check"
            assert _transitions(assessment) == 1
        else:
            with pytest.raises((workflow.ActionRefused, NotAllowed)):
                workflow.take_action(assessment, _user(role), action, decision, version)
            db.session.rollback()
            db.session.refresh(assessment)
            assert (assessment.status, assessment.lock_version, _transitions(assessment)) == (state, version, 0)
