"""Every route refuses anonymous users and people without its capability (function-level authorisation),
for GET and POST alike: POSTs carry a valid CSRF token, so it is the sign-in and capability gates that
are tested. Each role, and a person holding two roles, against every route. Bad input sent to someone
else's assessment is not found, and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eia.domain.capabilities import capabilities_of
from eia.extensions import db
from eia.models import Assessment, AuditEvent, Comment, PolicyRegisterLink, QuestionComment, Transition, User
from tests.journeys import AN_ACTION, start_assessment

DEMO_USERS = {
    "author": "author@example.org",
    "approver": "approver@example.org",
    "board": "board@example.org",
    "auditor": "auditor@example.org",
    "admin": "admin@example.org",
    "adviser": "adviser@example.org",
    "approver and board": "approver-board@example.org",
}
PUBLIC, SIGNED_IN, CAPABILITY = "public", "signed in", "capability"
# Every endpoint and who may reach it: anyone, anyone signed in (what they then see is decided by
# the assessment's visibility), or those with the capability its view names (capability_required).
# A new route must be added here, deliberately.
ROUTES = {
    "static": PUBLIC,
    "auth.sign_in": PUBLIC,
    "auth.sign_out": SIGNED_IN,
    "auth.sign_in_code": PUBLIC,
    "auth.change_password": SIGNED_IN,
    "account.index": SIGNED_IN,
    "account.authenticator_app": SIGNED_IN,
    "account.new_recovery_codes": SIGNED_IN,
    "account.turn_off_authenticator_app": SIGNED_IN,
    "account.sessions_page": SIGNED_IN,
    "account.end_other_sessions": SIGNED_IN,
    "account.end_session": SIGNED_IN,
    "tokens.index": SIGNED_IN,
    "tokens.create": SIGNED_IN,
    "tokens.revoke": SIGNED_IN,
    "main.dashboard": SIGNED_IN,
    "main.assessments_list": SIGNED_IN,
    "main.submitted": SIGNED_IN,
    "main.assessment": SIGNED_IN,
    "main.signed_record": SIGNED_IN,
    "main.notifications_page": SIGNED_IN,
    "main.mark_notifications_read": SIGNED_IN,
    "main.start_revision": CAPABILITY,
    "lifecycle.actions": SIGNED_IN,
    "lifecycle.action": SIGNED_IN,
    "lifecycle.reviews": SIGNED_IN,
    "compliance.report": CAPABILITY,
    "compliance.report_pdf": CAPABILITY,
    "archive.search_page": CAPABILITY,
    "archive.export_csv": CAPABILITY,
    "archive.export_xlsx": CAPABILITY,
    "archive.record": CAPABILITY,
    "archive.verify_form": CAPABILITY,
    "archive.verify_file": CAPABILITY,
    "decisions.act": SIGNED_IN,
    "decisions.comment": SIGNED_IN,
    "question_comments.index": SIGNED_IN,
    "question_comments.start": SIGNED_IN,
    "question_comments.reply": SIGNED_IN,
    "question_comments.resolve": SIGNED_IN,
    "questionnaire.new": CAPABILITY,
    "questionnaire.start": CAPABILITY,
    "questionnaire.task_list": CAPABILITY,
    "questionnaire.page": CAPABILITY,
    "questionnaire.one_page": CAPABILITY,
    "questionnaire.add_item": CAPABILITY,
    "questionnaire.remove_item": CAPABILITY,
    "questionnaire.finish_list": CAPABILITY,
    "questionnaire.check_answers": CAPABILITY,
    "queues.review_queue": CAPABILITY,
    "queues.quality_review_queue": CAPABILITY,
    "queues.board_queue": CAPABILITY,
    "queues.digest": CAPABILITY,
    "admin.index": CAPABILITY,
    "admin.create_user": CAPABILITY,
    "admin.set_active": CAPABILITY,
    "admin.person": CAPABILITY,
    "admin.unlink_identity": CAPABILITY,
    "admin.set_temporary_password": CAPABILITY,
    "admin.reset_second_factor": CAPABILITY,
    "admin.end_sessions": CAPABILITY,
    "admin.revoke_token": CAPABILITY,
    "admin.add_department": CAPABILITY,
    "admin.add_objective": CAPABILITY,
    "admin.settings": CAPABILITY,
    "admin.roles": CAPABILITY,
    "admin.subject_types": CAPABILITY,
    "policy_register.index": CAPABILITY,
    "policy_register.entry": CAPABILITY,
    "policy_register.add": CAPABILITY,
    "policy_register.edit": CAPABILITY,
    "policy_register.import_form": CAPABILITY,
    "policy_register.import_file": CAPABILITY,
    "policy_register.csv_template": CAPABILITY,
    "policy_register.start_assessment": CAPABILITY,
    "policy_register.link_assessment": CAPABILITY,
    # Publishing: who may is the assessment's pinned workflow's say (a capability it names), checked by the service.
    "publishing.overview": SIGNED_IN,
    "publishing.withhold": SIGNED_IN,
    "publishing.check": SIGNED_IN,
    "publishing.publish": SIGNED_IN,
    "publishing.withdraw": SIGNED_IN,
    # The public register: anonymous, cookie-less and cacheable (eia.web.public).
    "public.register": PUBLIC,
    "public.published": PUBLIC,
    "public.published_pdf": PUBLIC,
    "public.register_json": PUBLIC,
    "public.feed": PUBLIC,
    "public.check_document": PUBLIC,
}
# The capability routes each role opens, written out: a change to the capability table shows here.
AUTHOR = {
    "main.start_revision",
    "questionnaire.new",
    "questionnaire.start",
    "questionnaire.task_list",
    "questionnaire.page",
    "questionnaire.one_page",
    "questionnaire.add_item",
    "questionnaire.remove_item",
    "questionnaire.finish_list",
    "questionnaire.check_answers",
}
ARCHIVE = {
    "archive.search_page",
    "archive.export_csv",
    "archive.export_xlsx",
    "archive.record",
    "archive.verify_form",
    "archive.verify_file",
}
COMPLIANCE = {"compliance.report", "compliance.report_pdf"}
ADMINISTRATION = {
    "admin.index",
    "admin.create_user",
    "admin.set_active",
    "admin.add_department",
    "admin.add_objective",
    "admin.settings",
    "admin.roles",
    "admin.subject_types",
    "admin.person",
    "admin.unlink_identity",
    "admin.set_temporary_password",
    "admin.reset_second_factor",
    "admin.end_sessions",
    "admin.revoke_token",
}
POLICY_REGISTER = {"policy_register.index", "policy_register.entry"}
MANAGE_POLICY_REGISTER = {
    "policy_register.add",
    "policy_register.edit",
    "policy_register.import_form",
    "policy_register.import_file",
    "policy_register.csv_template",
    "policy_register.link_assessment",
}
OPENS = {
    "author": AUTHOR | POLICY_REGISTER | {"policy_register.start_assessment", "policy_register.link_assessment"},
    "approver": {"queues.review_queue"} | COMPLIANCE | POLICY_REGISTER | MANAGE_POLICY_REGISTER,
    "board": {"queues.board_queue", "queues.digest"} | ARCHIVE | COMPLIANCE | POLICY_REGISTER,
    "auditor": ARCHIVE | COMPLIANCE | POLICY_REGISTER,
    "admin": ARCHIVE | COMPLIANCE | ADMINISTRATION | POLICY_REGISTER | MANAGE_POLICY_REGISTER,
    "adviser": {"queues.quality_review_queue", "archive.search_page", "archive.record"} | COMPLIANCE | POLICY_REGISTER,
    "approver and board": {"queues.review_queue", "queues.board_queue", "queues.digest"}
    | ARCHIVE
    | COMPLIANCE
    | POLICY_REGISTER
    | MANAGE_POLICY_REGISTER,
}


def _page_rules(app):
    return [rule for rule in app.url_map.iter_rules() if not rule.endpoint.startswith("api.")]


def _rules(app, *accesses):
    return [rule for rule in app.url_map.iter_rules() if ROUTES.get(rule.endpoint) in accesses]


def _methods(rule) -> list[str]:
    return sorted(rule.methods & {"GET", "POST"})


def _roles(app, email: str) -> frozenset[str]:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email)).roles


def _opens(app, rule, roles: frozenset[str]) -> bool:
    return not app.view_functions[rule.endpoint].required_capabilities.isdisjoint(capabilities_of(roles))


def _url(rule, assessment_id: int, user_id: int = 1) -> str:
    values = {
        "assessment_id": assessment_id,
        "page_id": "action_plan",
        "task_definition_id": "screening",
        "position": 1,
        "action": "submit",
        "action_id": 1,
        "token_id": 1,
        "session_id": "0" * 64,
        "thread_id": 1,
        "entry_id": 1,
        "user_id": user_id,
        "change": "deactivate",
        "filename": "govuk-frontend/eia.min.css",
        "publication_id": 1,
    }
    return rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]


def _request(client, method: str, url: str, token: str, data: dict | None = None):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": token, "version": "1", **(data or {})})


def _sent_to_sign_in(response) -> bool:
    """Redirected to sign in, or (a form sent while signed out) shown the page that keeps it and asks to sign in."""
    if response.status_code == 302:
        return response.headers["Location"].startswith("/sign-in")
    return response.status_code == 401 and b'href="/sign-in' in response.get_data()


@pytest.fixture
def assessment_id(client_for):
    return start_assessment(client_for("author@example.org"))


def test_every_route_of_the_app_is_covered_by_this_test(demo):
    # The JSON API takes bearer tokens, never the session: tests/api checks every api.* route is in the
    # OpenAPI document and refuses requests without a valid token of the right scope.
    assert {rule.endpoint for rule in _page_rules(demo)} == set(ROUTES)


def test_capability_routes_name_their_capabilities_and_the_others_do_not(demo):
    for rule in _page_rules(demo):
        named = getattr(demo.view_functions[rule.endpoint], "required_capabilities", None)
        assert (named is not None) == (ROUTES[rule.endpoint] == CAPABILITY), rule.endpoint


@pytest.mark.parametrize("holder", list(DEMO_USERS))
def test_each_role_opens_exactly_the_capability_routes_written_here(demo, holder):
    roles = _roles(demo, DEMO_USERS[holder])
    assert {rule.endpoint for rule in _rules(demo, CAPABILITY) if _opens(demo, rule, roles)} == OPENS[holder]


def test_a_person_with_two_roles_opens_what_either_role_opens():
    assert OPENS["approver and board"] == OPENS["approver"] | OPENS["board"]


def test_anonymous_users_are_sent_to_sign_in(anonymous, demo, assessment_id):
    token = anonymous.get("/sign-in").csrf_token
    checked = 0
    for rule in _rules(demo, SIGNED_IN, CAPABILITY):
        for method in _methods(rule):
            url = _url(rule, assessment_id)
            response = _request(anonymous.client, method, url, token)
            assert _sent_to_sign_in(response), f"{method} {url}: {response.status_code}"
            checked += 1
    assert checked == sum(len(_methods(rule)) for rule in _rules(demo, SIGNED_IN, CAPABILITY))


def test_public_routes_need_no_sign_in(anonymous, demo):
    from tests.services.test_publication import publish_with_secret_withheld

    publish_with_secret_withheld(demo)  # publication 1
    for rule in _rules(demo, PUBLIC):
        response = anonymous.client.get(_url(rule, 1))
        response.close()  # a static file is streamed
        assert response.status_code == 200, rule.rule


@pytest.mark.parametrize("holder", list(DEMO_USERS))
def test_people_without_a_routes_capability_get_403_and_those_with_it_get_past(client_for, demo, assessment_id, holder):
    client = client_for(DEMO_USERS[holder])
    roles = _roles(demo, DEMO_USERS[holder])
    token = client.get("/").csrf_token
    refused = opened = 0
    for rule in _rules(demo, CAPABILITY):
        if _opens(demo, rule, roles):
            if "GET" in rule.methods:  # a GET changes nothing, whoever opens it
                url = _url(rule, assessment_id)
                response = client.client.get(url)
                assert response.status_code not in (401, 403) and response.status_code < 500, f"{holder}: GET {url}"
                opened += 1
            continue
        for method in _methods(rule):
            url = _url(rule, assessment_id)
            response = _request(client.client, method, url, token)
            assert response.status_code == 403, f"{holder}: {method} {url}: {response.status_code}"
            refused += 1
    assert refused and opened, "every role is refused somewhere and opens something"


@pytest.mark.parametrize("role", list(DEMO_USERS))
def test_every_role_gets_past_the_sign_in_gate_of_signed_in_routes(client_for, demo, assessment_id, role):
    client = client_for(DEMO_USERS[role])
    token = client.get("/").csrf_token
    for rule in _rules(demo, SIGNED_IN):
        if rule.endpoint == "auth.sign_out":
            continue  # below, last: it ends the session
        for method in _methods(rule):
            url = _url(rule, assessment_id)
            response = _request(client.client, method, url, token)
            assert not _sent_to_sign_in(response) and response.status_code < 500, f"{role}: {method} {url}"
    assert client.get("/").status == 200
    assert client.get("/notifications").status == 200
    response = _request(client.client, "POST", "/sign-out", token)
    assert response.status_code == 302 and _sent_to_sign_in(client.client.get("/"))


# --- bad input against someone else's assessment ----------------------------------------------------

BAD_INPUT = {
    "questionnaire.page": {"title": "x" * 5000, "subject_type": "forged", "intent": "continue"},
    "questionnaire.one_page": {
        "screening-age-relevance": "forged",
        "screening-race-reason": "v" * 5000,
        "intent": "continue",
    },
    "questionnaire.add_item": {**AN_ACTION, "action": "y" * 5000, "due_date": ["31", "2", "2027"]},
    "questionnaire.remove_item": {"version": "999"},
    "questionnaire.finish_list": {"version": "not a number"},
    "decisions.act": {
        "comment": "z" * 100000,
        "conditions-1-text": "forged",
        "conditions-1-due-day": "99",
        "section-nowhere": "forged",
    },
    "decisions.comment": {"text": "w" * 100000},
    "question_comments.start": {"question": "subject/title", "text": "forged"},
    "question_comments.reply": {"text": "forged"},
    "question_comments.resolve": {},
    "main.start_revision": {"reason": "forged"},
    "policy_register.link_assessment": {"entry": "forged"},
    "publishing.withhold": {"withhold-s1.1": "forged"},
    "publishing.publish": {},
    "publishing.withdraw": {"reason": "r" * 100000},
}


def _everything(app) -> tuple:
    with app.app_context():
        counts = tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Assessment, AuditEvent, Comment, PolicyRegisterLink, QuestionComment, Transition)
        )
        rows = tuple(
            (a.id, a.status, a.lock_version, a.title, repr(a.answers)) for a in db.session.scalars(select(Assessment))
        )
        return counts, rows


@pytest.mark.parametrize("intruder", ["author@neighbouring.example.org", "author2@example.org"])
def test_bad_input_to_another_users_assessment_is_not_found_and_changes_nothing(client_for, demo, intruder):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    author.submit(
        f"/assessments/{assessment_id}/pages/action_plan",
        AN_ACTION,
        action=f"/assessments/{assessment_id}/pages/action_plan/items",
    )
    client = client_for(intruder)
    token = client.get("/").csrf_token
    before = _everything(demo)
    posts = [rule for rule in _page_rules(demo) if "assessment_id" in rule.arguments and "POST" in rule.methods]
    assert {rule.endpoint for rule in posts} == set(BAD_INPUT), "every POST route on an assessment is tried"
    for rule in posts:
        url = _url(rule, assessment_id)
        response = _request(client.client, "POST", url, token, BAD_INPUT[rule.endpoint])
        assert response.status_code == 404, f"{intruder}: POST {url}: {response.status_code}"
    assert _everything(demo) == before


def test_an_admin_cannot_change_a_user_of_another_organisation(client_for, demo):
    with demo.app_context():
        neighbour = db.session.scalar(select(User).where(User.email == "author@neighbouring.example.org"))
        neighbour_id = neighbour.id
    admin = client_for("admin@example.org")
    token = admin.get("/admin/").csrf_token
    before = _everything(demo)
    response = _request(admin.client, "POST", f"/admin/users/{neighbour_id}/deactivate", token)
    assert response.status_code == 404
    with demo.app_context():
        assert db.session.get(User, neighbour_id).active
    assert _everything(demo)[0][1] == before[0][1], "no audit event"
