"""The outbox never lets SMTP hold up or undo a decision, retries with back-off, and two senders
running at once deliver each email exactly once. Real SMTP servers on loopback throughout."""

from __future__ import annotations

import asyncio
import socket
import threading

from sqlalchemy import select

from eia.extensions import db
from eia.models import Assessment, OutboundEmail, User
from eia.services import notifications
from eia.services.database import unit_of_work
from tests import factories
from tests.conftest import PASSWORD, signed_in
from tests.journeys import act, complete_assessment, start_assessment, submit


def _seeded(make_app, **config):
    from eia.services.demo import seed

    app = make_app(**config)
    with app.app_context():
        seed(PASSWORD)
    return app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _queued(app) -> list[tuple[str, bool, int]]:
    with app.app_context():
        return [
            (e.to_address, e.sent_at is not None, e.attempts)
            for e in db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id))
        ]


def test_smtp_down_the_decision_succeeds_and_mail_send_later_delivers_exactly_once(make_app, smtp_server):
    port, received = smtp_server
    app = _seeded(make_app, SMTP_PORT=_free_port())  # nobody listens there
    assessment_id = factories.submitted(app)
    factories.act(app, assessment_id, "start_review", factories.APPROVER)
    factories.act(app, assessment_id, "return", factories.APPROVER, comment="Please add evidence")
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "returned"
        email = db.session.scalar(select(OutboundEmail).where(OutboundEmail.to_address == "author@example.org"))
        assert email.next_attempt_at > email.created_at and email.claimed_at is None
    assert _queued(app) == [("approver@example.org", False, 1), ("author@example.org", False, 1)]

    app.config["SMTP_PORT"] = port
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail", "send", "--now"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 email(s); 0 failed" in result.output
    assert runner.invoke(args=["mail", "send", "--now"]).output.startswith("Sent 0 email(s)")
    assert sorted(m["To"] for m in received) == ["approver@example.org", "author@example.org"]
    assert _queued(app) == [("approver@example.org", True, 2), ("author@example.org", True, 2)]


def test_a_server_that_refuses_or_never_answers_leaves_the_email_queued(make_app):
    from aiosmtpd.controller import Controller

    class Refuse:
        async def handle_DATA(self, server, session, envelope):
            return "554 Transaction failed"

    refusing = Controller(Refuse(), hostname="127.0.0.1", port=_free_port())
    refusing.start()
    try:
        app = _seeded(make_app, SMTP_PORT=refusing.port)
        author = signed_in(app, "author@example.org")
        assessment_id = start_assessment(author)
        complete_assessment(author, assessment_id)
        submit(author, assessment_id)
    finally:
        refusing.stop()
    with app.app_context():
        email = db.session.scalar(select(OutboundEmail))
        assert (email.sent_at, email.attempts) == (None, 1) and "554" in email.last_error
        assert db.session.get(Assessment, assessment_id).status == "submitted"

    with socket.socket() as silent:  # accepts connections (backlog) but never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        app.config.update(SMTP_PORT=silent.getsockname()[1], SMTP_TIMEOUT=1)
        approver = signed_in(app, "approver@example.org")
        act(approver, assessment_id, "start_review")
        act(approver, assessment_id, "return", {"comment": "More evidence"})
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "returned"
        to_author = db.session.scalar(select(OutboundEmail).where(OutboundEmail.to_address == "author@example.org"))
        assert (to_author.sent_at, to_author.attempts) == (None, 1) and "cannot connect" in to_author.last_error


def test_two_senders_at_once_deliver_each_email_once(make_app):
    from aiosmtpd.controller import Controller

    received: list[str] = []

    class SlowCollect:  # slow enough that the two senders' loops overlap
        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(0.005)
            received.append(envelope.content.decode().split("Subject: ")[1].split("\r\n")[0])
            return "250 OK"

    controller = Controller(SlowCollect(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        app = _seeded(make_app, SMTP_PORT=controller.port)
        with app.app_context():
            approver = db.session.scalar(select(User).where(User.email == "approver@example.org"))
            with unit_of_work():
                for number in range(40):
                    db.session.add(OutboundEmail(to_address=approver.email, subject=f"Email {number}", body="Hello"))
        start = threading.Barrier(2, timeout=10)
        results = []

        def sender():
            with app.app_context():
                start.wait()
                results.append(notifications.send_pending(ignore_backoff=True))

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        controller.stop()
    assert sorted(received) == sorted(f"Email {n}" for n in range(40)), "every email once, none twice"
    assert sum(sent for sent, _failed in results) == 40 and all(failed == 0 for _sent, failed in results)
    assert all(sent and attempts == 1 for _to, sent, attempts in _queued(app))
