"""Demo data for `make run`: two organisations that share nothing, a user for every role, and people
with two roles (an approver who also sits on the Board; an author who is also an equality adviser).

Which kinds of proposal go through the equality adviser's quality review is the demo record's choice
(eia.dataset.seed_demo_assessments): here every kind follows the folder's mapping."""

from __future__ import annotations

from sqlalchemy import select

from eia.extensions import db
from eia.models import Department, EqualityObjective, Organisation, User
from eia.services.users import AccountError, create_user, password_problem

ORGANISATIONS = [
    {
        "slug": "example-constabulary",
        "name": "Example Constabulary",
        "extra_characteristics": ["socio_economic", "armed_forces"],
        "board_subject_types": [],
        "departments": [
            "Operational Policing",
            "Crime and Public Protection",
            "People and Organisational Development",
            "Digital, Data and Technology",
        ],
        "objectives": [
            ("EO1", "Increase the trust and confidence of under-represented communities"),
            ("EO2", "Reduce disproportionality in the use of police powers"),
            ("EO3", "Build a workforce that reflects the communities we serve"),
            ("EO4", "Embed equality impact assessment in every policy and change programme"),
        ],
        "users": [
            ("author@example.org", "Alex Author", ["author"], "Operational Policing"),
            ("approver@example.org", "Sam Approver", ["approver"], "Operational Policing"),
            ("board@example.org", "Bea Board", ["board"], None),
            ("auditor@example.org", "Ari Auditor", ["auditor"], None),
            ("admin@example.org", "Ade Admin", ["admin"], None),
            ("author2@example.org", "Jo Colleague", ["author"], "Crime and Public Protection"),
            (
                "approver-board@example.org",
                "Rowan Approver-Board",
                ["approver", "board"],
                "Crime and Public Protection",
            ),
            ("adviser@example.org", "Eden Adviser", ["adviser"], None),
            (
                "author-adviser@example.org",
                "Kit Author-Adviser",
                ["author", "adviser"],
                "People and Organisational Development",
            ),
        ],
    },
    {
        "slug": "neighbouring-constabulary",
        "name": "Neighbouring Constabulary",
        "extra_characteristics": [],
        "board_subject_types": ["procurement"],
        "departments": ["Operational Policing"],
        "objectives": [("NO1", "Improve accessibility of police services")],
        "users": [("author@neighbouring.example.org", "Nat Neighbour", ["author"], "Operational Policing")],
    },
]


def seed(password: str) -> int:
    """Create whatever is missing; returns how many records were created.

    Raises AccountError, creating nothing, if the password is not acceptable for the users."""
    if problem := password_problem(password):
        raise AccountError(problem, field="password")
    created = 0
    for spec in ORGANISATIONS:
        organisation = db.session.scalar(select(Organisation).where(Organisation.slug == spec["slug"]))
        if organisation is None:
            organisation = Organisation(
                slug=spec["slug"],
                name=spec["name"],
                extra_characteristics=spec["extra_characteristics"],
                board_subject_types=spec["board_subject_types"],
            )
            db.session.add(organisation)
            created += 1
        existing_departments = {d.name for d in organisation.departments}
        for name in spec["departments"]:
            if name not in existing_departments:
                db.session.add(Department(organisation=organisation, name=name))
                created += 1
        existing_objectives = {o.code for o in organisation.objectives}
        for code, title in spec["objectives"]:
            if code not in existing_objectives:
                db.session.add(EqualityObjective(organisation=organisation, code=code, title=title))
                created += 1
        db.session.commit()
        for email, name, roles, department_name in spec["users"]:
            if db.session.scalar(select(User.id).where(User.email == email)) is not None:
                continue
            department = next((d for d in organisation.departments if d.name == department_name), None)
            create_user(
                email=email, name=name, roles=roles, organisation=organisation, department=department, password=password
            )
            created += 1
    return created
