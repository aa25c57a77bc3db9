"""An administrator adding a person and changing their roles: each refusal is linked to, and shown at,
the input it is about; a change is audited with it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from eia.extensions import db
from eia.models import AuditEvent, User

A_PERSON = {
    "name": "Nadia Newcomer",
    "email": "nadia@example.org",
    "roles": ["author"],
    "department": "",
    "password": "correct horse battery staple",
}


def _described(page, field: str):
    """The element a field's error describes: the input, or for checkboxes the fieldset around them."""
    element = page.find(id=field)
    if element.attrs.get("type") == "checkbox":
        while element.tag != "fieldset":
            element = element.parent
    return element


def _person(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def _people(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the person's full name"),
        ({"name": "N" * 201}, "name", "The name must be 200 characters or fewer"),
        (
            {"email": "nadia.example.org"},
            "email",
            "Enter an email address in the correct format, like name@example.org",
        ),
        ({"email": "Author@example.org"}, "email", "An account for author@example.org already exists"),
        ({"roles": []}, "roles", "Select at least one role"),
        ({"roles": ["author", "superuser"]}, "roles", "Select roles from the list"),
        ({"department": "999999"}, "department", "Select a department from the list"),
        ({"password": "short"}, "password", "Password must be 12 characters or more"),
        ({"password": "password1234"}, "password", "Password is too easy to guess: use three or more random words"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_each_refusal_points_at_its_own_field(client_for, demo, typed, field, message):
    admin = client_for("admin@example.org")
    before = _people(demo)
    page = admin.submit("/admin/", {**A_PERSON, **typed}, action="/admin/users", status=400)
    assert page.error_messages == [message]
    assert page.find("div", class_="govuk-error-summary").find("a").attrs["href"] == f"#{field}"
    inline = page.find(id=f"{field}-error")
    assert inline is not None and message in inline.text, "the message is shown at the input too"
    assert f"{field}-error" in _described(page, field).attrs.get("aria-describedby", "").split()
    assert len(page.find_all(class_="govuk-error-message")) == 1, "and at no other input"
    assert _people(demo) == before


def test_a_person_with_acceptable_details_is_added(client_for, demo):
    admin = client_for("admin@example.org")
    page = admin.submit("/admin/", A_PERSON, action="/admin/users")
    assert admin.location(page) == "/admin/"
    with demo.app_context():
        added = db.session.scalar(select(User).where(User.email == "nadia@example.org"))
        assert (added.name, added.roles, added.department_id) == ("Nadia Newcomer", {"author"}, None)


def test_a_person_can_be_added_with_two_roles(client_for, demo):
    admin = client_for("admin@example.org")
    page = admin.submit("/admin/", {**A_PERSON, "roles": ["approver", "board"]}, action="/admin/users")
    assert admin.location(page) == "/admin/"
    assert _person(demo, "nadia@example.org").roles == {"approver", "board"}
    row = next(r for r in admin.get("/admin/").find_all("tr") if "Nadia Newcomer" in r.text)
    assert "Approver (accountable senior officer) and Equality and Inclusion Board member" in row.text


def test_an_administrator_changes_a_persons_roles_and_the_change_is_audited(client_for, demo):
    author = _person(demo, "author@example.org")
    admin = client_for("admin@example.org")
    form = admin.get(f"/admin/users/{author.id}/roles")
    assert form.find("h1").text.strip() == "Roles for Alex Author"
    assert [i.attrs["value"] for i in form.find_all("input", type="checkbox") if "checked" in i.attrs] == ["author"]
    page = admin.submit(f"/admin/users/{author.id}/roles", {"roles": ["author", "board"]})
    assert admin.location(page) == "/admin/"
    assert _person(demo, "author@example.org").roles == {"author", "board"}
    [event] = _events(demo, "user.roles_changed")
    record = json.loads(event.canonical)
    assert record["object"] == {"type": "user", "id": str(author.id)}
    assert record["details"] == {"email": "author@example.org", "before": ["author"], "after": ["author", "board"]}
    assert record["actor"]["email"] == "admin@example.org"


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ([], "Select at least one role"),
        (["superuser"], "Select roles from the list"),
        (["author", "superuser"], "Select roles from the list"),
    ],
)
def test_the_role_form_refuses_bad_input_at_the_field_and_changes_nothing(client_for, demo, chosen, message):
    author = _person(demo, "author@example.org")
    admin = client_for("admin@example.org")
    page = admin.submit(f"/admin/users/{author.id}/roles", {"roles": chosen}, status=400)
    assert page.error_messages == [message]
    assert page.find("div", class_="govuk-error-summary").find("a").attrs["href"] == "#roles"
    inline = page.find(id="roles-error")
    assert inline is not None and message in inline.text
    assert "roles-error" in _described(page, "roles").attrs.get("aria-describedby", "").split()
    assert _person(demo, "author@example.org").roles == {"author"}
    assert _events(demo, "user.roles_changed") == []


def test_an_administrator_cannot_take_away_their_own_administration(client_for, demo):
    me = _person(demo, "admin@example.org")
    admin = client_for("admin@example.org")
    page = admin.submit(f"/admin/users/{me.id}/roles", {"roles": ["auditor"]}, status=400)
    assert page.error_messages == ["You cannot remove your own administrator role: ask another administrator"]
    assert _person(demo, "admin@example.org").roles == {"admin"}
    admin.submit(f"/admin/users/{me.id}/roles", {"roles": ["admin", "auditor"]})
    assert _person(demo, "admin@example.org").roles == {"admin", "auditor"}


def test_roles_of_another_organisations_person_are_not_found(client_for, demo):
    neighbour = _person(demo, "author@neighbouring.example.org")
    admin = client_for("admin@example.org")
    assert admin.client.get(f"/admin/users/{neighbour.id}/roles").status_code == 404
    token = admin.get("/admin/").csrf_token
    response = admin.client.post(f"/admin/users/{neighbour.id}/roles", data={"csrf_token": token, "roles": "admin"})
    assert response.status_code == 404
    assert _person(demo, "author@neighbouring.example.org").roles == {"author"}
