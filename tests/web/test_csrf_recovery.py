"""A refused CSRF token never throws away what the user typed (research notes: the long questionnaire)."""

from __future__ import annotations

import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from eia.extensions import db
from eia.models import Assessment, AuditEvent
from eia.web.errors import CSRF_FAILED
from tests.journeys import start_assessment

ANSWERS = {"aims": "Keep custody suites safe for detainees and staff", "affected": "both",
           "scope": "Every custody suite in the force", "intent": "continue"}


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
            select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))


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
