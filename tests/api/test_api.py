"""The JSON API end to end: tokens, access rules, validation, versions, decisions, archive, verify."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from eia.extensions import db
from eia.models import ApiToken, Assessment, AuditEvent, User
from eia.models.types import utcnow
from tests.api.conftest import ApiClient, make_token
from tests.conftest import PASSWORD
from tests.pages import PageClient

JSON = {"Content-Type": "application/json"}


def start(author: ApiClient) -> dict:
    response = author.post("/api/v1/assessments", status=201)
    assert response.headers["Location"] == f"/api/v1/assessments/{response.json['id']}"
    return response.json


def save(author: ApiClient, assessment: dict, page_id: str, answers: dict, status: int = 200, **body) -> dict:
    response = author.put(
        f"/api/v1/assessments/{assessment['id']}/pages/{page_id}",
        status=status,
        json={"answers": answers, "version": assessment["version"], **body},
    )
    return response.json


def complete(author: ApiClient, assessment: dict, *, board_review: bool = False) -> dict:
    """Answer every page through the API, as tests/journeys.py does through the forms."""
    department = assessment["answers"]["subject"]["department"]
    assessment = save(
        author, assessment, "subject", {"title": "Drones over crowds", "subject_type": "sop", "department": department}
    )
    assessment = save(
        author,
        assessment,
        "responsibility",
        {
            "owner": "Inspector Ada Lovelace",
            "senior_responsible_officer": "ACC Grace Hopper",
            "decision_date": "2027-01-10",
        },
    )
    assessment = save(author, assessment, "aims", {"aims": "Safer events", "affected": "both", "scope": "Force-wide"})
    assessment = save(author, assessment, "objectives", {"objectives": ["EO2"]})
    for page in [p["id"] for p in assessment["pages"] if p["id"].startswith("screening:")]:
        relevance = "high" if page == "screening:age" else "none"
        assessment = save(author, assessment, page, {"relevance": relevance, "reason": "Because"})
    assessment = save(author, assessment, "evidence:age", {"has_evidence": "yes", "evidence": "Census 2021"})
    assessment = save(author, assessment, "engagement:age", {"engaged": "yes", "engagement": "Youth panel"})
    assessment = save(
        author,
        assessment,
        "impact:age",
        {
            "eliminate_direction": "neutral",
            "advance_direction": "positive",
            "foster_direction": "neutral",
            "description": "Small",
        },
    )
    assessment = save(author, assessment, "residual:age", {"residual_level": "none"})
    outcome = {"outcome": "no_change", "changes_made": "None needed", "board_review_requested": "no"}
    if board_review:
        outcome.update(board_review_requested="yes", board_review_reason="High public interest")
    assessment = save(author, assessment, "outcome", outcome)
    assessment = author.post(
        f"/api/v1/assessments/{assessment['id']}/pages/action_plan/items",
        json={
            "item": {
                "action": "Review footage policy",
                "characteristic": "all",
                "owner": "Ch Insp Jones",
                "due_date": "2027-06-01",
            },
            "version": assessment["version"],
        },
    ).json
    assessment = author.post(
        f"/api/v1/assessments/{assessment['id']}/pages/action_plan/finish", json={"version": assessment["version"]}
    ).json
    assessment = save(author, assessment, "review", {"monitoring": "Quarterly", "review_date": "2027-11-01"})
    assert assessment["unfinished"] == []
    return assessment


def act(user: ApiClient, assessment: dict, action: str, status: int = 200, **body) -> dict:
    return user.post(
        f"/api/v1/assessments/{assessment['id']}/actions/{action}",
        status=status,
        json={"version": assessment["version"], **body},
    ).json


def test_the_whole_journey_through_the_api_ends_in_a_verifiable_signed_record(demo, api_for):
    author = api_for("author@example.org")
    assessment = complete(author, start(author))
    submitted = act(author, assessment, "submit")
    assert (submitted["from"], submitted["to"]) == ("draft", "submitted")

    approver = api_for("approver@example.org")
    listed = approver.get("/api/v1/assessments?status=submitted").json["items"]
    assert [a["id"] for a in listed] == [assessment["id"]]
    assessment = act(approver, submitted["assessment"], "start_review")["assessment"]
    approved = act(approver, assessment, "approve", comment="Proportionate")
    assert approved["to"] == "approved" and approved["assessment"]["archive_id"]

    auditor = api_for("auditor@example.org", scopes=("read",))
    [record] = auditor.get("/api/v1/archive").json["items"]
    assert record["assessment_id"] == assessment["id"]
    pdf = auditor.get(record["pdf_url"]).data
    assert pdf.startswith(b"%PDF")
    report = auditor.post("/api/v1/verify", data=pdf, headers={"Content-Type": "application/pdf"}).json
    assert report["ok"] is True and report["problems"] == []
    assert report["archived_record"]["id"] == record["id"] and report["signatures"][0]["trusted"] is True

    tampered = pdf.replace(b"Drones over crowds", b"Drones over crowdz")
    report = auditor.post("/api/v1/verify", data=tampered, headers={"Content-Type": "application/pdf"}).json
    assert report["ok"] is False and report["archived_record"] is None


def test_every_write_is_audited_with_the_token_that_made_it(demo, api_for):
    token_id, secret = make_token(demo, "author@example.org")
    author = ApiClient(demo.test_client(), secret)
    assessment = start(author)
    save(author, assessment, "aims", {"aims": "Safer events"}, partial=True)
    with demo.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "assessment").order_by(AuditEvent.seq)
        ).all()
        assert [e.action for e in events] == ["assessment.started", "assessment.page_saved"]
        assert all(json.loads(e.canonical)["via"] == {"api_token": token_id} for e in events)
        assert db.session.get(ApiToken, token_id).last_used_at is not None


def test_no_token_a_bad_token_and_a_session_cookie_all_get_401(demo, api_for, client_for):
    anonymous = ApiClient(demo.test_client(), None)
    response = anonymous.get("/api/v1/assessments", status=401)
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    ApiClient(demo.test_client(), "eia_not-a-real-token").get("/api/v1/assessments", status=401)
    ApiClient(demo.test_client(), "Basic").get(
        "/api/v1/assessments", status=401, headers={"Authorization": "Basic eDp5"}
    )
    signed_in = client_for("author@example.org")  # a browser session: the API ignores its cookie
    assert signed_in.client.get("/api/v1/assessments").status_code == 401


def test_revoked_expired_and_deactivated_tokens_stop_working(demo):
    token_id, secret = make_token(demo, "author@example.org")
    api = ApiClient(demo.test_client(), secret)
    api.get("/api/v1/assessments")
    with demo.app_context():
        token = db.session.get(ApiToken, token_id)
        token.expires_at = utcnow() - timedelta(seconds=1)  # as if it were a month later
        db.session.commit()
    api.get("/api/v1/assessments", status=401)

    token_id, secret = make_token(demo, "author@example.org")
    page = PageClient(demo.test_client())
    page.sign_in("author@example.org", PASSWORD)
    page.submit("/account/api-tokens/", action=f"/account/api-tokens/{token_id}/revoke")
    ApiClient(demo.test_client(), secret).get("/api/v1/assessments", status=401)

    _token_id, secret = make_token(demo, "author2@example.org")
    with demo.app_context():
        db.session.scalar(select(User).where(User.email == "author2@example.org")).active = False
        db.session.commit()
    ApiClient(demo.test_client(), secret).get("/api/v1/assessments", status=401)


def test_scopes_limit_what_a_token_can_do(demo, api_for):
    reader = api_for("author@example.org", scopes=("read",))
    assert reader.post("/api/v1/assessments", status=403).json["detail"] == "This token does not have the 'write' scope"
    writer = api_for("author@example.org", scopes=("read", "write"))
    assessment = complete(writer, start(writer))
    act(writer, assessment, "submit")
    approver = api_for("approver@example.org", scopes=("read", "write"))
    act(approver, approver.get(f"/api/v1/assessments/{assessment['id']}").json, "start_review", status=403)


def test_access_rules_are_the_webs(demo, api_for):
    author = api_for("author@example.org")
    assessment = start(author)
    neighbour = api_for("author@neighbouring.example.org")
    neighbour.get(f"/api/v1/assessments/{assessment['id']}", status=404)
    assert neighbour.get("/api/v1/assessments").json["items"] == []
    save(neighbour, assessment, "aims", {"aims": "x"}, status=404)
    colleague = api_for("author2@example.org")  # same organisation, another department
    colleague.get(f"/api/v1/assessments/{assessment['id']}", status=404)
    approver = api_for("approver@example.org")  # sees it, but only the author edits
    seen = approver.get(f"/api/v1/assessments/{assessment['id']}").json
    assert seen["can_edit"] is False and seen["available_actions"] == []
    save(approver, seen, "aims", {"aims": "x"}, status=403)
    approver.post("/api/v1/assessments", status=403)
    author.get("/api/v1/assessments/2147483648", status=404)
    author.get("/api/v1/archive/0/pdf", status=404)


def test_answers_are_validated_as_the_form_validates_them(demo, api_for):
    author = api_for("author@example.org")
    assessment = start(author)
    problem = save(author, assessment, "subject", {"title": "x" * 1000, "subject_type": "spaceship"}, status=422)
    assert problem["errors"]["subject_type"] == "Select what kind of proposal it is from the list"
    assert problem["errors"]["title"] == "A title must be 200 characters or fewer (you entered 1,000)"
    problem = save(author, assessment, "subject", {"nonsense": "x", "title": 7}, status=422)
    assert set(problem["errors"]) == {"nonsense", "title"}
    problem = save(author, assessment, "responsibility", {"decision_date": "2027-02-30"}, status=422, partial=True)
    assert list(problem["errors"]) == ["decision_date"] and problem["errors"]["decision_date"].endswith(
        "must be a real date"
    )
    author.put(
        f"/api/v1/assessments/{assessment['id']}/pages/no-such-page",
        status=404,
        json={"answers": {}, "version": assessment["version"]},
    )
    with demo.app_context():
        unchanged = db.session.get(Assessment, assessment["id"])
        assert unchanged.lock_version == assessment["version"] and unchanged.title == "Untitled assessment"


def test_malformed_requests_get_problems_not_pages(demo, api_for):
    author = api_for("author@example.org")
    assessment = start(author)
    url = f"/api/v1/assessments/{assessment['id']}/pages/aims"
    author.put(url, status=415, data="answers=1", headers={"Content-Type": "application/x-www-form-urlencoded"})
    author.put(url, status=400, data="{not json", headers=JSON)
    author.put(url, status=422, data="[1, 2]", headers=JSON)
    author.put(url, status=422, json={"answers": {}, "version": "1"})
    author.put(url, status=428, json={"answers": {"aims": "x"}, "partial": True})
    author.put(url, status=413, data=b'{"answers": {"aims": "' + b"x" * (3 * 1024 * 1024) + b'"}}', headers=JSON)
    author.get("/api/v1/assessments?limit=0", status=400)
    author.get("/api/v1/assessments?status=nonsense", status=400)
    author.request("DELETE", "/api/v1/assessments", status=405)
    author.post("/api/v1/verify", status=415, json={"pdf": "x"})
    author.post(f"/api/v1/assessments/{assessment['id']}/actions/teleport", status=404, json={"version": 1})


def test_a_stale_version_is_a_conflict_and_changes_nothing(demo, api_for):
    author = api_for("author@example.org")
    assessment = start(author)
    save(author, assessment, "aims", {"aims": "First tab"}, partial=True)
    problem = save(author, assessment, "aims", {"aims": "Second tab"}, status=409, partial=True)
    assert problem["current_version"] == assessment["version"] + 1
    current = author.get(f"/api/v1/assessments/{assessment['id']}")
    assert current.json["answers"]["aims"] == {"aims": "First tab"}
    # If-Match works as well as a version field
    author.put(
        f"/api/v1/assessments/{assessment['id']}/pages/aims",
        status=200,
        headers={"If-Match": current.headers["ETag"]},
        json={"answers": {"aims": "Third"}, "partial": True},
    )
    author.put(
        f"/api/v1/assessments/{assessment['id']}/pages/aims",
        status=409,
        headers={"If-Match": current.headers["ETag"]},
        json={"answers": {"aims": "Fourth"}, "partial": True},
    )


def test_two_decisions_on_one_version_have_one_winner(demo, api_for):
    author = api_for("author@example.org")
    assessment = complete(author, start(author))
    submitted = act(author, assessment, "submit")["assessment"]
    approver = api_for("approver@example.org")
    act(approver, submitted, "start_review")
    problem = act(approver, submitted, "return", status=409, comment="Too late")
    assert problem["current_version"] == submitted["version"] + 1
    reviewed = approver.get(f"/api/v1/assessments/{assessment['id']}").json
    # a required comment is checked by the same rules as the form
    assert act(approver, reviewed, "return", status=422)["detail"] == "Enter a comment explaining your decision"
    returned = act(approver, reviewed, "return", comment="Add evidence")
    assert returned["to"] == "returned"
    # a decision the state no longer allows, on the current version, is a conflict too
    act(approver, returned["assessment"], "approve", status=409)


def test_the_board_approves_with_conditions_through_the_api(demo, api_for):
    author = api_for("author@example.org")
    assessment = act(author, complete(author, start(author), board_review=True), "submit")["assessment"]
    approver = api_for("approver@example.org")
    reviewing = act(approver, assessment, "start_review")["assessment"]
    escalated = act(approver, reviewing, "approve")
    assert escalated["to"] == "with_board" and escalated["rules_fired"]
    board = api_for("board@example.org", scopes=("read", "decide"))
    queued = board.get("/api/v1/assessments?status=with_board").json["items"]
    assert [a["id"] for a in queued] == [assessment["id"]]
    act(board, escalated["assessment"], "board_approve_with_conditions", status=422)  # conditions are required
    approved = act(
        board,
        escalated["assessment"],
        "board_approve_with_conditions",
        conditions=["Publish the footage policy", "  "],
        comment="With conditions",
    )
    assert approved["to"] == "approved" and approved["assessment"]["archive_id"]
    plan = approved["assessment"]["answers"]["action_plan"]["items"]
    assert plan[-1]["action"] == "Board condition: Publish the footage policy"
    details = approved["assessment"]["transitions"][-1]["details"]
    assert details["conditions"] == ["Publish the footage policy"]
    assert {check["id"] for check in details["legal_checks"]} >= {"L1"}, "the legal checks are recorded at sign-off"


def test_a_new_draft_can_say_what_is_assessed(api_for):
    author = api_for("author@example.org")
    chosen = author.post("/api/v1/assessments", json={"subject_type": "workforce"}, status=201).json
    assert chosen["subject_type"] == "workforce"
    assert author.post("/api/v1/assessments", json={"subject_type": "martian"}, status=422).json["errors"] == {
        "subject_type": "unknown kind of proposal"
    }
    assert author.post("/api/v1/assessments", json={"subject_type": 7}, status=422).json["errors"] == {
        "subject_type": "must be a string"
    }
    assert author.post("/api/v1/assessments", json={"kind": "sop"}, status=422).json["errors"] == {
        "kind": "unknown field"
    }
