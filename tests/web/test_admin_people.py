"""An administrator adding a person: each refusal is linked to, and shown at, the input it is about."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eia.extensions import db
from eia.models import User

A_PERSON = {"name": "Nadia Newcomer", "email": "nadia@example.org", "role": "author", "department": "",
            "password": "correct horse battery staple"}


def _people(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize(("typed", "field", "message"), [
    ({"name": "  "}, "name", "Enter the person's full name"),
    ({"name": "N" * 201}, "name", "The name must be 200 characters or fewer"),
    ({"email": "nadia.example.org"}, "email", "Enter an email address in the correct format, like name@example.org"),
    ({"email": "Author@example.org"}, "email", "An account for author@example.org already exists"),
    ({"role": "superuser"}, "role", "Role must be one of: author, approver, board, auditor, admin"),
    ({"department": "999999"}, "department", "Select a department from the list"),
    ({"password": "short"}, "password", "Password must be 12 characters or more"),
    ({"password": "password1234"}, "password", "Password is too easy to guess: use three or more random words"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_each_refusal_points_at_its_own_field(client_for, demo, typed, field, message):
    admin = client_for("admin@example.org")
    before = _people(demo)
    page = admin.submit("/admin/", {**A_PERSON, **typed}, action="/admin/users", status=400)
    assert page.error_messages == [message]
    assert page.find("div", class_="govuk-error-summary").find("a").attrs["href"] == f"#{field}"
    inline = page.find(id=f"{field}-error")
    assert inline is not None and message in inline.text, "the message is shown at the input too"
    assert f"{field}-error" in page.find(id=field).attrs.get("aria-describedby", "").split()
    assert len(page.find_all(class_="govuk-error-message")) == 1, "and at no other input"
    assert _people(demo) == before


def test_a_person_with_acceptable_details_is_added(client_for, demo):
    admin = client_for("admin@example.org")
    page = admin.submit("/admin/", A_PERSON, action="/admin/users")
    assert admin.location(page) == "/admin/"
    with demo.app_context():
        added = db.session.scalar(select(User).where(User.email == "nadia@example.org"))
        assert (added.name, added.role, added.department_id) == ("Nadia Newcomer", "author", None)
