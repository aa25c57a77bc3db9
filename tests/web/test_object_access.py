"""Object-level authorisation (ASVS 8.2.2): every GET URL naming an object, for every role, on objects
in the viewer's own department, another department and another organisation.

The expected answers come from one table, written out in full so a change in the rules shows up as a
change here. 403: the role may never use the page; 404: this object is not the viewer's to see (other
organisations' records are never confirmed to exist); 302: visible but read-only (an author's
submitted or signed-off assessment sends them to its record page).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eia.extensions import db
from eia.models import PolicyRegisterEntry, TrackedAction, User
from eia.services import policy_register
from tests import factories
from tests.journeys import AN_ACTION, start_assessment

VIEWERS = {
    "author": "author@example.org",  # Operational Policing, wrote "draft", "submitted" and "approved"
    "colleague": "author2@example.org",  # an author in Crime and Public Protection, wrote "other_department"
    "approver": "approver@example.org",  # Operational Policing
    "board": "board@example.org",
    "auditor": "auditor@example.org",
    "admin": "admin@example.org",
    "neighbour": "author@neighbouring.example.org",  # another organisation, wrote "other_organisation"
    "approver and board": "approver-board@example.org",  # two roles, approver in Crime and Public Protection
}

# url, object -> expected status for each viewer, in the order of VIEWERS:
# (the approver who also sits on the Board sees what the Board sees, but reviews only their own
# department's submissions: start_review on Operational Policing's is not theirs)
#                                                          author colleague approver board auditor admin neighbour both
EXPECTED = {
    ("/assessments/{id}", "draft"): (200, 404, 200, 200, 200, 200, 404, 200),
    ("/assessments/{id}", "submitted"): (200, 404, 200, 200, 200, 200, 404, 200),
    ("/assessments/{id}", "approved"): (200, 404, 200, 200, 200, 200, 404, 200),
    ("/assessments/{id}", "other_department"): (404, 200, 404, 200, 200, 200, 404, 200),
    ("/assessments/{id}", "other_organisation"): (404, 404, 404, 404, 404, 404, 200, 404),
    ("/assessments/{id}/question-comments", "submitted"): (200, 404, 200, 200, 200, 200, 404, 200),
    ("/assessments/{id}/question-comments", "other_department"): (404, 200, 404, 200, 200, 200, 404, 200),
    ("/assessments/{id}/question-comments", "other_organisation"): (404, 404, 404, 404, 404, 404, 200, 404),
    ("/assessments/{id}/tasks", "draft"): (200, 404, 403, 403, 403, 403, 404, 403),
    ("/assessments/{id}/tasks", "submitted"): (302, 404, 403, 403, 403, 403, 404, 403),
    ("/assessments/{id}/tasks", "approved"): (302, 404, 403, 403, 403, 403, 404, 403),
    ("/assessments/{id}/tasks", "other_department"): (404, 200, 403, 403, 403, 403, 404, 403),
    ("/assessments/{id}/tasks", "other_organisation"): (404, 404, 403, 403, 403, 403, 200, 403),
    ("/assessments/{id}/pages/subject", "draft"): (200, 404, 403, 403, 403, 403, 404, 403),
    ("/assessments/{id}/pages/subject", "approved"): (302, 404, 403, 403, 403, 403, 404, 403),
    ("/assessments/{id}/pages/subject", "other_department"): (404, 200, 403, 403, 403, 403, 404, 403),
    ("/assessments/{id}/pages/subject", "other_organisation"): (404, 404, 403, 403, 403, 403, 200, 403),
    ("/assessments/{id}/all/screening", "draft"): (200, 404, 403, 403, 403, 403, 404, 403),
    ("/assessments/{id}/all/screening", "approved"): (302, 404, 403, 403, 403, 403, 404, 403),
    ("/assessments/{id}/all/screening", "other_department"): (404, 200, 403, 403, 403, 403, 404, 403),
    ("/assessments/{id}/all/screening", "other_organisation"): (404, 404, 403, 403, 403, 403, 200, 403),
    ("/assessments/{id}/check-answers", "draft"): (200, 404, 403, 403, 403, 403, 404, 403),
    ("/assessments/{id}/check-answers", "approved"): (302, 404, 403, 403, 403, 403, 404, 403),
    ("/assessments/{id}/check-answers", "other_organisation"): (404, 404, 403, 403, 403, 403, 200, 403),
    ("/assessments/{id}/signed-record.pdf", "approved"): (200, 404, 200, 200, 200, 200, 404, 200),
    ("/assessments/{id}/signed-record.pdf", "draft"): (404, 404, 404, 404, 404, 404, 404, 404),
    ("/assessments/{id}/actions/submit", "draft"): (200, 404, 404, 404, 404, 404, 404, 404),
    ("/assessments/{id}/actions/submit", "other_organisation"): (404, 404, 404, 404, 404, 404, 200, 404),
    ("/assessments/{id}/actions/start_review", "submitted"): (404, 404, 200, 404, 404, 404, 404, 404),
    ("/assessments/{id}/actions/approve", "approved"): (404, 404, 404, 404, 404, 404, 404, 404),
    ("/assessments/{id}/submitted", "submitted"): (200, 404, 302, 302, 302, 302, 404, 302),
    ("/assessments/{id}/submitted", "other_organisation"): (404, 404, 404, 404, 404, 404, 302, 404),
    ("/actions/{id}", "approved_action"): (200, 404, 200, 200, 200, 200, 404, 200),
    ("/archive/{id}", "approved"): (403, 403, 403, 200, 200, 200, 403, 200),
    ("/archive/{id}", "other_department"): (403, 403, 403, 200, 200, 200, 403, 200),
    ("/archive/{id}", "other_organisation"): (403, 403, 403, 404, 404, 404, 403, 404),
    # Publishing: who may is the workflow's capability (approvers and the Board); the others are sent back.
    ("/assessments/{id}/publication", "approved"): (200, 404, 200, 200, 200, 200, 404, 200),
    ("/assessments/{id}/publication", "other_organisation"): (404, 404, 404, 404, 404, 404, 200, 404),
    ("/assessments/{id}/publication/withhold", "approved"): (302, 404, 200, 200, 302, 302, 404, 200),
    ("/assessments/{id}/publication/withhold", "other_department"): (404, 302, 404, 302, 302, 302, 404, 302),
    ("/assessments/{id}/publication/check", "approved"): (302, 404, 200, 200, 302, 302, 404, 200),
    ("/assessments/{id}/publication/check", "other_organisation"): (404, 404, 404, 404, 404, 404, 302, 404),
    # The public register: the same for everyone, signed in or not, whichever organisation.
    ("/public/assessments/{id}", "publication"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("/public/assessments/{id}/public-copy.pdf", "publication"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("/admin/users/{id}/roles", "person"): (403, 403, 403, 403, 403, 200, 403, 403),
    ("/admin/users/{id}/roles", "other_organisation_person"): (403, 403, 403, 403, 403, 404, 403, 403),
    ("/admin/users/{id}", "person"): (403, 403, 403, 403, 403, 200, 403, 403),
    ("/admin/users/{id}", "other_organisation_person"): (403, 403, 403, 403, 403, 404, 403, 403),
    ("/policy-register/{id}", "entry"): (200, 200, 200, 200, 200, 200, 404, 200),
    ("/policy-register/{id}", "other_organisation_entry"): (404, 404, 404, 404, 404, 404, 200, 404),
    ("/policy-register/{id}/edit", "entry"): (403, 403, 200, 403, 403, 200, 403, 200),
    ("/policy-register/{id}/edit", "other_organisation_entry"): (403, 403, 404, 403, 403, 404, 403, 404),
    ("/policy-register/assessments/{id}", "draft"): (200, 404, 200, 403, 403, 200, 404, 200),
    ("/policy-register/assessments/{id}", "other_organisation"): (404, 404, 404, 403, 403, 404, 200, 404),
}


@pytest.fixture
def world(client_for, demo):
    """The objects of the table: drafts started through the pages, the rest built by the factories."""
    clients = {name: client_for(email) for name, email in VIEWERS.items()}
    author = clients["author"]
    ids = {"draft": start_assessment(author)}
    ids["submitted"] = factories.submitted(demo)
    ids["approved"] = factories.signed_off(demo, title="Custody CCTV retention", actions=[AN_ACTION])
    with demo.app_context():  # signing off turned the action plan into tracked actions
        ids["approved_action"] = db.session.scalar(
            select(TrackedAction.id).where(TrackedAction.assessment_id == ids["approved"])
        )
    published = factories.signed_off(demo, title="Published custody procedure")
    with demo.app_context():
        from eia.models import Assessment
        from eia.services import publication

        board = db.session.scalar(select(User).where(User.email == VIEWERS["board"]))
        ids["publication"] = publication.publish(db.session.get(Assessment, published), board).id
    ids["other_department"] = start_assessment(clients["colleague"])
    ids["other_organisation"] = start_assessment(clients["neighbour"])
    with demo.app_context():
        ids["person"] = db.session.scalar(select(User.id).where(User.email == VIEWERS["author"]))
        ids["other_organisation_person"] = db.session.scalar(select(User.id).where(User.email == VIEWERS["neighbour"]))
        admin = db.session.scalar(select(User).where(User.email == VIEWERS["admin"]))
        # An entry of the approver's department, which they manage.
        approver_department = db.session.scalar(select(User.department_id).where(User.email == VIEWERS["approver"]))
        entry = {"title": "Custody SOP", "kind": "sop", "owner": "Owner", "document_version": "1"}
        ids["entry"] = policy_register.add(admin, {**entry, "department": str(approver_department)}).id
        neighbour = db.session.scalar(select(User).where(User.email == VIEWERS["neighbour"]))
        # The neighbouring organisation has no one who manages a register: its entry is written directly.
        theirs = PolicyRegisterEntry(
            organisation_id=neighbour.organisation_id,
            title="Their SOP",
            kind="sop",
            owner="Owner",
            document_version="1",
            document_url="",
        )
        db.session.add(theirs)
        db.session.commit()
        ids["other_organisation_entry"] = theirs.id
    return clients, ids


def test_every_get_url_with_an_object_id_is_in_the_table(demo):
    in_table = {url for url, _ in EXPECTED}
    for rule in demo.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            continue  # bearer tokens, not sessions: tests/api checks the API applies the same access rules
        if "GET" in rule.methods and any(arg.endswith("_id") for arg in rule.arguments):
            shape = (
                rule.rule.replace("<id:assessment_id>", "{id}")
                .replace("<id:action_id>", "{id}")
                .replace("<id:user_id>", "{id}")
                .replace("<id:entry_id>", "{id}")
            )
            assert any(_matches(shape, url) for url in in_table), f"{rule.rule} has no row in EXPECTED"


def _matches(shape: str, url: str) -> bool:
    """/assessments/{id}/pages/<page_id> matches /assessments/{id}/pages/subject."""
    shape_parts, url_parts = shape.split("/"), url.split("/")
    return len(shape_parts) == len(url_parts) and all(
        s == u or s.startswith("<") for s, u in zip(shape_parts, url_parts, strict=True)
    )


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_each_role_reaches_exactly_what_the_table_says(world, viewer):
    clients, ids = world
    client = clients[viewer]
    column = list(VIEWERS).index(viewer)
    wrong = []
    for (url, obj), statuses in EXPECTED.items():
        target = url.format(id=ids[obj])
        response = client.client.get(target)
        expected = statuses[column]
        if response.status_code != expected:
            wrong.append(f"{target} ({obj}): expected {expected}, got {response.status_code}")
            continue
        if expected == 302:
            assert response.headers["Location"] == f"/assessments/{ids[obj]}", target
        if expected == 200 and response.mimetype == "text/html":
            client.get(target)  # the page checker too
        if expected == 200 and target.endswith(".pdf"):
            assert response.data.startswith(b"%PDF-")
    assert wrong == [], f"{viewer}: " + "; ".join(wrong)
