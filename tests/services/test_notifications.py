"""Email over real SMTP: queued in the decision's transaction, delivered after commit, retried on failure."""

from __future__ import annotations

import socket

from sqlalchemy import select

from eia.extensions import db
from eia.models import OutboundEmail
from tests.conftest import PASSWORD, signed_in
from tests.journeys import act, complete_assessment, start_assessment, submit


def _seeded(make_app, **config):
    from eia.services.demo import seed

    app = make_app(**config)
    with app.app_context():
        seed(PASSWORD)
    return app


def test_submission_and_decision_email_the_people_concerned(make_app, smtp_server):
    port, received = smtp_server
    app = _seeded(make_app, SMTP_PORT=port)
    author = signed_in(app, "author@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id)
    submit(author, assessment_id)

    assert [m["To"] for m in received] == ["approver@example.org"]
    landed = received[0]
    assert "Submitted for approval" in landed["Subject"]
    assert f"/assessments/{assessment_id}" in landed.get_payload()
    assert landed["From"] == app.config["MAIL_FROM"]

    approver = signed_in(app, "approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "return", {"comment": "Please add evidence"})
    assert [m["To"] for m in received] == ["approver@example.org", "author@example.org"]
    assert "Returned to the author" in received[1]["Subject"]
    with app.app_context():
        assert db.session.scalar(select(OutboundEmail).where(OutboundEmail.sent_at.is_(None))) is None


def test_when_smtp_is_down_the_decision_stands_and_the_email_is_sent_later(make_app, smtp_server):
    port, received = smtp_server
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    app = _seeded(make_app, SMTP_PORT=dead_port)
    author = signed_in(app, "author@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id)
    submit(author, assessment_id)
    assert author.get("/").find(id="in-progress-list").find("li") is not None
    with app.app_context():
        queued = db.session.scalars(select(OutboundEmail)).all()
        assert [(e.to_address, e.sent_at, e.attempts) for e in queued] == [("approver@example.org", None, 1)]
        assert "cannot connect" in queued[0].last_error

    app.config["SMTP_PORT"] = port
    result = app.test_cli_runner().invoke(args=["mail", "send", "--now"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 email(s)" in result.output
    assert [m["To"] for m in received] == ["approver@example.org"]
