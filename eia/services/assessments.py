"""The policy author's use cases: start an assessment, save pages, manage the action plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from eia.clock import uk_today
from eia.domain import questionnaire as q
from eia.domain.bindings import Bindings
from eia.domain.capabilities import WRITE_ASSESSMENTS
from eia.extensions import db
from eia.models import Assessment, Transition, User
from eia.services import access, audit, search
from eia.services.database import Conflict, NotAllowed, unit_of_work
from eia.services.definitions import SubjectType, definitions_of, library, pin_definitions

UNTITLED = "Untitled assessment"


class PageNotAvailable(Exception):
    """The page does not exist, or is hidden given the answers (e.g. a screened-out characteristic)."""


def current_path(assessment: Assessment) -> q.Path:
    return q.path(definitions_of(assessment).questionnaire, assessment.answers or {}, assessment.characteristic_ids)


def answer_options(assessment: Assessment, path: q.Path | None = None) -> dict[str, list[q.Choice]]:
    """Choices that come from the organisation or from other answers."""
    path = path or current_path(assessment)
    organisation = assessment.organisation
    pinned = definitions_of(assessment)
    relevant = pinned.questionnaire.relevant_characteristics(path)
    kinds = library()
    return {
        # Only the kinds that follow this assessment's questionnaire and workflow: its questions were chosen by its kind.
        "subject_types": [
            q.Choice(t.value, t.label)
            for t in kinds.subject_types
            if kinds.route_for(t, organisation.subject_type_routes) == (pinned.questionnaire.id, pinned.workflow.id)
            or t.value == assessment.subject_type
        ],
        "departments": [q.Choice(str(d.id), d.name) for d in organisation.departments],
        "objectives": [q.Choice(o.code, f"{o.code}: {o.title}") for o in organisation.objectives],
        "relevant_characteristics": [q.Choice(c.id, c.name) for c in relevant]
        + [q.Choice("all", "All characteristics")],
    }


def suggestions(assessment: Assessment) -> dict[str, list[q.Choice]]:
    """What text questions with suggestions_from offer as the author types (any text is still allowed:
    an action's owner may have no account). Read only by the pages that ask such a question."""
    people = db.session.scalars(
        select(User)
        .where(User.organisation_id == assessment.organisation_id, User.active.is_(True))
        .order_by(User.name)
    )
    return {"people": [q.Choice(user.name, user.email) for user in people]}


def _check_editable(assessment: Assessment, user: User, expected_version: int | None) -> None:
    """access.can_edit_answers, saying which part failed."""
    if not access.is_its_author(user, assessment):
        raise NotAllowed("Only the author can change this assessment")
    if not access.in_editable_state(assessment):
        raise NotAllowed("This assessment cannot be changed in its current state")
    if expected_version is not None and expected_version != assessment.lock_version:
        raise Conflict()


class UnknownSubjectType(ValueError):
    """The kind of proposal chosen is not one the definitions offer."""


def start(author: User, subject_type: str | None = None) -> Assessment:
    """A new draft. Its kind of proposal (subject type) chooses the questionnaire and workflow it pins;
    without one it follows the first kind's."""
    if not author.can(WRITE_ASSESSMENTS):
        raise NotAllowed("Only policy authors start assessments")
    kinds = library()
    kind = kinds.subject_type(subject_type) if subject_type is not None else None
    if subject_type is not None and kind is None:
        raise UnknownSubjectType(subject_type)
    defs = (
        kinds.definitions_for(*kinds.route_for(kind, author.organisation.subject_type_routes))
        if kind
        else kinds.default
    )
    year = uk_today().year
    for _attempt in range(3):  # two authors starting at once may pick the same number: retry
        try:
            with unit_of_work():
                pin_definitions(defs)
                count = db.session.scalar(
                    select(func.count())
                    .select_from(Assessment)
                    .where(Assessment.organisation_id == author.organisation_id, Assessment.version_number == 1)
                )
                assessment = Assessment(
                    organisation_id=author.organisation_id,
                    department_id=author.department_id,
                    author=author,
                    reference=f"EIA-{year}-{count + 1:04d}",
                    title=UNTITLED,
                    subject_type=kind.value if kind else None,
                    status=defs.workflow.initial,
                    workflow_id=defs.workflow.id,
                    workflow_version=defs.workflow.version,
                    questionnaire_version=defs.questionnaire.version,
                    definitions_sha256=defs.sha256,
                    characteristic_ids=defs.questionnaire.default_characteristic_ids(
                        author.organisation.extra_characteristics or ()
                    ),
                    answers=_initial_answers(author, kind, defs.questionnaire.bindings),
                )
                db.session.add(assessment)
                db.session.flush()
                search.index_assessment(assessment)
                audit.record(
                    "assessment.started",
                    actor=author,
                    object_type="assessment",
                    object_id=assessment.id,
                    details={
                        "reference": assessment.reference,
                        "questionnaire_version": assessment.questionnaire_version,
                        "definitions_sha256": defs.sha256,
                    },
                )
            return assessment
        except IntegrityError:
            continue
    raise Conflict()


def _initial_answers(author: User, kind: SubjectType | None, bindings: Bindings) -> dict[str, Any]:
    """What is already known: the author's department, and the kind of proposal they chose."""
    answers: dict[str, dict[str, Any]] = {}
    if author.department_id is not None:
        answers.setdefault(bindings.department.page_for(), {})[bindings.department.question.id] = str(
            author.department_id
        )
    if kind is not None:
        answers.setdefault(bindings.subject_type.page_for(), {})[bindings.subject_type.question.id] = kind.value
    return answers


def page_for(assessment: Assessment, page_id: str) -> tuple[q.Path, q.Page]:
    path = current_path(assessment)
    page = path.page(page_id)
    if page is None:
        raise PageNotAvailable(page_id)
    return path, page


def save_page(
    assessment: Assessment,
    author: User,
    page_id: str,
    submitted: Mapping[str, Any],
    expected_version: int | None,
    *,
    partial: bool = False,
) -> q.PageResult:
    """Validate and store one form page. With errors, nothing is stored and the result says why."""
    _check_editable(assessment, author, expected_version)
    path, page = page_for(assessment, page_id)
    if page.is_list:
        raise PageNotAvailable(page_id)
    result = q.validate_page(path, page, submitted, answer_options(assessment, path), uk_today(), partial=partial)
    if not result.ok:
        return result
    with unit_of_work():
        _store(assessment, {page.id: q.answers_to_store(path, page, stored_answers(assessment, page), result)})
        audit.record(
            "assessment.page_saved",
            actor=author,
            object_type="assessment",
            object_id=assessment.id,
            details={"page": page.id, "partial": partial, "questions": sorted(result.values)},
        )
    return result


def save_pages(
    assessment: Assessment,
    author: User,
    submitted: Mapping[str, Mapping[str, Any]],
    expected_version: int | None,
    *,
    partial: bool = False,
) -> dict[str, q.PageResult]:
    """Validate and store several form pages answered on one screen (a task shown for every
    characteristic at once), all or nothing: with an error on any page, nothing is stored.
    Each page saved is recorded as if saved on its own."""
    _check_editable(assessment, author, expected_version)
    path = current_path(assessment)
    options = answer_options(assessment, path)
    today = uk_today()
    pages, results = {}, {}
    for page_id, values in submitted.items():
        page = path.page(page_id)
        if page is None or page.is_list:
            raise PageNotAvailable(page_id)
        pages[page_id] = page
        results[page_id] = q.validate_page(path, page, values, options, today, partial=partial)
    if not all(result.ok for result in results.values()):
        return results
    with unit_of_work():
        _store(
            assessment,
            {
                page.id: q.answers_to_store(path, page, stored_answers(assessment, page), results[page.id])
                for page in pages.values()
            },
        )
        for page in pages.values():
            audit.record(
                "assessment.page_saved",
                actor=author,
                object_type="assessment",
                object_id=assessment.id,
                details={"page": page.id, "partial": partial, "questions": sorted(results[page.id].values)},
            )
    return results


def stored_answers(assessment: Assessment, page: q.Page) -> dict[str, Any]:
    """A form page's answers as saved, including those hidden at the moment: what its form shows."""
    stored = (assessment.answers or {}).get(page.id)
    return dict(stored) if isinstance(stored, dict) and not page.is_list else {}


def _store(assessment: Assessment, changes: Mapping[str, Any]) -> None:
    # Assign a new dict: JSON columns only notice reassignment, not in-place mutation.
    answers = {**(assessment.answers or {}), **changes}
    assessment.answers = answers
    bindings = definitions_of(assessment).questionnaire.bindings
    assessment.title = bindings.title.value(answers) or UNTITLED
    assessment.subject_type = bindings.subject_type.value(answers)
    department = bindings.department.value(answers)
    if department and department.isdigit():
        assessment.department_id = int(department)
    db.session.flush()  # the version check (lock_version) happens here
    search.index_assessment(assessment)


def add_list_item(
    assessment: Assessment, author: User, page_id: str, submitted: Mapping[str, Any], expected_version: int | None
) -> q.PageResult:
    _check_editable(assessment, author, expected_version)
    path, page = page_for(assessment, page_id)
    if not page.is_list:
        raise PageNotAvailable(page_id)
    items = q.list_items(path, page)
    result = q.validate_page(path, page, submitted, answer_options(assessment, path), uk_today())
    if result.ok and len(items) >= page.definition.max_items:
        result.errors["_items"] = f"You can add up to {page.definition.max_items} {page.definition.item_name}s"
    if not result.ok:
        return result
    with unit_of_work():
        _store(assessment, {page.id: {"items": [*items, result.values], "done": False}})
        audit.record(
            "assessment.list_item_added",
            actor=author,
            object_type="assessment",
            object_id=assessment.id,
            details={"page": page.id, "position": len(items) + 1},
        )
    return result


def remove_list_item(
    assessment: Assessment, author: User, page_id: str, position: int, expected_version: int | None
) -> None:
    """Remove the item at ``position`` (1-based, as the page shows it)."""
    _check_editable(assessment, author, expected_version)
    path, page = page_for(assessment, page_id)
    items = q.list_items(path, page) if page.is_list else []
    if not 1 <= position <= len(items):
        raise PageNotAvailable(page_id)
    with unit_of_work():
        remaining = items[: position - 1] + items[position:]
        _store(assessment, {page.id: {"items": remaining, "done": False}})
        audit.record(
            "assessment.list_item_removed",
            actor=author,
            object_type="assessment",
            object_id=assessment.id,
            details={"page": page.id, "position": position},
        )


def finish_list(assessment: Assessment, author: User, page_id: str, expected_version: int | None) -> str | None:
    """Mark a list page complete. Returns why it cannot be, or None."""
    _check_editable(assessment, author, expected_version)
    path, page = page_for(assessment, page_id)
    if not page.is_list:
        raise PageNotAvailable(page_id)
    problem = q.list_problem(path, page)
    if problem:
        return problem
    with unit_of_work():
        _store(assessment, {page.id: {"items": q.list_items(path, page), "done": True}})
        audit.record(
            "assessment.page_saved",
            actor=author,
            object_type="assessment",
            object_id=assessment.id,
            details={"page": page.id, "partial": False},
        )
    return None


def get_visible(user: User, assessment_id: int) -> Assessment:
    """The assessment, if this user may see it; NotAllowed otherwise (shown as 404, revealing nothing)."""
    # With what every page of an assessment shows (its author, department and decision trail) in two
    # queries, rather than one per relationship and one per person in the trail.
    assessment = db.session.get(
        Assessment,
        assessment_id,
        options=[
            joinedload(Assessment.author),
            joinedload(Assessment.department),
            selectinload(Assessment.transitions).joinedload(Transition.actor),
        ],
    )
    if assessment is None or not access.can_view(user, assessment):
        raise NotAllowed("No such assessment")
    return assessment


def answer_summary(assessment: Assessment, path: q.Path | None = None, options=None) -> list[dict[str, Any]]:
    """Every visible page's answers, grouped by section and task: for check answers, the read-only
    view and the archived record."""
    path = path or current_path(assessment)
    options = options if options is not None else answer_options(assessment, path)
    sections: list[dict[str, Any]] = []
    for task in path.tasks:
        if not sections or sections[-1]["section"].id != task.section.id:
            sections.append({"section": task.section, "tasks": []})
        pages = []
        for page in task.pages:
            if page.is_list:
                items = [
                    [
                        q.AnswerRow(question, question.label, q.display_value(question, item.get(question.id), options))
                        for question in page.definition.questions
                    ]
                    for item in q.list_items(path, page)
                ]
                pages.append({"page": page, "rows": [], "items": items})
            else:
                pages.append({"page": page, "rows": q.answer_rows(path, page, options), "items": None})
        sections[-1]["tasks"].append({"task": task, "pages": pages})
    return sections
