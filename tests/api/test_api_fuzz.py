"""Schemathesis fuzzes every documented operation against the app (WSGI, no network), bounded and
deterministic: no response is a 5xx, and every response conforms to the OpenAPI document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from eia.services import assessments
from eia.web.api_spec import openapi_document
from tests.api.conftest import make_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Uploads to /verify: arbitrary bytes, and things that start like a PDF but are not one.
schemathesis.openapi.media_type(
    "application/pdf", st.binary(max_size=2048) | st.builds(lambda tail: b"%PDF-1.7\n" + tail, st.binary(max_size=2048))
)
schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture
def fuzz_target(demo):
    """The app with an assessment to aim at, and an all-scopes author token."""
    from sqlalchemy import select

    from eia.extensions import db
    from eia.models import User

    with demo.app_context():
        assessments.start(db.session.scalar(select(User).where(User.email == "author@example.org")))
    _token_id, secret = make_token(demo, "author@example.org")
    return demo, {"Authorization": f"Bearer {secret}"}


@schema.parametrize()
@settings(max_examples=15, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, fuzz_target):
    app, headers = fuzz_target
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)
