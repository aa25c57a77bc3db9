"""`eia reminders send`: real SMTP, one email per person per item per day, overdue actions escalate."""

from __future__ import annotations

from sqlalchemy import func, select

from eia.clock import uk_today as today
from eia.extensions import db
from eia.models import SentReminder
from tests import factories
from tests.conftest import PASSWORD
from tests.journeys import AN_ACTION

# AN_ACTION is due on 1 June 2027 and owned by "Ch Insp Jones" (no such user: the author is reminded);
# this one is owned by the approver, matched by name. The review date is 1 November 2027.
SAMS_ACTION = {
    "action": "Brief every custody sergeant",
    "characteristic": "all",
    "owner": "Sam Approver",
    "due_date": ["1", "6", "2027"],
}


REFERENCE = f"EIA-{today().year}-0001"


def _signed_off_app(make_app, port: int):
    from eia.services.demo import seed

    app = make_app(SMTP_PORT=port)
    with app.app_context():
        seed(PASSWORD)
    factories.signed_off(app, actions=[AN_ACTION, SAMS_ACTION])
    return app


def _run(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["reminders", "send", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_reminders_are_sent_once_a_day_per_person_and_item(make_app, smtp_server):
    port, received = smtp_server
    app = _signed_off_app(make_app, port)
    before = len(received)

    output = _run(app, "--date", "2027-05-25")
    assert "2027-05-25: 2 reminder(s) due, 2 queued, 0 already sent today; sent 2 email(s)" in output
    sent = received[before:]
    assert sorted((m["To"], m["Subject"]) for m in sent) == [
        ("approver@example.org", f"{REFERENCE}: action due on 1 June 2027"),
        ("author@example.org", f"{REFERENCE}: action due on 1 June 2027"),
    ]
    body = next(m for m in sent if m["To"] == "author@example.org").get_payload()
    assert "Train supervisors" in body and "/actions/1" in body

    output = _run(app, "--date", "2027-05-25")
    assert "2 reminder(s) due, 0 queued, 2 already sent today; sent 0 email(s)" in output
    assert len(received) == before + 2, "twice in a day sends once"

    _run(app, "--date", "2027-05-26")
    assert len(received) == before + 4, "the next day sends again"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SentReminder)) == 4


def test_overdue_actions_escalate_to_the_approver_and_reviews_remind_the_author(make_app, smtp_server):
    port, received = smtp_server
    app = _signed_off_app(make_app, port)
    before = len(received)

    _run(app, "--date", "2027-06-03")
    assert sorted((m["To"], m["Subject"]) for m in received[before:]) == [
        # The approver owns one action and, as the department's approver, hears of the other overdue one too.
        ("approver@example.org", f"{REFERENCE}: action overdue: it was due on 1 June 2027"),
        ("approver@example.org", f"{REFERENCE}: action overdue: it was due on 1 June 2027"),
        ("author@example.org", f"{REFERENCE}: action overdue: it was due on 1 June 2027"),
    ]

    before = len(received)
    output = _run(app, "--date", "2027-10-20", "--days", "14")
    review = [m for m in received[before:] if "review" in m["Subject"]]
    assert [(m["To"], m["Subject"]) for m in review] == [
        ("author@example.org", f"{REFERENCE}: review due on 1 November 2027")
    ]
    assert "sent 4 email(s)" in output


def test_nothing_due_sends_nothing(make_app, smtp_server):
    port, received = smtp_server
    app = _signed_off_app(make_app, port)
    before = len(received)
    output = _run(app, "--date", "2027-01-01")
    assert "0 reminder(s) due, 0 queued" in output
    assert len(received) == before
