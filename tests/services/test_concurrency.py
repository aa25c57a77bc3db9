"""Two people deciding the same assessment at once, on two database connections: exactly one wins."""

from __future__ import annotations

import threading

from sqlalchemy import select

from eia.extensions import db
from eia.models import Assessment, AuditEvent, Department, Transition, User
from eia.services import workflow
from eia.services.database import Conflict
from eia.services.users import create_user
from tests import factories
from tests.conftest import PASSWORD


def _submitted_assessment(app) -> int:
    return factories.submitted(app)


def test_simultaneous_decisions_have_exactly_one_winner(demo):
    with demo.app_context():
        approver = db.session.scalar(select(User).where(User.email == "approver@example.org"))
        create_user(
            email="approver2@example.org",
            name="Second Approver",
            roles=["approver"],
            organisation=approver.organisation,
            department=db.session.get(Department, approver.department_id),
            password=PASSWORD,
        )
    assessment_id = _submitted_assessment(demo)
    both_loaded = threading.Barrier(2, timeout=10)
    results: dict[str, object] = {}

    def decide(email: str, action: str, comment: str) -> None:
        with demo.app_context():  # its own session, so its own database connection
            user = db.session.scalar(select(User).where(User.email == email))
            assessment = db.session.get(Assessment, assessment_id)
            version = assessment.lock_version
            both_loaded.wait()
            try:
                results[email] = workflow.take_action(
                    assessment, user, action, workflow.Decision(comment=comment), version
                ).to_state
            except Conflict:
                results[email] = "conflict"

    threads = [
        threading.Thread(target=decide, args=("approver@example.org", "start_review", "")),
        threading.Thread(target=decide, args=("approver2@example.org", "return", "Needs evidence")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(map(str, results.values())) in (["conflict", "returned"], ["conflict", "with_approver"])
    winner_state = next(v for v in results.values() if v != "conflict")
    with demo.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment.status == winner_state
        decisions = db.session.scalars(
            select(Transition.action).where(Transition.assessment_id == assessment_id, Transition.action != "submit")
        ).all()
        assert len(decisions) == 1
        audited = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.in_(["assessment.start_review", "assessment.return"]))
        ).all()
        assert len(audited) == 1, "the loser's audit event rolled back with its decision"
