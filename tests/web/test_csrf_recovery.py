"""A refused CSRF token never throws away what the user typed (research notes: the long questionnaire)."""

from __future__ import annotations

import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from eia.extensions import db
from eia.models import Assessment, AuditEvent
from eia.web.errors import CSRF_FAILED
from tests.journeys import start_assessment

ANSWERS = {
    "aims": "Keep custody suites safe for detainees and staff",
    "affected": "both",
    "scope": "Every custody suite in the force",
    "intent": "continue",
}


def _expired_token(app, client) -> str:
    """The session's own CSRF token, signed 13 hours ago: valid in every way except age."""

    class Yesterday(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 13 * 3600

    with client.client.session_transaction() as session:
        raw = session["csrf_token"]
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=Yesterday).dumps(raw)


def _saved(app, assessment_id):
    with app.app_context():
        return db.session.get(Assessment, assessment_id).answers.get("aims"), db.session.scalar(
            select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)
        )


def test_expired_token_on_a_questionnaire_page_keeps_the_typed_answers(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    url = f"/assessments/{assessment_id}/pages/aims"
    form = author.get(url)
    before = _saved(demo, assessment_id)
    data = {**form.form_fields(form.form()), **ANSWERS, "csrf_token": _expired_token(demo, author)}
    page = author.post(url, data, status=400)
    assert page.error_messages == [CSRF_FAILED]
    assert page.h1 == form.h1
    assert page.find("textarea", id="aims").text == ANSWERS["aims"]
    assert page.find("textarea", id="scope").text == ANSWERS["scope"]
    assert _saved(demo, assessment_id) == before  # nothing saved, nothing audited
    # The page came back with a fresh token: saving again works, with exactly what was typed.
    fields = page.form_fields(page.form())
    assert fields["csrf_token"] != data["csrf_token"]
    author.post(url, {**fields, "intent": "continue"}, status=302)
    assert _saved(demo, assessment_id)[0]["aims"] == ANSWERS["aims"]


def test_a_foreign_token_is_refused_the_same_way(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    url = f"/assessments/{assessment_id}/pages/aims"
    page = author.post(url, {**ANSWERS, "csrf_token": "forged"}, status=400)
    assert page.error_messages == [CSRF_FAILED]
    assert _saved(demo, assessment_id)[0] is None


def test_other_forms_get_a_clear_page(client_for):
    author = client_for("author@example.org")
    page = author.post("/sign-out", {"csrf_token": "forged"}, status=400)
    assert page.h1 == "There is a problem with your request"
    author.get("/")  # still signed in: the forged sign-out did nothing


def test_answers_sent_after_the_session_ended_survive_signing_in_again(client_for, demo):
    """The lunch break: the session idles out while the page is open; nothing typed is lost."""
    from datetime import timedelta

    from tests.conftest import PASSWORD
    from tests.web.test_sessions import _age_sessions

    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    url = f"/assessments/{assessment_id}/pages/aims"
    form = author.get(url)
    _age_sessions(demo, "author@example.org", last_seen_at=timedelta(minutes=45))
    signed_out = author.post(url, {**form.form_fields(form.form()), **ANSWERS}, status=401)
    assert signed_out.h1 == "You have been signed out"
    retry = signed_out.form_fields(signed_out.find("form", action=url))
    assert retry["aims"] == ANSWERS["aims"]
    author.sign_in("author@example.org", PASSWORD)  # in another tab: a new session and a new token
    page = author.post(url, retry, status=400)  # the old tab's token is refused, the answers are not
    assert page.error_messages == [CSRF_FAILED]
    assert page.find("textarea", id="aims").text == ANSWERS["aims"]
    author.post(url, {**page.form_fields(page.form()), "intent": "continue"}, status=302)
    assert _saved(demo, assessment_id)[0]["aims"] == ANSWERS["aims"]


def test_a_decision_with_a_refused_token_keeps_the_comment(client_for, demo):
    from tests.journeys import complete_assessment, submit

    author, approver = client_for("author@example.org"), client_for("approver@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id)
    submit(author, assessment_id)
    url = f"/assessments/{assessment_id}/actions/return"
    approver.get(url)
    page = approver.post(
        url, {"comment": "Please add the custody data", "csrf_token": _expired_token(demo, approver)}, status=400
    )
    assert page.error_messages == [CSRF_FAILED]
    assert page.find("textarea", id="comment").text == "Please add the custody data"
    with demo.app_context():
        assert db.session.get(Assessment, assessment_id).status == "submitted"
