"""The API answers for an assessment with the definitions it pinned, not the ones loaded now: after a
workflow change that forbids withdrawing drafts, an old draft may still be withdrawn, and says so."""

from __future__ import annotations

from sqlalchemy import select

from eia.extensions import db
from eia.models import Assessment, User
from eia.services import assessments
from eia.services.demo import seed
from tests.api.conftest import ApiClient, make_token
from tests.conftest import PASSWORD
from tests.workflow_copies import WORKFLOWS, changed_definitions


def _start_draft(app) -> int:
    with app.app_context():
        author = db.session.scalar(select(User).where(User.email == "author@example.org"))
        return assessments.start(author).id


def test_an_old_draft_is_offered_and_allowed_what_its_own_workflow_allows(make_app, tmp_path):
    before = make_app(WORKFLOWS_DIR=WORKFLOWS)
    with before.app_context():
        seed(PASSWORD)
    old_id = _start_draft(before)

    after = make_app(WORKFLOWS_DIR=changed_definitions(tmp_path / "changed"))
    new_id = _start_draft(after)
    _token, secret = make_token(after, "author@example.org")
    api = ApiClient(after.test_client(), secret)

    old = api.get(f"/api/v1/assessments/{old_id}").get_json()
    new = api.get(f"/api/v1/assessments/{new_id}").get_json()
    assert old["status_label"] == "Draft" and new["status_label"] == "Being written"
    assert "withdraw" in old["available_actions"]
    assert "withdraw" not in new["available_actions"]

    withdrawn = api.post(f"/api/v1/assessments/{old_id}/actions/withdraw", json={"version": old["version"]}).get_json()
    assert withdrawn["to"] == "withdrawn"
    refused = api.post(
        f"/api/v1/assessments/{new_id}/actions/withdraw", json={"version": new["version"]}, status=409
    ).get_json()
    assert "being written" in refused["detail"]
    with after.app_context():
        assert db.session.get(Assessment, new_id).status == "draft"
