"""Sample assessments for demos and benchmarks: `eia seed-demo` and `eia dev generate`.

Two ways in, one vocabulary (eia.domain.sample_data):

- ``run_scenario`` drives one assessment through the real services (start, save every page, submit,
  review, decide, sign off with a real signed PDF), exactly as the web pages do.
- ``bulk_generate`` produces volume: the same answers and the same workflow routing (the domain's
  ``decide``), written with executemany inserts, one transaction per batch. Its audit events are real
  chain links (canonical JSON, SHA-256 over the predecessor), so `eia audit verify` checks them like
  any others. Its signed-off assessments reuse the signed PDFs made by ``run_scenario``: each archive
  row records that file's true SHA-256, size and snapshot, but the PDF shows the sample assessment it
  was rendered from, not the bulk one.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from eia.clock import uk_today
from eia.domain import questionnaire as q
from eia.domain import sample_data
from eia.domain.audit import GENESIS_HASH, canonical_bytes, chain_hash
from eia.domain.workflow import decide
from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, AuditEvent, Organisation, Transition, User
from eia.services import assessments, search, workflow
from eia.services.archive import storage
from eia.services.audit import _AUDIT_APPEND_LOCK
from eia.services.database import is_postgresql, unit_of_work
from eia.services.definitions import current_definitions, definitions_of, library
from eia.services.users import create_user

BATCH = 1000
# The decisions a sample assessment goes through, after the author has completed it.
SCENARIOS = (
    "approve",
    "board_approve",
    "return_then_approve",
    "board_approve_with_conditions",
    "board_return",
    "board_reject",
    "submitted",
    "with_board",
    "draft",
)
BOARD_SCENARIOS = {"board_approve", "board_approve_with_conditions", "board_return", "board_reject", "with_board"}


@dataclass
class Cast:
    """Who acts in an organisation: an author and an approver per department, a Board member, and the
    equality advisers (for kinds of proposal the organisation sends through a quality review)."""

    organisation: Organisation
    authors: dict[int, list[User]]
    approvers: dict[int, User]
    board: User
    advisers: list[User] = field(default_factory=list)

    @property
    def department_ids(self) -> list[int]:
        return sorted(self.authors)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def ensure_cast(organisation: Organisation, password: str) -> Cast:
    """Use the organisation's users; add a sample author/approver where a department has none."""
    users = list(
        db.session.scalars(
            select(User).where(User.organisation_id == organisation.id, User.active.is_(True)).order_by(User.id)
        )
    )
    domain = f"{organisation.slug}.example"
    authors: dict[int, list[User]] = {}
    approvers: dict[int, User] = {}
    for department in organisation.departments:
        for role, name in (("author", "Policy Author"), ("approver", "Accountable Officer")):
            existing = [u for u in users if u.has_role(role) and u.department_id == department.id]
            if not existing:
                existing = [
                    create_user(
                        email=f"{role}.{_slug(department.name)}@{domain}",
                        name=f"{name}, {department.name}",
                        roles=[role],
                        organisation=organisation,
                        department=department,
                        password=password,
                    )
                ]
            if role == "author":
                authors[department.id] = existing
            else:
                approvers[department.id] = existing[0]
    board = next((u for u in users if u.has_role("board")), None) or create_user(
        email=f"board@{domain}", name="Board Member", roles=["board"], organisation=organisation, password=password
    )
    return Cast(organisation, authors, approvers, board, [u for u in users if u.has_role("adviser")])


def _characteristics(assessment_ids: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    questionnaire = current_definitions().questionnaire
    return [(c.id, tuple(c.aims)) for c in questionnaire.applicable_characteristics(assessment_ids)]


def _sample_answers(
    rng: random.Random,
    cast: Cast,
    department_id: int,
    characteristic_ids: list[str],
    profile: sample_data.Profile,
    title_and_type=None,
) -> dict[str, Any]:
    return sample_data.answers(
        rng,
        profile=profile,
        characteristics=_characteristics(characteristic_ids),
        department_id=department_id,
        objective_codes=[o.code for o in cast.organisation.objectives],
        today=uk_today(),
        title_and_type=title_and_type,
    )


# --- the real pipeline ------------------------------------------------------------------------------


def run_scenario(
    cast: Cast,
    rng: random.Random,
    scenario: str,
    *,
    department_id: int | None = None,
    title_and_type: tuple[str, str] | None = None,
) -> Assessment:
    """One assessment through the real services, ending in ``scenario`` (see SCENARIOS)."""
    department_id = department_id or rng.choice(cast.department_ids)
    author = rng.choice(cast.authors[department_id])
    approver = cast.approvers[department_id]
    if scenario in BOARD_SCENARIOS:
        profile = sample_data.PROFILES[rng.choice(["adverse", "board_requested", "missing_evidence"])]
    else:
        profile = sample_data.PROFILES["routine"]
    assessment = assessments.start(author, title_and_type[1] if title_and_type else None)
    answers = _sample_answers(rng, cast, department_id, assessment.characteristic_ids, profile, title_and_type)
    for page_id, values in answers.items():
        if page_id == "action_plan":
            for item in values["items"]:
                _ok(assessments.add_list_item(assessment, author, page_id, item, assessment.lock_version), page_id)
            problem = assessments.finish_list(assessment, author, page_id, assessment.lock_version)
            assert problem is None, problem
        else:
            _ok(assessments.save_page(assessment, author, page_id, values, assessment.lock_version), page_id)
    if scenario == "draft":
        return assessment

    def act(user: User, action: str, **decision) -> None:
        workflow.take_action(assessment, user, action, workflow.Decision(**decision), assessment.lock_version)

    def submit() -> None:
        act(author, "submit")
        # Where the organisation sends this kind through an equality adviser's quality review, one passes it on.
        state = definitions_of(assessment).workflow.state(assessment.status)
        if state.queue == "adviser":
            adviser = next(u for u in cast.advisers if u.id != author.id)
            act(adviser, "pass_quality_review", comment="Evidence and engagement are proportionate to the impact.")

    submit()
    if scenario == "submitted":
        return assessment
    act(approver, "start_review")
    if scenario == "return_then_approve":
        act(approver, "return", comment="Please say which staff networks you consulted.")
        _ok(
            assessments.save_page(
                assessment,
                author,
                "aims",
                {
                    **answers["aims"],
                    "scope": answers["aims"]["scope"] + " The staff networks were consulted in writing.",
                },
                assessment.lock_version,
            ),
            "aims",
        )
        submit()
        act(approver, "start_review")
    act(approver, "approve", comment="Content with the analysis and the action plan.")
    if scenario in ("approve", "return_then_approve", "with_board"):
        return assessment
    if scenario == "board_approve_with_conditions":
        act(cast.board, scenario, conditions=["Publish quarterly figures by characteristic"])
    elif scenario == "board_approve":
        act(cast.board, scenario, comment="The mitigation is proportionate.")
    else:
        act(cast.board, scenario, comment="The evidence does not yet support continuing: see the gaps noted.")
    return assessment


def _ok(result: q.PageResult, page_id: str) -> None:
    if not result.ok:
        raise AssertionError(f"sample answers for {page_id} were refused: {result.errors}")


# --- volume ------------------------------------------------------------------------------------------


@dataclass
class _Event:
    at: datetime
    actor: User
    action: str
    assessment_index: int
    details: dict[str, Any] = field(default_factory=dict)


def _pdf_pool(organisation: Organisation) -> list[ArchivedRecord]:
    return list(
        db.session.scalars(
            select(ArchivedRecord)
            .where(ArchivedRecord.organisation_id == organisation.id)
            .order_by(ArchivedRecord.id)
            .limit(8)
        )
    )


def bulk_generate(
    cast: Cast,
    count: int,
    rng: random.Random,
    *,
    progress: Callable[[int], None] = lambda n: None,
    span_days: int = 3 * 365,
) -> int:
    """Insert ``count`` assessments (with transitions, archive rows and audit events) in batches.

    Creation dates spread over the last ``span_days``; the newest few are still in progress, as in a
    real organisation, so queues hold dozens, not thousands. Returns the number inserted.
    """
    organisation = cast.organisation
    defs = current_definitions()
    pool = _pdf_pool(organisation)
    if not pool:
        raise ValueError("bulk generation reuses signed PDFs: run at least one signed-off sample assessment first")
    backend = storage()
    existing = (
        db.session.scalar(
            select(func.count())
            .select_from(Assessment)
            .where(Assessment.organisation_id == organisation.id, Assessment.version_number == 1)
        )
        or 0
    )
    characteristic_ids = defs.questionnaire.default_characteristic_ids(organisation.extra_characteristics or ())
    characteristics = _characteristics(characteristic_ids)
    objectives = [o.code for o in organisation.objectives]
    now = datetime.now(UTC)
    start = now - timedelta(days=span_days)
    created = sorted(start + timedelta(seconds=rng.uniform(0, span_days * 86400 - 30 * 86400)) for _ in range(count))
    in_progress = min(count // 10, 40 + count // 500)
    done = 0
    for offset in range(0, count, BATCH):
        with unit_of_work():
            _insert_batch(
                cast,
                rng,
                defs,
                pool,
                backend,
                characteristics,
                characteristic_ids,
                objectives,
                created[offset : offset + BATCH],
                first_number=existing + offset + 1,
                in_progress_from=count - in_progress - offset,
            )
        done += len(created[offset : offset + BATCH])
        progress(len(created[offset : offset + BATCH]))
    return done


def _final_scenario(rng: random.Random, profile: sample_data.Profile, active: bool) -> str:
    if active:
        return rng.choice(["draft", "draft", "submitted", "with_approver", "with_board", "returned"])
    if rng.random() < 0.03:
        return "withdrawn"
    if profile.name == "routine":
        return "return_then_approve" if rng.random() < 0.1 else "approve"
    return rng.choices(
        ["board_approve", "board_approve_with_conditions", "board_return_then_approve", "board_reject"],
        weights=[55, 25, 12, 8],
    )[0]


def _timed(steps, start: datetime, rng) -> list[tuple]:
    """Each step with the time it was taken: hours to days after the one before."""
    transitions, when = [], start
    for action, actor_role, comment, details, route in steps:
        when = when + timedelta(hours=rng.uniform(2, 24 * 6))
        transitions.append((action, actor_role, comment, details, route, when))
    return transitions


def _insert_batch(
    cast,
    rng,
    defs,
    pool,
    backend,
    characteristics,
    characteristic_ids,
    objectives,
    created: list[datetime],
    first_number: int,
    in_progress_from: int,
) -> None:
    workflow_def = defs.workflow
    organisation = cast.organisation
    rows, plans = [], []
    for index, at in enumerate(created):
        department_id = rng.choice(cast.department_ids)
        author = rng.choice(cast.authors[department_id])
        profile = sample_data.pick_profile(rng)
        active = index >= in_progress_from
        scenario = _final_scenario(rng, profile, active)
        if scenario.startswith("board") or scenario == "with_board":
            profile = profile if profile.name != "routine" else sample_data.PROFILES["adverse"]
        answers = sample_data.answers(
            rng,
            profile=profile,
            characteristics=characteristics,
            department_id=department_id,
            objective_codes=objectives,
            today=at.date(),
        )
        steps = _steps(scenario, workflow_def, answers, organisation, characteristic_ids)
        transitions = _timed(steps, at, rng)
        status = steps[-1][4][1] if steps else workflow_def.initial
        rows.append(
            {
                "organisation_id": organisation.id,
                "department_id": department_id,
                "author_id": author.id,
                "reference": f"EIA-{at.year}-{first_number + index:04d}",
                "version_number": 1,
                "title": answers["subject"]["title"],
                "subject_type": answers["subject"]["subject_type"],
                "status": status,
                "workflow_id": workflow_def.id,
                "workflow_version": workflow_def.version,
                "questionnaire_version": defs.questionnaire.version,
                "characteristic_ids": characteristic_ids,
                "answers": answers,
                "lock_version": 1 + len(answers) + len(steps),
                "created_at": at,
                "updated_at": transitions[-1][-1] if transitions else at + timedelta(hours=1),
                "submitted_at": next((t[-1] for t in transitions if t[0] == "submit"), None),
                "decided_at": transitions[-1][-1] if workflow_def.state(status).final else None,
            }
        )
        plans.append((author, department_id, answers, transitions, status))
    ids = db.session.scalars(insert(Assessment).returning(Assessment.id, sort_by_parameter_order=True), rows).all()

    transition_rows, events, archives = [], [], []
    for index, (assessment_id, (author, department_id, answers, transitions, status)) in enumerate(
        zip(ids, plans, strict=True)
    ):
        events.append(
            _Event(
                rows[index]["created_at"],
                author,
                "assessment.started",
                index,
                {"reference": rows[index]["reference"], "questionnaire_version": defs.questionnaire.version},
            )
        )
        saved_at = rows[index]["created_at"]
        for page_id in ("subject", "responsibility", "aims", "objectives", "outcome", "review"):
            saved_at += timedelta(minutes=rng.uniform(5, 600))
            events.append(
                _Event(
                    saved_at,
                    author,
                    "assessment.page_saved",
                    index,
                    {"page": page_id, "partial": False, "questions": sorted(answers[page_id])},
                )
            )
        for action, role, comment, details, (outcome_from, outcome_to, fired), when in transitions:
            actor = {"author": author, "approver": cast.approvers[department_id], "board": cast.board}[role]
            transition_rows.append(
                {
                    "assessment_id": assessment_id,
                    "action": action,
                    "from_state": outcome_from,
                    "to_state": outcome_to,
                    "actor_id": actor.id,
                    "actor_role": role,
                    "at": when,
                    "comment": comment,
                    "fired_rules": fired,
                    "details": details,
                }
            )
            events.append(
                _Event(
                    when,
                    actor,
                    f"assessment.{action}",
                    index,
                    {"from": outcome_from, "to": outcome_to, "rules_fired": fired, "comment": comment or "", **details},
                )
            )
        if status == "approved":
            decided_at, decider = transitions[-1][-1], events[-1].actor
            archives.append((index, assessment_id, pool[index % len(pool)], decided_at))
            events.append(_Event(decided_at, decider, "assessment.archived", index))
            if rng.random() < 0.2:  # an auditor or the author downloads the signed record later
                events.append(
                    _Event(
                        decided_at + timedelta(days=rng.uniform(1, 60)),
                        rng.choice([author, cast.board]),
                        "archive.downloaded",
                        index,
                    )
                )
    if transition_rows:
        db.session.execute(insert(Transition), transition_rows)

    events.sort(key=lambda e: e.at)
    if is_postgresql():
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_APPEND_LOCK})
    head = db.session.execute(
        select(AuditEvent.seq, AuditEvent.entry_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)
    first_seq = seq + 1
    archived_event_seq = {
        e.assessment_index: first_seq + n for n, e in enumerate(events) if e.action == "assessment.archived"
    }
    archive_rows = []
    for index, assessment_id, source, signed_at in archives:
        archive_rows.append(
            {
                "assessment_id": assessment_id,
                "organisation_id": organisation.id,
                "reference": rows[index]["reference"],
                "version_number": 1,
                "sha256": source.sha256,
                "size": source.size,
                "storage_backend": backend.name,
                "storage_key": source.storage_key,
                "signer_certificate_sha256": source.signer_certificate_sha256,
                "signed_at": signed_at,
                "snapshot": source.snapshot,
                "audit_seq": archived_event_seq[index],
                **({"content": source.content} if backend.name == "database" else {}),
            }
        )
    archive_ids, sources = {}, {index: source for index, _id, source, _at in archives}
    if archive_rows:
        returned = db.session.scalars(
            insert(ArchivedRecord).returning(ArchivedRecord.id, sort_by_parameter_order=True), archive_rows
        ).all()
        archive_ids = {row["assessment_id"]: archive_id for row, archive_id in zip(archive_rows, returned, strict=True)}
    event_rows = []
    for event in events:
        seq += 1
        assessment_id = ids[event.assessment_index]
        object_type, object_id = "assessment", str(assessment_id)
        if event.action == "assessment.archived":
            source = sources[event.assessment_index]
            event.details = {
                "archive_id": archive_ids[assessment_id],
                "sha256": source.sha256,
                "size": source.size,
                "signer_certificate_sha256": source.signer_certificate_sha256,
                "storage": backend.name,
            }
        elif event.action == "archive.downloaded":
            source = sources[event.assessment_index]
            object_type, object_id = "archive", str(archive_ids[assessment_id])
            event.details = {"assessment_id": assessment_id, "sha256": source.sha256}
        body = {
            "seq": seq,
            "at": event.at.isoformat(timespec="microseconds"),
            "actor": {"id": event.actor.id, "email": event.actor.email, "roles": sorted(event.actor.roles)},
            "action": event.action,
            "object": {"type": object_type, "id": object_id},
            "details": event.details,
        }
        canonical = canonical_bytes(body)
        entry_hash = chain_hash(prev_hash, canonical)
        event_rows.append(
            {"seq": seq, "canonical": canonical.decode("utf-8"), "prev_hash": prev_hash, "entry_hash": entry_hash}
        )
        prev_hash = entry_hash
    db.session.execute(insert(AuditEvent), event_rows)


def _steps(
    scenario: str, workflow_def, answers: dict, organisation: Organisation, characteristic_ids: list[str]
) -> list[tuple]:
    """The workflow actions for a scenario, each routed by the domain engine as the service would."""
    actions: list[tuple[str, str, str | None, dict]] = {
        "draft": [],
        "withdrawn": [("withdraw", "author", None, {})],
        "submitted": [("submit", "author", None, {})],
        "with_approver": [("submit", "author", None, {}), ("start_review", "approver", None, {})],
        "returned": [
            ("submit", "author", None, {}),
            ("start_review", "approver", None, {}),
            ("return", "approver", "Add the evidence you used for the screening decisions.", {}),
        ],
        "approve": [
            ("submit", "author", None, {}),
            ("start_review", "approver", None, {}),
            ("approve", "approver", None, {}),
        ],
    }.get(scenario, [])
    if scenario == "return_then_approve":
        actions = [
            ("submit", "author", None, {}),
            ("start_review", "approver", None, {}),
            ("return", "approver", "Say which staff networks you consulted.", {}),
            ("submit", "author", None, {}),
            ("start_review", "approver", None, {}),
            ("approve", "approver", "Thank you for the additions.", {}),
        ]
    elif scenario == "with_board" or scenario.startswith("board"):
        actions = [
            ("submit", "author", None, {}),
            ("start_review", "approver", None, {}),
            ("approve", "approver", "Content, but a rule sends this to the Board.", {}),
        ]
        if scenario == "board_return_then_approve":
            actions += [
                ("board_return", "board", "Set out the less discriminatory alternatives considered.", {}),
                ("submit", "author", None, {}),
                ("start_review", "approver", None, {}),
                ("approve", "approver", None, {}),
                ("board_approve", "board", None, {}),
            ]
        elif scenario == "board_approve_with_conditions":
            actions.append((scenario, "board", None, {"conditions": ["Publish quarterly figures by characteristic"]}))
        elif scenario == "board_reject":
            actions.append((scenario, "board", "The adverse impact is not justified.", {}))
        elif scenario == "board_approve":
            actions.append((scenario, "board", "The mitigation is proportionate.", {}))
    path = q.path(current_definitions().questionnaire, answers, characteristic_ids)
    resolver = q.AnswerResolver(
        path.answers,
        path.characteristic_ids,
        extra={
            "assessment": {
                "subject_type": answers["subject"]["subject_type"],
                "version_number": 1,
                "department_id": int(answers["subject"]["department"]),
            },
            "organisation": {"board_subject_types": list(organisation.board_subject_types or [])},
        },
    )
    state = workflow_def.initial
    steps = []
    for action, role, comment, details in actions:
        outcome = decide(workflow_def, state, action, [role], resolver)
        fired = [{"id": rule.id, "label": rule.label} for rule in outcome.fired_rules]
        steps.append((action, role, comment, details, (state, outcome.to_state, fired)))
        state = outcome.to_state
    return steps


# --- entry points -------------------------------------------------------------------------------------


def generate(
    organisation: Organisation, count: int, seed: int, password: str, progress: Callable[[int], None] = lambda n: None
) -> int:
    """`eia dev generate`: a few assessments through the real pipeline, the rest in bulk."""
    rng = random.Random(seed)
    cast = ensure_cast(organisation, password)
    sample = min(count, len(SCENARIOS))
    for scenario in SCENARIOS[:sample]:
        run_scenario(cast, rng, scenario)
        progress(1)
    made = sample + bulk_generate(cast, count - sample, rng, progress=progress)
    search.rebuild()  # bulk rows bypass the services that keep the search index in step
    return made


# The demo organisation's record: real sign-offs across departments, some via the Board, some returned.
DEMO_ORGANISATION = "example-constabulary"
DEMO_ASSESSMENTS = [
    ("Stop and search: grounds recording standard", "sop", "Operational Policing", "approve"),
    ("Custody detention: strip search procedure", "sop", "Operational Policing", "board_approve_with_conditions"),
    ("Body-worn video retention policy", "policy", "Operational Policing", "return_then_approve"),
    ("Live facial recognition pilot", "change_programme", "Operational Policing", "board_reject"),
    ("Taser deployment review", "decision", "Operational Policing", "board_approve"),
    ("Public order mutual aid procedure", "sop", "Operational Policing", "approve"),
    ("Front counter opening hours change", "service_change", "Operational Policing", "board_return"),
    ("Road policing speed enforcement guidance", "sop", "Operational Policing", "approve"),
    ("Drone deployment policy", "policy", "Operational Policing", "submitted"),
    ("Mental health street triage programme", "change_programme", "Operational Policing", "with_board"),
    ("Domestic abuse first response procedure", "sop", "Crime and Public Protection", "approve"),
    ("Rape investigation victim contact standard", "sop", "Crime and Public Protection", "board_approve"),
    ("Youth diversion scheme", "change_programme", "Crime and Public Protection", "return_then_approve"),
    ("Hate crime reporting online form", "service_change", "Crime and Public Protection", "approve"),
    ("County lines enforcement strategy", "policy", "Crime and Public Protection", "board_approve_with_conditions"),
    ("Missing persons risk assessment", "sop", "Crime and Public Protection", "approve"),
    ("Interpreter services contract", "procurement", "Crime and Public Protection", "approve"),
    ("Officer fitness test policy", "policy", "People and Organisational Development", "board_approve"),
    ("Flexible working policy refresh", "policy", "People and Organisational Development", "approve"),
    ("Promotion process for sergeants", "decision", "People and Organisational Development", "return_then_approve"),
    ("Workplace adjustments passport", "policy", "People and Organisational Development", "approve"),
    ("Uniform and kit supply contract", "procurement", "People and Organisational Development", "approve"),
    ("Mobile data terminals replacement", "procurement", "Digital, Data and Technology", "approve"),
    ("Control room call triage software", "change_programme", "Digital, Data and Technology", "board_approve"),
    ("Public website accessibility programme", "change_programme", "Digital, Data and Technology", "approve"),
    ("Records retention automation", "decision", "Digital, Data and Technology", "approve"),
]


# The kinds of proposal the demo force sends through the equality adviser's quality review first.
DEMO_QUALITY_REVIEWED_KINDS = ("sop", "service_change")
QUALITY_REVIEW_WORKFLOW = "eia-adviser-review"


def _route_through_quality_review(organisation: Organisation, kinds: tuple[str, ...]) -> None:
    """As the organisation's administrator would on the administration page (audited), unless it has
    already made its own choice or the folder has no such workflow."""
    from eia.models import UserRole
    from eia.services import admin

    folder = library()
    administrator = db.session.scalar(
        select(User)
        .join(UserRole)
        .where(User.organisation_id == organisation.id, UserRole.role == "admin", User.active.is_(True))
        .order_by(User.id)
    )
    if organisation.subject_type_routes or administrator is None or QUALITY_REVIEW_WORKFLOW not in folder.workflows:
        return
    routes = {
        kind.value: (kind.questionnaire_id, QUALITY_REVIEW_WORKFLOW if kind.value in kinds else kind.workflow_id)
        for kind in folder.subject_types
    }
    admin.update_subject_type_routes(administrator, routes)


def seed_demo_assessments(password: str, seed: int = 2010) -> int:
    """The demo record for `make run`; each is made once (matched by title), so re-running adds nothing."""
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == DEMO_ORGANISATION))
    existing = set(db.session.scalars(select(Assessment.title).where(Assessment.organisation_id == organisation.id)))
    missing = [spec for spec in DEMO_ASSESSMENTS if spec[0] not in existing]
    if not missing:
        return 0
    cast = ensure_cast(organisation, password)
    _route_through_quality_review(organisation, DEMO_QUALITY_REVIEWED_KINDS)
    departments = {d.name: d.id for d in organisation.departments}
    rng = random.Random(seed)
    for title_text, subject_type, department, scenario in missing:
        run_scenario(
            cast, rng, scenario, department_id=departments[department], title_and_type=(title_text, subject_type)
        )
    publish_demo_assessments(organisation, cast.board)
    return len(missing)


# The demo force's policy register: (title, kind, department, owner, document version, review in days from
# today, the demo assessment of it, the document version that assessment was for). Some are covered by a
# current assessment, some by one for an older version, some have one in progress, some none, and a few
# are overdue for review.
DEMO_REGISTER = [
    (
        "Stop and search: grounds recording standard",
        "sop",
        "Operational Policing",
        "Chief Inspector Operations",
        "3.0",
        300,
        "Stop and search: grounds recording standard",
        "3.0",
    ),
    (
        "Body-worn video retention policy",
        "policy",
        "Operational Policing",
        "Head of Information Management",
        "2.1",
        200,
        "Body-worn video retention policy",
        "2.0",
    ),
    (
        "Drone deployment policy",
        "policy",
        "Operational Policing",
        "Superintendent Air Support",
        "1.0",
        365,
        "Drone deployment policy",
        "1.0",
    ),
    (
        "Mental health street triage programme",
        "change_programme",
        "Operational Policing",
        "Chief Inspector Partnerships",
        "1.2",
        180,
        "Mental health street triage programme",
        "1.2",
    ),
    (
        "Vehicle pursuits procedure",
        "sop",
        "Operational Policing",
        "Chief Inspector Roads Policing",
        "4.3",
        -45,
        None,
        None,
    ),
    (
        "Domestic abuse first response procedure",
        "sop",
        "Crime and Public Protection",
        "Detective Superintendent Safeguarding",
        "2.0",
        240,
        "Domestic abuse first response procedure",
        "2.0",
    ),
    (
        "Missing persons risk assessment",
        "sop",
        "Crime and Public Protection",
        "Detective Chief Inspector Public Protection",
        "5.1",
        -10,
        "Missing persons risk assessment",
        "5.1",
    ),
    ("Victim contact procedure", "sop", "Crime and Public Protection", "Victims Lead", "1.4", 90, None, None),
    (
        "Flexible working policy refresh",
        "policy",
        "People and Organisational Development",
        "Head of HR",
        "3.2",
        400,
        "Flexible working policy refresh",
        "3.2",
    ),
    (
        "Recruitment and selection policy",
        "policy",
        "People and Organisational Development",
        "Head of Recruitment",
        "6.0",
        -120,
        None,
        None,
    ),
    (
        "Control room call triage software",
        "change_programme",
        "Digital, Data and Technology",
        "Head of Contact",
        "1.0",
        330,
        "Control room call triage software",
        "1.0",
    ),
    (
        "Public website accessibility programme",
        "change_programme",
        "Digital, Data and Technology",
        "Head of Digital",
        "2.0",
        150,
        "Public website accessibility programme",
        "1.0",
    ),
]


def seed_demo_register() -> int:
    """The demo force's policy register, linked to demo assessments; each entry is made once (by title)."""
    from eia.models import PolicyRegisterEntry, UserRole
    from eia.services import policy_register

    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == DEMO_ORGANISATION))
    administrator = db.session.scalar(
        select(User)
        .join(UserRole)
        .where(User.organisation_id == organisation.id, UserRole.role == "admin", User.active.is_(True))
        .order_by(User.id)
    )
    if administrator is None:
        return 0
    existing = set(
        db.session.scalars(
            select(PolicyRegisterEntry.title).where(PolicyRegisterEntry.organisation_id == organisation.id)
        )
    )
    departments = {d.name: d.id for d in organisation.departments}
    today = uk_today()
    created = 0
    for title, kind, department, owner, version, review_in, assessed_by, assessed_version in DEMO_REGISTER:
        if title in existing:
            continue
        assessment = (
            db.session.scalar(
                select(Assessment)
                .where(Assessment.organisation_id == organisation.id, Assessment.title == assessed_by)
                .order_by(Assessment.version_number.desc())
                .limit(1)
            )
            if assessed_by
            else None
        )
        values = {
            "title": title,
            "kind": kind,
            "department": str(departments.get(department, "")),
            "owner": owner,
            "document_version": assessed_version if assessment is not None else version,
            "review_date": (today + timedelta(days=review_in)).isoformat(),
            "document_url": f"https://intranet.example.org/policies/{_slug(title)}",
        }
        entry = policy_register.add(administrator, values)
        created += 1
        if assessment is None:
            continue
        policy_register.link(administrator, entry, assessment)
        if assessed_version != version:  # the document has moved on since it was assessed
            policy_register.edit(administrator, entry.id, {**values, "document_version": version})
    return created


DEMO_PUBLISHED = 3  # how many of the demo's signed-off assessments the seed publishes


def publish_demo_assessments(organisation: Organisation, publisher: User, count: int = DEMO_PUBLISHED) -> int:
    """Publish the first few signed-off assessments of the demo that can be, if none is published yet: the
    first with its policy owner's name withheld (the answer equal to the record's owner), as a
    publisher would choose it."""
    from eia.domain.publication import answers as publishable_answers
    from eia.models import Publication
    from eia.services import publication

    if db.session.scalar(
        select(func.count()).select_from(Publication).where(Publication.organisation_id == organisation.id)
    ):
        return 0
    published = 0
    candidates = db.session.scalars(
        select(Assessment)
        .join(ArchivedRecord, ArchivedRecord.assessment_id == Assessment.id)
        .where(Assessment.organisation_id == organisation.id)
        .order_by(Assessment.id)
    )
    for assessment in candidates:
        if published >= count:
            break
        state = publication.publishing(publisher, assessment)
        if not state.may_publish or state.publication is not None:
            continue
        if published == 0 and state.rules.withholding_reasons:
            snapshot = publication.original_snapshot(assessment)
            owner = {
                a.target: state.rules.withholding_reasons[0]
                for a in publishable_answers(snapshot)
                if snapshot.owner and a.value == snapshot.owner
            }
            if owner:
                publication.choose_withheld(assessment, publisher, owner)
        publication.publish(assessment, publisher)
        published += 1
    return published
