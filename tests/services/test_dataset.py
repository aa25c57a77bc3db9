"""The sample-data generator: real-pipeline samples and bulk rows that the integrity checks accept."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import func, select

from eia.dataset import (
    DEMO_ASSESSMENTS,
    DEMO_PUBLISHED,
    DEMO_QUALITY_REVIEWED_KINDS,
    DEMO_REGISTER,
    SCENARIOS,
    generate,
    seed_demo_assessments,
    seed_demo_register,
)
from eia.domain import legal_checks, sample_data
from eia.domain import questionnaire as q
from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, AssessmentSearch, Organisation, Publication, Transition, User
from eia.services import assessments, integrity, policy_register
from eia.services.definitions import current_definitions, library
from tests.conftest import PASSWORD


def test_sample_answers_pass_the_questionnaires_validation_and_the_blocking_legal_checks(app):
    with app.app_context():
        questionnaire = current_definitions().questionnaire
        ids = questionnaire.default_characteristic_ids(["socio_economic"])
        covered = [(c, tuple(c.aims)) for c in questionnaire.applicable_characteristics(ids)]
        characteristics = [(c.id, aims) for c, aims in covered]
        rng = random.Random(5)
        today = date(2026, 1, 1)
        options = {
            "departments": [q.Choice("7", "Dept")],
            "objectives": [q.Choice("EO1", "One"), q.Choice("EO2", "Two")],
            "relevant_characteristics": [],
            "subject_types": [q.Choice(kind.value, kind.label) for kind in library().subject_types],
        }
        for profile in sample_data.PROFILES.values():
            for _ in range(5):
                answers = sample_data.answers(
                    rng,
                    profile=profile,
                    characteristics=characteristics,
                    department_id=7,
                    objective_codes=["EO1", "EO2"],
                    today=today,
                )
                path = q.path(questionnaire, answers, ids)
                relevant = [t.characteristic for t in path.tasks if t.definition.id == "analysis"]
                options["relevant_characteristics"] = [q.Choice(c.id, c.name) for c in relevant] + [
                    q.Choice("all", "All")
                ]
                assert q.submission_problems(path, options, today) == []
                context = legal_checks.CheckContext(
                    answers=path.answers,
                    covered=tuple(c for c, _ in covered),
                    relevant=tuple(relevant),
                    today=today,
                    bindings=questionnaire.bindings,
                )
                blocking = [
                    result
                    for result in legal_checks.evaluate(context)
                    if result.check.severity == legal_checks.BLOCKING and not result.passed
                ]
                assert blocking == [], profile
                for page in path.pages:  # what validation keeps is exactly what was generated
                    if not page.is_list:
                        assert q.validate_page(path, page, answers[page.id], options, today).values == answers[page.id]


def test_generate_makes_a_verifiable_archive_and_audit_chain(demo):
    with demo.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.slug == "example-constabulary"))
        progressed = []
        made = generate(organisation, len(SCENARIOS) + 40, seed=4, password=PASSWORD, progress=progressed.append)
        assert made == sum(progressed) == len(SCENARIOS) + 40
        count = db.session.scalar(select(func.count()).select_from(Assessment))
        assert count == made
        statuses = set(db.session.scalars(select(Assessment.status)))
        assert {"approved", "draft", "with_board"} <= statuses
        assert (
            db.session.scalar(select(func.count()).select_from(Transition).where(Transition.to_state == "with_board"))
            > 0
        )
        references = db.session.scalars(select(Assessment.reference)).all()
        assert len(set(references)) == len(references)
        audit_report = integrity.verify_audit_chain()
        assert audit_report.problems == [] and audit_report.checked > made * 5
        archive_report = integrity.verify_archive()
        approved = db.session.scalar(
            select(func.count()).select_from(Assessment).where(Assessment.status == "approved")
        )
        # Bulk records borrow a pooled signed PDF made through the real pipeline: the archive check
        # rightly reports each as another record's file, and nothing else.
        assert archive_report.checked == approved
        assert all(problem.endswith("not of this one: the file was swapped") for problem in archive_report.problems)
        indexed = db.session.scalar(select(func.count()).select_from(AssessmentSearch))
        assert indexed == made, "bulk rows are in the archive search index too"
        # A new assessment after a bulk load still gets a fresh reference.
        author = organisation_author(organisation)
        assert assessments.start(author).reference not in references


def organisation_author(organisation):
    from eia.models import User, UserRole

    return db.session.scalar(
        select(User).join(UserRole).where(User.organisation_id == organisation.id, UserRole.role == "author")
    )


def test_demo_assessments_are_seeded_once(demo):
    with demo.app_context():
        assert seed_demo_assessments(PASSWORD) == len(DEMO_ASSESSMENTS)
        assert seed_demo_assessments(PASSWORD) == 0
        assert db.session.scalar(select(func.count()).select_from(ArchivedRecord)) >= 15
        published = list(db.session.scalars(select(Publication)))
        assert len(published) == DEMO_PUBLISHED, "several demo assessments are published"
        assert published[0].redactions and published[0].redactions[0]["reason"]
        # The demo force sends some kinds through the equality adviser's quality review: those passed it.
        reviews = sum(
            1 + (scenario == "return_then_approve")
            for _title, kind, _department, scenario in DEMO_ASSESSMENTS
            if kind in DEMO_QUALITY_REVIEWED_KINDS and scenario != "draft"
        )
        assert (
            reviews > 0
            and db.session.scalar(
                select(func.count()).select_from(Transition).where(Transition.actor_role == "adviser")
            )
            == reviews
        )
        assert integrity.verify_audit_chain().problems == []

        # The demo force's policy register: linked to those assessments, every coverage status shown.
        assert seed_demo_register() == len(DEMO_REGISTER)
        assert seed_demo_register() == 0
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        counts = policy_register.register(admin, policy_register.Filters()).counts
        assert all(counts.values()), counts
        assert integrity.verify_audit_chain().problems == []
