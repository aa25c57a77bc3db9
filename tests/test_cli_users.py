"""`eia users create`: one role or several (--role repeated)."""

from __future__ import annotations

from sqlalchemy import select

from eia.extensions import db
from eia.models import User
from tests.conftest import PASSWORD


def test_a_person_is_created_with_two_roles(demo):
    result = demo.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "pat@example.org",
            "--name",
            "Pat Both",
            "--role",
            "approver",
            "--role",
            "board",
            "--organisation",
            "example-constabulary",
            "--department",
            "Operational Policing",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Approver (accountable senior officer) and Equality and Inclusion Board member" in result.output
    with demo.app_context():
        assert db.session.scalar(select(User).where(User.email == "pat@example.org")).roles == {"approver", "board"}


def test_an_unknown_role_is_refused_and_nothing_is_created(demo):
    result = demo.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "pat@example.org",
            "--name",
            "Pat",
            "--role",
            "superuser",
            "--organisation",
            "example-constabulary",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code != 0 and "superuser" in result.output
    with demo.app_context():
        assert db.session.scalar(select(User).where(User.email == "pat@example.org")) is None
