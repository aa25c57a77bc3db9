"""Each person's home: what needs their action first, then what is in progress and what was decided,
and the paginated, filterable list of every assessment they can see.

What a person's work is comes from two places only: the capability table (eia.domain.capabilities: who
writes, reviews, decides) and each assessment's pinned workflow (which states are a role's queue, which
end its life, which are signed off). No state id is named here, and no role: a queue belongs to the
roles that carry the capability whose work it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import joinedload, load_only

from eia.domain.capabilities import (
    DECIDE_REFERRALS,
    REVIEW_DEPARTMENT_SUBMISSIONS,
    REVIEW_QUALITY,
    VIEW_ORGANISATION_ASSESSMENTS,
    WRITE_ASSESSMENTS,
    roles_with,
)
from eia.extensions import db
from eia.models import Assessment, Department, TrackedAction, User
from eia.models.assessment import LIST_COLUMNS
from eia.services import access
from eia.services.definitions import in_queue_of, state_condition
from eia.services.lifecycle import DEFAULT_WINDOW_DAYS

PER_PAGE = 20  # rows on one page of the assessments list
PREVIEW = 5  # rows of "In progress" and "Recently decided" on the home page, each with a link to all of them


# --- stages: groups of workflow states, by what the states mean, not their ids ------------------------


@dataclass(frozen=True)
class Stage:
    value: str  # the filter's value in the address
    label: str
    matches: Any  # State -> bool


STAGES = (
    Stage("with_author", "With the author", lambda s: s.author_can_edit and not s.final),
    Stage("waiting", "Waiting for a decision", lambda s: s.queue is not None and not s.author_can_edit and not s.final),
    Stage("signed_off", "Signed off", lambda s: s.signed_off),
    Stage("closed", "Rejected or withdrawn", lambda s: s.final and not s.signed_off),
)
IN_PROGRESS = Stage("in_progress", "In progress", lambda s: not s.final)
DECIDED = Stage("decided", "Decided", lambda s: s.final)
STAGE_FILTERS = {s.value: s for s in (IN_PROGRESS, *STAGES, DECIDED)}


def _in_stage(predicate) -> Any:
    return state_condition(Assessment.definitions_sha256, Assessment.status, predicate)


def _in_queue_of_roles_with(capability: str) -> Any:
    """SQL: the assessment is in the work queue of a role that carries ``capability``."""
    return or_(false(), *(in_queue_of(role) for role in sorted(roles_with(capability))))


def _listed(query: Select) -> Select:
    return query.options(load_only(*LIST_COLUMNS), joinedload(Assessment.department), joinedload(Assessment.author))


# --- what needs the person's action ----------------------------------------------------------------


def returned_to_me(user: User) -> Select:
    """Their own assessments waiting on them (returned with reasons), oldest first."""
    if not user.can(WRITE_ASSESSMENTS):
        return select(Assessment).where(false())
    return (
        access.visible_assessments(user, through=WRITE_ASSESSMENTS)
        .where(Assessment.author_id == user.id, _in_queue_of_roles_with(WRITE_ASSESSMENTS))
        .order_by(Assessment.updated_at)
    )


def waiting_for_my_review(user: User) -> Select:
    """Their department's submissions in the reviewers' queue, in the order they were submitted."""
    if not user.can(REVIEW_DEPARTMENT_SUBMISSIONS):
        return select(Assessment).where(false())
    return (
        access.visible_assessments(user, through=REVIEW_DEPARTMENT_SUBMISSIONS)
        .where(_in_queue_of_roles_with(REVIEW_DEPARTMENT_SUBMISSIONS))
        .order_by(Assessment.submitted_at, Assessment.id)
    )


def waiting_for_my_quality_review(user: User) -> Select:
    """Submissions the workflow sent for an equality adviser's quality review, in the order they were submitted."""
    if not user.can(REVIEW_QUALITY):
        return select(Assessment).where(false())
    return (
        access.visible_assessments(user, through=REVIEW_QUALITY)
        .where(_in_queue_of_roles_with(REVIEW_QUALITY))
        .order_by(Assessment.submitted_at, Assessment.id)
    )


def waiting_for_the_board(user: User) -> Select:
    """Assessments referred to the Board, for a Board member (as the Board queue lists them)."""
    if not user.can(DECIDE_REFERRALS):
        return select(Assessment).where(false())
    return (
        access.visible_assessments(user, through=DECIDE_REFERRALS)
        .where(_in_queue_of_roles_with(DECIDE_REFERRALS))
        .order_by(Assessment.updated_at, Assessment.id)
    )


def actions_due(user: User, today: date, window_days: int = DEFAULT_WINDOW_DAYS) -> Select:
    """Open actions they own that are overdue or due within the window, soonest first."""
    return (
        select(TrackedAction)
        .where(
            TrackedAction.organisation_id == user.organisation_id,
            TrackedAction.owner_id == user.id,
            TrackedAction.status != "done",
            TrackedAction.due_date.is_not(None),
            TrackedAction.due_date <= today + timedelta(days=window_days),
        )
        .order_by(TrackedAction.due_date, TrackedAction.id)
    )


def _count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


@dataclass
class ActionGroup:
    key: str  # also the heading's id on the page
    title: str
    total: int
    items: list  # assessments, or tracked actions for "actions"
    see_all: tuple[str, dict] | None = None  # (endpoint, arguments) of the page listing all, when the home shows fewer


@dataclass
class Home:
    needs_action: list[ActionGroup]
    in_progress: list[Assessment]
    in_progress_total: int
    recently_decided: list[Assessment]
    recently_decided_total: int

    @property
    def needs_action_total(self) -> int:
        return sum(group.total for group in self.needs_action)


NEEDS_ACTION_SHOWN = 10  # rows per group on the home page; "See all" lists the rest on its own page


def needs_action_count(user: User, today: date) -> int:
    """How many things wait on this person: the count beside "Home" in the navigation."""
    return sum(
        _count(query)
        for query in (
            returned_to_me(user),
            waiting_for_my_review(user),
            waiting_for_my_quality_review(user),
            waiting_for_the_board(user),
            actions_due(user, today),
        )
    )


def home_for(user: User, today: date) -> Home:
    groups = []
    for key, title, query, see_all in (
        (
            "returned-to-you",
            "Returned to you",
            returned_to_me(user),
            ("main.assessments_list", {"stage": "with_author", "mine": "yes"}),
        ),
        ("review", "Waiting for your review", waiting_for_my_review(user), ("queues.review_queue", {})),
        (
            "quality-review",
            "Waiting for your quality review",
            waiting_for_my_quality_review(user),
            ("queues.quality_review_queue", {}),
        ),
        ("board", "Waiting for the Board", waiting_for_the_board(user), ("queues.board_queue", {})),
    ):
        total = _count(query)
        if total:
            items = list(db.session.scalars(_listed(query).limit(NEEDS_ACTION_SHOWN)))
            groups.append(ActionGroup(key, title, total, items, see_all if total > len(items) else None))
    due = actions_due(user, today)
    due_total = _count(due)
    if due_total:
        items = list(db.session.scalars(due.options(joinedload(TrackedAction.assessment)).limit(NEEDS_ACTION_SHOWN)))
        groups.append(
            ActionGroup(
                "actions",
                "Actions due",
                due_total,
                items,
                ("lifecycle.actions", {}) if due_total > len(items) else None,
            )
        )
    mine = _own_or_visible(user)
    in_progress = mine.where(_in_stage(IN_PROGRESS.matches)).order_by(
        Assessment.updated_at.desc(), Assessment.id.desc()
    )
    decided = mine.where(_in_stage(DECIDED.matches)).order_by(Assessment.updated_at.desc(), Assessment.id.desc())
    return Home(
        needs_action=groups,
        in_progress=list(db.session.scalars(_listed(in_progress).limit(PREVIEW))),
        in_progress_total=_count(in_progress),
        recently_decided=list(db.session.scalars(_listed(decided).limit(PREVIEW))),
        recently_decided_total=_count(decided),
    )


def _own_or_visible(user: User) -> Select:
    """The home's "In progress" and "Recently decided": an author's own assessments; anyone else's, all
    they can see."""
    if user.can(WRITE_ASSESSMENTS):
        return access.visible_assessments(user).where(Assessment.author_id == user.id)
    return access.visible_assessments(user)


# --- the list of every assessment a person can see: filtered and paginated --------------------------


@dataclass
class ListFilters:
    text: str = ""
    stage: str = ""  # a STAGE_FILTERS value, or "" for every stage
    department_id: int | None = None
    mine: bool = False
    page: int = 1
    problems: dict[str, str] = field(default_factory=dict)  # field -> what is wrong, in plain English

    @classmethod
    def from_args(cls, args) -> ListFilters:
        """Filters from the address; anything unrecognised is ignored with a message, never a 500."""
        found = cls(text=(args.get("q") or "").strip()[:200], mine=args.get("mine") == "yes")
        stage = args.get("stage") or ""
        if stage in STAGE_FILTERS:
            found.stage = stage
        elif stage:
            found.problems["stage"] = "Choose a status from the list"
        department = args.get("department") or ""
        if department.isdigit() and len(department) < 10:
            found.department_id = int(department)
        elif department:
            found.problems["department"] = "Choose a department from the list"
        page = args.get("page") or "1"
        found.page = int(page) if page.isdigit() and 0 < len(page) < 7 and int(page) > 0 else 1
        return found

    def args(self, **changes) -> dict[str, str]:
        """This search's address arguments (with ``changes``), for links to other pages of it."""
        values = {
            "q": self.text,
            "stage": self.stage,
            "department": str(self.department_id or ""),
            "mine": "yes" if self.mine else "",
            "page": str(self.page),
        }
        values.update({key: str(value) for key, value in changes.items()})
        return {key: value for key, value in values.items() if value and not (key == "page" and value == "1")}


@dataclass
class ResultPage:
    items: list[Assessment]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_shown(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def assessment_list(user: User, filters: ListFilters, per_page: int = PER_PAGE) -> ResultPage:
    """Every assessment ``user`` can see that matches ``filters``, most recently updated first, one page
    of it. Authors and approvers see their department's (signed-off ones included, read-only)."""
    query = access.visible_assessments(user)
    if filters.text:
        pattern = _like_pattern(filters.text.lower())
        query = query.where(
            or_(
                func.lower(Assessment.title).like(pattern, escape="\\"),
                func.lower(Assessment.reference).like(pattern, escape="\\"),
            )
        )
    if filters.stage:
        query = query.where(_in_stage(STAGE_FILTERS[filters.stage].matches))
    if filters.department_id is not None:
        query = query.where(Assessment.department_id == filters.department_id)
    if filters.mine:
        query = query.where(Assessment.author_id == user.id)
    total = _count(query)
    pages = max(1, math.ceil(total / per_page))
    page = min(filters.page, pages)
    ordered = query.order_by(Assessment.updated_at.desc(), Assessment.id.desc())
    items = list(db.session.scalars(_listed(ordered).offset((page - 1) * per_page).limit(per_page)))
    return ResultPage(items, total, page, per_page)


def department_choices(user: User) -> list[Department]:
    """The departments a person may filter by: every one of the organisation's if they see it all, else
    none (they see their own department's and their own assessments)."""
    if not user.can(VIEW_ORGANISATION_ASSESSMENTS):
        return []
    return list(
        db.session.scalars(
            select(Department).where(Department.organisation_id == user.organisation_id).order_by(Department.name)
        )
    )


def stage_choices() -> list[tuple[str, str]]:
    return [(s.value, s.label) for s in (IN_PROGRESS, *STAGES, DECIDED)]
