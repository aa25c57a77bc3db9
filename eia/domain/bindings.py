"""The questionnaire's bindings: the questions the application itself reads, by name.

The engine shows any questionnaire, but a few answers mean something to the application: the title
and kind of proposal, the senior responsible officer, the decision and review dates, the relevance
and impact of each characteristic, the outcome, the action plan. A questionnaire names them in its
``bindings`` object (binding name -> identifier in the rule language's form), and code reads them
only through the typed objects built here, never by a page or question id. ``SPECS`` is the
vocabulary: each name, the shape the bound question must have, and what reads it; the definitions
checker (eia.domain.definitions) holds every questionnaire to it. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eia.domain.questionnaire import Characteristic, PageDef, Question, SectionDef, TaskDef

TEXT = ("text", "textarea")
CHOICE = ("radios", "select")

# The binding kinds: a question (identifier "page.question", or "page:*.question" for a
# per-characteristic page), a question per aim (an object: aim id -> such an identifier), a task
# ("task"), a list page ("page") and a question of the bound list page's items ("page.question").
QUESTION, PER_AIM, TASK, LIST_PAGE, ITEM = "question", "per aim", "task", "list page", "item"


@dataclass(frozen=True)
class BindingSpec:
    kind: str
    purpose: str
    per_characteristic: bool = False
    types: tuple[str, ...] = ()
    choices_from: str | None = None
    fixed_choices: bool = False  # the choices must be listed in the file (code shows their labels)
    values: tuple[str, ...] = ()  # choice values code compares answers with
    stored_in: int | None = None  # the length of the database column that keeps a copy of the answer


SPECS: dict[str, BindingSpec] = {
    "title": BindingSpec(QUESTION, "the assessment's title", types=("text",), stored_in=200),
    # Its choices are the kinds in subject-types.json (choices_from); questionnaires pinned before that
    # listed them in the file. Either way its labels are read from subject-types.json.
    "subject_type": BindingSpec(QUESTION, "the kind of proposal", types=CHOICE),
    "department": BindingSpec(QUESTION, "the assessment's department", types=CHOICE, choices_from="departments"),
    "owner": BindingSpec(QUESTION, "the policy owner in the signed record", types=TEXT),
    "senior_responsible_officer": BindingSpec(QUESTION, "the accountable decision-maker (legal check L1)", types=TEXT),
    "decision_date": BindingSpec(QUESTION, "the date of the decision (legal checks L2, L5Y, L8D)", types=("date",)),
    "objectives": BindingSpec(
        QUESTION,
        "the equality objectives (legal check L13, the report)",
        types=("checkboxes",),
        choices_from="objectives",
    ),
    "analysis": BindingSpec(
        TASK, "the per-characteristic analysis: which characteristics are screened in", per_characteristic=True
    ),
    "relevance": BindingSpec(
        QUESTION,
        "each characteristic's relevance (legal check L12, the report)",
        per_characteristic=True,
        types=CHOICE,
        fixed_choices=True,
        values=("high", "medium"),
    ),
    "relevance_reason": BindingSpec(
        QUESTION, "the reason for each relevance (legal checks L14, L3)", per_characteristic=True, types=TEXT
    ),
    "has_evidence": BindingSpec(
        QUESTION,
        "whether there is evidence (legal checks L8, L8P)",
        per_characteristic=True,
        types=CHOICE,
        fixed_choices=True,
        values=("no",),
    ),
    "evidence_gaps": BindingSpec(
        QUESTION, "the gaps in the evidence (legal checks L8, L8P)", per_characteristic=True, types=TEXT
    ),
    "engaged": BindingSpec(
        QUESTION,
        "whether people affected were engaged (legal check L12)",
        per_characteristic=True,
        types=CHOICE,
        fixed_choices=True,
        values=("no",),
    ),
    "impact_direction": BindingSpec(
        PER_AIM,
        "the likely impact on each aim (legal check L7, the PDF, the archive)",
        per_characteristic=True,
        types=CHOICE,
        fixed_choices=True,
        values=("negative",),
    ),
    "impact_level": BindingSpec(
        PER_AIM,
        "how severe a negative impact is (legal checks L3C, L9, the PDF)",
        per_characteristic=True,
        types=CHOICE,
        fixed_choices=True,
        values=("medium", "high"),
    ),
    "mitigation": BindingSpec(
        QUESTION, "how a negative impact is reduced (legal check L9)", per_characteristic=True, types=TEXT
    ),
    "residual_level": BindingSpec(
        QUESTION,
        "the impact left after mitigation (legal checks L9, L11, the PDF)",
        per_characteristic=True,
        types=CHOICE,
        fixed_choices=True,
        values=("low", "medium", "high"),
    ),
    "residual_justification": BindingSpec(
        QUESTION, "why the remaining impact is justified (legal check L11)", per_characteristic=True, types=TEXT
    ),
    "outcome": BindingSpec(
        QUESTION,
        "the outcome (legal check L11, the PDF, the archive, the report)",
        types=CHOICE,
        fixed_choices=True,
        values=("continue",),
    ),
    "outcome_justification": BindingSpec(QUESTION, "why continuing is justified (legal check L11)", types=TEXT),
    "changes_made": BindingSpec(QUESTION, "what the assessment changed (legal check L3C)", types=TEXT),
    "action_plan": BindingSpec(LIST_PAGE, "the action plan: the PDF, Board conditions, tracked actions"),
    "action": BindingSpec(ITEM, "what an action is", types=TEXT),
    "action_characteristic": BindingSpec(
        ITEM,
        "the characteristic an action addresses",
        types=("select", "radios"),
        choices_from="relevant_characteristics",
    ),
    "action_owner": BindingSpec(ITEM, "who owns an action (tracked actions)", types=TEXT),
    "action_due_date": BindingSpec(ITEM, "when an action is due (reminders, legal check L8D)", types=("date",)),
    "review_date": BindingSpec(
        QUESTION, "the review date (reviews, reminders, the report, legal check L5)", types=("date",)
    ),
}


# --- what code reads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoundQuestion:
    """A question the application reads: where its answer is stored, and the question itself."""

    page_id: str  # the page definition's id; a per-characteristic page adds ":<characteristic id>"
    question: Question
    per_characteristic: bool

    def page_for(self, characteristic: Characteristic | str | None = None) -> str:
        """The id of the concrete page holding the answer (the characteristic's, for a per-characteristic one)."""
        if not self.per_characteristic:
            return self.page_id
        if characteristic is None:
            raise ValueError(f"{self.page_id} is answered per characteristic: say which")
        characteristic_id = characteristic if isinstance(characteristic, str) else characteristic.id
        return f"{self.page_id}:{characteristic_id}"

    def value(self, answers: Mapping[str, Any], characteristic: Characteristic | str | None = None) -> Any:
        """The answer in ``answers`` (stored or effective), or None."""
        return (answers.get(self.page_for(characteristic)) or {}).get(self.question.id)


# The ``source`` of an action plan item the Board added as a condition of its approval.
BOARD_CONDITION = "board_condition"


@dataclass(frozen=True)
class ActionItem:
    """One item of the action plan, as the application reads it."""

    action: str
    characteristic: str | None
    owner: str
    due_date: str | None  # ISO
    source: str | None  # set on items the application added (a Board condition), not by the author


@dataclass(frozen=True)
class ActionPlan:
    """The list page of actions and the questions of one item."""

    page_id: str
    action: Question
    characteristic: Question
    owner: Question
    due_date: Question

    def items(self, answers: Mapping[str, Any]) -> list[ActionItem]:
        stored = answers.get(self.page_id) or {}
        return [self.read(item) for item in stored.get("items", [])]

    def read(self, item: Mapping[str, Any]) -> ActionItem:
        return ActionItem(
            action=item.get(self.action.id) or "",
            characteristic=item.get(self.characteristic.id),
            owner=item.get(self.owner.id) or "",
            due_date=item.get(self.due_date.id),
            source=item.get("source"),
        )

    def new_item(
        self, action: str, characteristic: str, owner: str, due_date: str | None, source: str
    ) -> dict[str, Any]:
        """An item as stored, for one the application adds itself."""
        return {
            self.action.id: action,
            self.characteristic.id: characteristic,
            self.owner.id: owner,
            self.due_date.id: due_date,
            "source": source,
        }


@dataclass(frozen=True)
class Bindings:
    title: BoundQuestion
    subject_type: BoundQuestion
    department: BoundQuestion
    owner: BoundQuestion
    senior_responsible_officer: BoundQuestion
    decision_date: BoundQuestion
    objectives: BoundQuestion
    analysis_task: str  # the per-characteristic task that is on the path for a screened-in characteristic
    relevance: BoundQuestion
    relevance_reason: BoundQuestion
    has_evidence: BoundQuestion
    evidence_gaps: BoundQuestion
    engaged: BoundQuestion
    impact_direction: Mapping[str, BoundQuestion]  # aim id ->
    impact_level: Mapping[str, BoundQuestion]  # aim id ->
    mitigation: BoundQuestion
    residual_level: BoundQuestion
    residual_justification: BoundQuestion
    outcome: BoundQuestion
    outcome_justification: BoundQuestion
    changes_made: BoundQuestion
    action_plan: ActionPlan
    review_date: BoundQuestion


# --- identifiers ---------------------------------------------------------------------------------------


def parse_question_identifier(identifier: str) -> tuple[str, str, str]:
    """ "page.question" or "page:*.question" -> (page id, qualifier, question id)."""
    page_part, _, question_id = identifier.partition(".")
    page_id, _, qualifier = page_part.partition(":")
    return page_id, qualifier, question_id


@dataclass(frozen=True)
class _Located:
    page: PageDef
    task: TaskDef


def _pages(sections: Iterable[SectionDef]) -> dict[str, _Located]:
    return {page.id: _Located(page, task) for section in sections for task in section.tasks for page in task.pages}


def _tasks(sections: Iterable[SectionDef]) -> dict[str, TaskDef]:
    return {task.id: task for section in sections for task in section.tasks}


def build_bindings(data: Mapping[str, Any], sections: Iterable[SectionDef]) -> Bindings:
    """The typed bindings of a checked questionnaire (``sections``: its SectionDefs)."""
    pages = _pages(sections)

    def bound(identifier: str) -> BoundQuestion:
        page_id, _, question_id = parse_question_identifier(identifier)
        located = pages[page_id]
        question = next(q for q in located.page.questions if q.id == question_id)
        return BoundQuestion(page_id, question, located.task.for_each == "characteristic")

    def item(identifier: str) -> Question:
        return bound(identifier).question

    questions = {name: bound(data[name]) for name, spec in SPECS.items() if spec.kind == QUESTION}
    return Bindings(
        **questions,
        analysis_task=data["analysis"],
        impact_direction={aim: bound(i) for aim, i in data["impact_direction"].items()},
        impact_level={aim: bound(i) for aim, i in data["impact_level"].items()},
        action_plan=ActionPlan(
            page_id=data["action_plan"],
            action=item(data["action"]),
            characteristic=item(data["action_characteristic"]),
            owner=item(data["action_owner"]),
            due_date=item(data["action_due_date"]),
        ),
    )


# --- checking ----------------------------------------------------------------------------------------


def binding_problems(
    data: Mapping[str, Any], sections: Iterable[SectionDef], aim_ids: list[str], source: str
) -> list[str]:
    """Every binding that does not resolve, or names a question of the wrong shape. ``data`` is the
    questionnaire's ``bindings`` object, already checked against the schema (every name present)."""
    pages = _pages(sections)
    tasks = _tasks(sections)
    problems: list[str] = []
    plan_found = False
    for name, spec in SPECS.items():
        where = f"{source}: $.bindings.{name}"
        value = data[name]
        if spec.kind == TASK:
            problems += _task_problems(value, spec, tasks, where)
        elif spec.kind == LIST_PAGE:
            list_page_problems = _list_page_problems(value, pages, where)
            problems += list_page_problems
            plan_found = not list_page_problems
        elif spec.kind == ITEM:
            page_id = parse_question_identifier(value)[0]
            if not plan_found:
                continue  # the action plan's own problem says it all
            if page_id != data["action_plan"]:
                problems.append(
                    f"{where}: {value!r} must name a question of the action plan page {data['action_plan']!r}"
                )
            else:
                problems += _question_problems(value, spec, pages, where)
        elif spec.kind == PER_AIM:
            missing = [aim for aim in aim_ids if aim not in value]
            if missing:
                problems.append(f"{where}: no question for aim {', '.join(map(repr, missing))}")
            for aim, identifier in value.items():
                if aim not in aim_ids:
                    problems.append(f"{where}.{aim}: unknown aim {aim!r} (known: {', '.join(aim_ids)})")
                else:
                    problems += _question_problems(identifier, spec, pages, f"{where}.{aim}")
        else:
            problems += _question_problems(value, spec, pages, where)
    return problems


def _task_problems(value: str, spec: BindingSpec, tasks: Mapping[str, TaskDef], where: str) -> list[str]:
    task = tasks.get(value)
    if task is None:
        return [f"{where}: names unknown task {value!r}"]
    if spec.per_characteristic and task.for_each != "characteristic":
        return [f"{where}: task {value!r} must be per characteristic (for_each)"]
    return []


def _list_page_problems(value: str, pages: Mapping[str, _Located], where: str) -> list[str]:
    located = pages.get(value)
    if located is None:
        return [f"{where}: names unknown page {value!r}"]
    if located.page.type != "list":
        return [f"{where}: page {value!r} must be a list page"]
    if located.task.for_each:
        return [f"{where}: page {value!r} must not be per characteristic"]
    return []


def _placement_problem(identifier: str, spec: BindingSpec, located: _Located, where: str) -> str | None:
    """Whether the question sits where the binding reads it: per characteristic or once, not in a list."""
    page_id, qualifier, _ = parse_question_identifier(identifier)
    per_characteristic = located.task.for_each == "characteristic"
    if spec.per_characteristic and not per_characteristic:
        return (
            f"{where}: {spec.purpose} is read per characteristic: page {page_id!r} must be in a per-characteristic task"
        )
    if not spec.per_characteristic and per_characteristic:
        return f"{where}: {spec.purpose} is read once per assessment: page {page_id!r} must not be per characteristic"
    if per_characteristic and qualifier != "*":
        return f"{where}: identifier {identifier!r} needs ':*' (per-characteristic page)"
    if not per_characteristic and qualifier:
        return f"{where}: identifier {identifier!r}: page {page_id!r} is not per characteristic"
    if located.page.type == "list":
        return f"{where}: identifier {identifier!r} names a question of a list page"
    return None


def _question_problems(identifier: str, spec: BindingSpec, pages: Mapping[str, _Located], where: str) -> list[str]:
    page_id, qualifier, question_id = parse_question_identifier(identifier)
    located = pages.get(page_id)
    if located is None:
        return [f"{where}: identifier {identifier!r} names unknown page {page_id!r}"]
    question = next((q for q in located.page.questions if q.id == question_id), None)
    if question is None:
        return [f"{where}: identifier {identifier!r} names unknown question {question_id!r}"]
    if spec.kind != ITEM and (placement := _placement_problem(identifier, spec, located, where)):
        return [placement]
    problems = []
    if question.type not in spec.types:
        problems.append(
            f"{where}: question {question_id!r} is of type {question.type!r}; {spec.purpose} needs "
            f"{' or '.join(map(repr, spec.types))}"
        )
    if spec.choices_from and question.choices_from != spec.choices_from:
        problems.append(f"{where}: question {question_id!r} needs choices_from {spec.choices_from!r}")
    if spec.fixed_choices and not question.choices:
        problems.append(f"{where}: question {question_id!r} needs choices listed in the file, not choices_from")
    elif spec.values:
        values = {choice.value for choice in question.choices}
        missing = [value for value in spec.values if value not in values]
        if missing:
            problems.append(
                f"{where}: question {question_id!r} needs the choice value(s) "
                f"{', '.join(map(repr, missing))}: {spec.purpose} compares answers with them"
            )
    if spec.stored_in and question.type in TEXT and (question.max_length or 0) > spec.stored_in:
        problems.append(
            f"{where}: question {question_id!r} needs a max_length of {spec.stored_in} or less "
            "(the database keeps a copy)"
        )
    if spec.stored_in and any(len(choice.value) > spec.stored_in for choice in question.choices):
        problems.append(
            f"{where}: question {question_id!r} needs choice values of {spec.stored_in} characters "
            "or fewer (the database keeps a copy)"
        )
    return problems
