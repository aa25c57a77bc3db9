"""Bad input gets a clear error and changes nothing."""

from __future__ import annotations

from urllib.parse import quote, quote_from_bytes

import pytest
from sqlalchemy import func, select

from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, AuditEvent, Transition
from tests import bad_input as corpus
from tests.api.conftest import ApiClient, make_token
from tests.journeys import AN_ACTION, save, start_assessment
from tests.pages import Page


def _state(app, assessment_id):
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        return dict(assessment.answers), assessment.lock_version, events


def test_oversized_text_is_refused_and_nothing_changes(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    before = _state(demo, assessment_id)
    page = save(author, assessment_id, "aims", {"aims": "x" * 5001, "affected": "both", "scope": "s"}, status=400)
    assert page.error_messages == ["The aims of the proposal must be 5,000 characters or fewer (you entered 5,001)"]
    assert len(page.find("textarea", id="aims").text) == 5001, "the typed text is shown back, not truncated"
    assert _state(demo, assessment_id) == before


def test_forged_choice_is_refused(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    before = _state(demo, assessment_id)
    page = save(author, assessment_id, "aims", {"aims": "a", "affected": "everyone", "scope": "s"}, status=400)
    assert page.error_messages == ["Select who it affects from the list"]
    assert _state(demo, assessment_id) == before


def test_forged_or_stale_version_is_a_conflict_that_keeps_the_typing(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    before = _state(demo, assessment_id)
    page = author.submit(
        f"/assessments/{assessment_id}/pages/aims",
        {"aims": "My careful words", "affected": "both", "scope": "s", "version": "999"},
        button=("intent", "continue"),
        status=409,
    )
    assert "Someone else changed this assessment" in page.error_messages[0]
    assert page.find("textarea", id="aims").text == "My careful words"
    assert _state(demo, assessment_id) == before


def test_two_tabs_second_save_gets_a_conflict(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    url = f"/assessments/{assessment_id}/pages/aims"
    tab_one = author.get(url)
    tab_two = author.get(url)
    first = {
        **tab_one.form_fields(tab_one.form()),
        "aims": "From tab one",
        "affected": "both",
        "scope": "s",
        "intent": "continue",
    }
    second = {
        **tab_two.form_fields(tab_two.form()),
        "aims": "From tab two",
        "affected": "staff",
        "scope": "s",
        "intent": "continue",
    }
    author.post(url, first, status=302)
    page = author.post(url, second, status=409)
    assert page.find("textarea", id="aims").text == "From tab two"
    with demo.app_context():
        assert db.session.get(Assessment, assessment_id).answers["aims"]["aims"] == "From tab one"


def test_missing_csrf_token_is_refused_with_a_clear_page(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    before = _state(demo, assessment_id)
    page = author.post(
        f"/assessments/{assessment_id}/pages/aims",
        {"aims": "x", "affected": "both", "scope": "s", "intent": "continue"},
        status=400,
    )
    assert page.find("textarea", id="aims").text == "x"  # shown again to save, not lost
    assert _state(demo, assessment_id) == before


def test_another_users_assessment_is_not_found(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    neighbour = client_for("author@neighbouring.example.org")
    for url in (
        f"/assessments/{assessment_id}",
        f"/assessments/{assessment_id}/tasks",
        f"/assessments/{assessment_id}/pages/subject",
        f"/assessments/{assessment_id}/check-answers",
    ):
        neighbour.get(url, status=404)


def test_colleague_in_another_department_cannot_see_it(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    colleague = client_for("author2@example.org")
    colleague.get(f"/assessments/{assessment_id}", status=404)


def test_approver_cannot_edit_answers(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    approver = client_for("approver@example.org")
    approver.get(f"/assessments/{assessment_id}/pages/subject", status=403)
    page = approver.client.post(f"/assessments/{assessment_id}/pages/subject", data={"title": "Hijacked"})
    assert page.status_code in (400, 403)
    with demo.app_context():
        assert db.session.get(Assessment, assessment_id).title == "Untitled assessment"


@pytest.mark.parametrize("bad_id", ["abc", "-1", "99999999999999999999", "0"])
def test_malformed_ids_are_not_found(client_for, bad_id):
    author = client_for("author@example.org")
    author.get(f"/assessments/{bad_id}", status=404)


def test_oversized_request_is_refused(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    response = author.client.post(f"/assessments/{assessment_id}/pages/aims", data={"aims": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_mass_assignment_fields_are_ignored(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    save(
        author,
        assessment_id,
        "aims",
        {"aims": "a", "affected": "both", "scope": "s", "status": "approved", "author_id": "999", "title": "Sneaky"},
    )
    with demo.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment.status == "draft" and assessment.author.email == "author@example.org"
        assert "status" not in assessment.answers["aims"] and "title" not in assessment.answers["aims"]


# --- the shared corpus (tests/bad_input.py), against the form and the API alike ------------------


def _snapshot(app, assessment_id):
    """Everything a refused request must leave alone."""
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        counts = {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Assessment, AuditEvent, Transition, ArchivedRecord)
        }
        return {
            "answers": dict(assessment.answers),
            "version": assessment.lock_version,
            "status": assessment.status,
            "author": assessment.author_id,
            **counts,
        }


def _api(demo, email="author@example.org"):
    _token_id, secret = make_token(demo, email)
    return ApiClient(demo.test_client(), secret)


def _stored(app, assessment_id, field):
    with app.app_context():
        return db.session.get(Assessment, assessment_id).answers.get(corpus.PAGE, {}).get(field)


FORM_CASES = [case for case in corpus.VALUES if case.form_value is not corpus.NOT_IN_A_FORM]


@pytest.mark.parametrize("case", FORM_CASES, ids=str)
def test_the_form_refuses_or_escapes_each_hostile_value(client_for, demo, case):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    before = _snapshot(demo, assessment_id)
    value = case.value if case.form_value is None else case.form_value
    data = {**corpus.VALID, case.field: value}
    if case.refusal is None:
        save(author, assessment_id, corpus.PAGE, data)
        assert _stored(demo, assessment_id, case.field) == value, "stored exactly, not stripped or truncated"
        answers = author.get(f"/assessments/{assessment_id}/check-answers")
        assert value in answers.text_of(tag="main"), "shown literally"
        assert value not in answers.html or "<" not in value, "never as markup"
        edit = author.get(f"/assessments/{assessment_id}/pages/{corpus.PAGE}")
        assert edit.form_fields(edit.form())[case.field] == value
        return
    page = save(author, assessment_id, corpus.PAGE, data, status=400)
    assert page.error_messages == [case.refusal]
    assert page.find("div", class_="govuk-error-summary").find("a").attrs["href"] == f"#{case.field}"
    assert _snapshot(demo, assessment_id) == before


@pytest.mark.parametrize("case", corpus.VALUES, ids=str)
def test_the_api_refuses_or_stores_literally_each_hostile_value(demo, case):
    author = _api(demo)
    assessment = author.post("/api/v1/assessments", status=201).json
    before = _snapshot(demo, assessment["id"])
    url = f"/api/v1/assessments/{assessment['id']}/pages/{corpus.PAGE}"
    body = {"answers": {**corpus.VALID, case.field: case.value}, "version": assessment["version"]}
    refusal = case.api_refusal or case.refusal
    if refusal is None:
        saved = author.put(url, json=body).json
        assert saved["answers"][corpus.PAGE][case.field] == case.value
        return
    response = author.put(url, json=body, status=422)
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"] == {case.field: refusal}
    assert _snapshot(demo, assessment["id"]) == before


@pytest.mark.parametrize("encode", [quote_from_bytes, lambda raw: raw], ids=["percent-encoded", "raw-bytes"])
def test_invalid_utf8_in_a_form_body_is_a_clear_error_not_a_500(client_for, demo, encode):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    before = _snapshot(demo, assessment_id)
    url = f"/assessments/{assessment_id}/pages/{corpus.PAGE}"
    form = author.get(url)
    fields = {**form.form_fields(form.form()), **corpus.VALID, "intent": "continue"}
    body = "&".join(f"{quote(k)}={quote(v)}" for k, v in fields.items() if k != "aims").encode()
    aims = encode(corpus.INVALID_UTF8)
    body += b"&aims=" + (aims.encode() if isinstance(aims, str) else aims)
    response = author.client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    page = Page(response)
    page.check()
    assert page.error_messages == [corpus.UNREADABLE]
    assert _snapshot(demo, assessment_id) == before


def test_invalid_utf8_in_a_json_body_is_a_400_problem(demo):
    author = _api(demo)
    assessment = author.post("/api/v1/assessments", status=201).json
    before = _snapshot(demo, assessment["id"])
    body = b'{"version": %d, "answers": {"aims": "' % assessment["version"] + corpus.INVALID_UTF8 + b'"}}'
    response = author.put(
        f"/api/v1/assessments/{assessment['id']}/pages/{corpus.PAGE}",
        status=400,
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.mimetype == "application/problem+json" and "not valid JSON" in response.json["detail"]
    assert _snapshot(demo, assessment["id"]) == before


def test_hidden_fields_in_a_form_are_ignored(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    before = _snapshot(demo, assessment_id)
    save(author, assessment_id, corpus.PAGE, {**corpus.VALID, **corpus.HIDDEN_FIELDS})
    after = _snapshot(demo, assessment_id)
    assert after["answers"][corpus.PAGE] == corpus.VALID, "only the page's questions are stored"
    assert (after["status"], after["author"], after["Assessment"]) == (before["status"], before["author"], 1)
    assert after["AuditEvent"] == before["AuditEvent"] + 1  # the one page save


@pytest.mark.parametrize("field", sorted(corpus.HIDDEN_FIELDS))
def test_hidden_fields_in_the_api_are_refused_by_name(demo, field):
    author = _api(demo)
    assessment = author.post("/api/v1/assessments", status=201).json
    before = _snapshot(demo, assessment["id"])
    url = f"/api/v1/assessments/{assessment['id']}/pages/{corpus.PAGE}"
    as_body = author.put(
        url,
        status=422,
        json={"answers": corpus.VALID, "version": assessment["version"], field: corpus.HIDDEN_FIELDS[field]},
    )
    assert as_body.json["errors"] == {field: "unknown field"}
    as_answer = author.put(
        url,
        status=422,
        json={"answers": {**corpus.VALID, field: corpus.HIDDEN_FIELDS[field]}, "version": assessment["version"]},
    )
    assert list(as_answer.json["errors"]) == [field]
    assert _snapshot(demo, assessment["id"]) == before


def test_a_forged_version_is_a_conflict_in_the_form_and_the_api(client_for, demo):
    author, api = client_for("author@example.org"), _api(demo)
    assessment_id = start_assessment(author)
    before = _snapshot(demo, assessment_id)
    save(author, assessment_id, corpus.PAGE, {**corpus.VALID, "version": str(corpus.FORGED_VERSION)}, status=409)
    api.put(
        f"/api/v1/assessments/{assessment_id}/pages/{corpus.PAGE}",
        status=409,
        json={"answers": corpus.VALID, "version": corpus.FORGED_VERSION},
    )
    assert _snapshot(demo, assessment_id) == before


def test_the_same_form_post_twice_saves_once(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    url = f"/assessments/{assessment_id}/pages/{corpus.PAGE}"
    form = author.get(url)
    fields = {**form.form_fields(form.form()), **corpus.VALID, "intent": "continue"}
    author.post(url, fields, status=302)
    after_first = _snapshot(demo, assessment_id)
    author.post(url, fields, status=409)  # a double click, or the back button and submit again
    assert _snapshot(demo, assessment_id) == after_first


def test_the_same_action_plan_item_posted_twice_is_added_once(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    url = f"/assessments/{assessment_id}/pages/action_plan"
    form = author.get(url)
    action = f"{url}/items"
    fields = {**form.form_fields(form.form(action)), **AN_ACTION}
    author.post(action, fields, status=302)
    after_first = _snapshot(demo, assessment_id)
    author.post(action, fields, status=409)
    assert _snapshot(demo, assessment_id) == after_first
    assert len(after_first["answers"]["action_plan"]["items"]) == 1


def test_the_same_api_request_twice_saves_once(demo):
    author = _api(demo)
    assessment = author.post("/api/v1/assessments", status=201).json
    url = f"/api/v1/assessments/{assessment['id']}"
    body = {"answers": corpus.VALID, "version": assessment["version"]}
    author.put(f"{url}/pages/{corpus.PAGE}", json=body)
    item = {
        "item": {
            "action": "Train supervisors",
            "characteristic": "all",
            "owner": "Ch Insp Jones",
            "due_date": "2027-06-01",
        },
        "version": assessment["version"] + 1,
    }
    author.post(f"{url}/pages/action_plan/items", json=item)
    after_first = _snapshot(demo, assessment["id"])
    author.put(f"{url}/pages/{corpus.PAGE}", json=body, status=409)
    author.post(f"{url}/pages/action_plan/items", json=item, status=409)
    assert _snapshot(demo, assessment["id"]) == after_first
    assert len(after_first["answers"]["action_plan"]["items"]) == 1
