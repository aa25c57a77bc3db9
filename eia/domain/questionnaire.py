"""The questionnaire: which pages an assessment shows given its answers, and page validation.

Answers are a dict of page id -> {question id: value}. A per-characteristic page's id is
"<page>:<characteristic>", e.g. "impact:age". List pages store {"items": [...], "done": bool}.
Values are plain JSON: strings, lists of strings (checkboxes) and ISO dates ("2027-03-27").

Only *effective* answers count: those on pages and questions visible given the answers before
them. An answer to a question that later became hidden is kept (the author may change their
mind back) but is never shown, validated, routed on or archived. That includes a question hidden
by an answer on its own page (a conditional reveal): switching "negative" to "neutral" and back
brings back the level typed before.

A page the author has saved is stored even when every answer is blank (``{}``): it is then
complete if it asks nothing required. A page never saved has no key at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from eia.domain.rules import evaluate

if TYPE_CHECKING:
    from eia.domain.bindings import Bindings

QUESTION_TYPES = ("text", "textarea", "radios", "checkboxes", "select", "date")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    hint: str | None = None


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: str
    name: str  # used in messages: "Enter {name}"
    hint: str | None = None
    required: bool = False
    required_when: Mapping[str, Any] | None = None
    when: Mapping[str, Any] | None = None
    max_length: int | None = None
    choices: tuple[Choice, ...] = ()
    choices_from: str | None = None
    suggestions_from: str | None = None  # a text answer offering these as you type ("people"), any text allowed
    date_constraint: str | None = None


@dataclass(frozen=True)
class PageDef:
    id: str
    title: str
    questions: tuple[Question, ...]
    type: str = "form"
    when: Mapping[str, Any] | None = None
    item_name: str | None = None
    max_items: int = 50
    min_items_when: Mapping[str, Any] | None = None
    # Earlier answers shown in an inset above the questions ("replay"), under a heading
    replay_title: str | None = None
    replay: tuple[ReplayedAnswer, ...] = ()


@dataclass(frozen=True)
class ReplayedAnswer:
    identifier: str  # an answers identifier: "screening:$c.relevance"
    only: tuple[str, ...] = ()  # shown only when the answer is one of these (empty: whatever it is)


@dataclass(frozen=True)
class TaskDef:
    id: str
    title: str
    pages: tuple[PageDef, ...]
    for_each: str | None = None
    when: Mapping[str, Any] | None = None
    # Every characteristic's copy of the task answered on one page ("all_on_one_page"), with its heading
    one_page_title: str | None = None
    one_page_hint: str | None = None


@dataclass(frozen=True)
class SectionDef:
    id: str
    title: str
    tasks: tuple[TaskDef, ...]
    empty_message: str | None = None


@dataclass(frozen=True)
class Aim:
    id: str
    label: str
    short_label: str


@dataclass(frozen=True)
class Characteristic:
    id: str
    name: str
    statutory: bool
    aims: tuple[str, ...]
    hint: str = ""


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: int
    title: str
    sections: tuple[SectionDef, ...]
    aims: dict[str, Aim]
    characteristics: dict[str, Characteristic]
    bindings: Bindings = field(repr=False, compare=False)  # the questions code reads (eia.domain.bindings)

    def task_definition(self, task_definition_id: str) -> TaskDef | None:
        return next((t for s in self.sections for t in s.tasks if t.id == task_definition_id), None)

    def relevant_characteristics(self, current: Path) -> list[Characteristic]:
        """The characteristics screened in on this path: those whose analysis task is on it."""
        return [
            task.characteristic
            for task in current.tasks
            if task.definition.id == self.bindings.analysis_task and task.characteristic is not None
        ]

    def applicable_characteristics(self, ids: Iterable[str]) -> list[Characteristic]:
        """The characteristics an assessment covers, in definition order."""
        wanted = set(ids)
        return [c for c in self.characteristics.values() if c.id in wanted]

    def default_characteristic_ids(self, extras: Iterable[str] = ()) -> list[str]:
        """Every statutory characteristic, plus the organisation's configured extras."""
        extra = set(extras)
        return [c.id for c in self.characteristics.values() if c.statutory or c.id in extra]


# --- concrete pages and tasks -------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    id: str  # "subject", or "analysis:age"
    section: SectionDef
    definition: TaskDef
    characteristic: Characteristic | None
    title: str
    pages: tuple[Page, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Page:
    id: str  # "subject", or "impact:age"
    definition: PageDef
    characteristic: Characteristic | None
    title: str
    task_id: str

    @property
    def is_list(self) -> bool:
        return self.definition.type == "list"

    def fill(self, text: str) -> str:
        return _fill(text, self.characteristic)


def _fill(text: str, characteristic: Characteristic | None) -> str:
    if characteristic is None:
        return text
    return text.replace("{characteristic_lower}", characteristic.name.lower()).replace(
        "{characteristic}", characteristic.name
    )


def _concrete_id(definition_id: str, characteristic: Characteristic | None) -> str:
    return definition_id if characteristic is None else f"{definition_id}:{characteristic.id}"


# --- resolving rule operands ------------------------------------------------------------------


class AnswerResolver:
    """Resolves rule operands against answers.

    "answers" identifiers are "<page>.<question>", "<page>:<characteristic>.<question>",
    "<page>:$c.<question>" (the current characteristic) or "<page>:*.<question>" (a list over
    every applicable characteristic). "characteristic" identifiers name a field of the current one.
    """

    def __init__(
        self,
        answers: Mapping[str, Any],
        characteristic_ids: Iterable[str],
        characteristic: Characteristic | None = None,
        extra: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.answers = answers
        self.characteristic_ids = list(characteristic_ids)
        self.characteristic = characteristic
        self.extra = extra or {}

    def __call__(self, source: str, identifier: str) -> Any:
        if source == "answers":
            return self._answer(identifier)
        if source == "characteristic":
            return None if self.characteristic is None else getattr(self.characteristic, identifier, None)
        return self.extra.get(source, {}).get(identifier)

    def _answer(self, identifier: str) -> Any:
        page_part, _, question_id = identifier.partition(".")
        page_id, _, qualifier = page_part.partition(":")
        if qualifier == "*":
            return [
                self.answers.get(f"{page_id}:{cid}", {}).get(question_id)
                for cid in self.characteristic_ids
                if f"{page_id}:{cid}" in self.answers
            ]
        if qualifier == "$c":
            if self.characteristic is None:
                return None
            qualifier = self.characteristic.id
        key = f"{page_id}:{qualifier}" if qualifier else page_id
        return self.answers.get(key, {}).get(question_id)


def _holds(rule: Mapping[str, Any] | None, resolve: AnswerResolver) -> bool:
    return True if rule is None else bool(evaluate(rule, resolve))


def question_visible(question: Question, resolve: AnswerResolver) -> bool:
    return _holds(question.when, resolve)


def question_required(question: Question, resolve: AnswerResolver) -> bool:
    if question.required_when is not None:
        return bool(evaluate(question.required_when, resolve))
    return question.required


# --- the path through the questionnaire -------------------------------------------------------


@dataclass(frozen=True)
class Path:
    """The tasks and pages an assessment shows, and its effective answers."""

    tasks: tuple[Task, ...]
    answers: dict[str, Any]  # effective answers only
    characteristic_ids: tuple[str, ...]

    @property
    def pages(self) -> list[Page]:
        return [page for task in self.tasks for page in task.pages]

    def page(self, page_id: str) -> Page | None:
        return next((p for p in self.pages if p.id == page_id), None)

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    def pages_of(self, task_definition: TaskDef) -> list[Page]:
        """The pages of every copy of a task on the path (each characteristic's, for a per-characteristic task)."""
        return [page for task in self.tasks if task.definition.id == task_definition.id for page in task.pages]

    def resolver(self, page: Page | None = None, answers: Mapping[str, Any] | None = None) -> AnswerResolver:
        return AnswerResolver(
            self.answers if answers is None else answers,
            self.characteristic_ids,
            page.characteristic if page else None,
        )

    def visible_questions(self, page: Page, page_answers: Mapping[str, Any] | None = None) -> list[Question]:
        answers = self.answers if page_answers is None else {**self.answers, page.id: page_answers}
        resolve = AnswerResolver(answers, self.characteristic_ids, page.characteristic)
        return [q for q in page.definition.questions if question_visible(q, resolve)]

    def next_page_in_task(self, page: Page) -> Page | None:
        task = self.task(page.task_id)
        pages = list(task.pages) if task else []
        index = pages.index(page) if page in pages else -1
        return pages[index + 1] if 0 <= index < len(pages) - 1 else None


def path(questionnaire: Questionnaire, answers: Mapping[str, Any], characteristic_ids: Iterable[str]) -> Path:
    """Walk the definition in order, keeping only what is visible given the answers so far."""
    characteristics = questionnaire.applicable_characteristics(characteristic_ids)
    ids = tuple(c.id for c in characteristics)
    effective: dict[str, Any] = {}
    tasks: list[Task] = []
    for section in questionnaire.sections:
        for task_def in section.tasks:
            for characteristic in characteristics if task_def.for_each else [None]:
                resolve = AnswerResolver(effective, ids, characteristic)
                if not _holds(task_def.when, resolve):
                    continue
                task_id = _concrete_id(task_def.id, characteristic)
                pages = []
                for page_def in task_def.pages:
                    if not _holds(page_def.when, AnswerResolver(effective, ids, characteristic)):
                        continue
                    page = Page(
                        id=_concrete_id(page_def.id, characteristic),
                        definition=page_def,
                        characteristic=characteristic,
                        title=_fill(page_def.title, characteristic),
                        task_id=task_id,
                    )
                    pages.append(page)
                    stored = answers.get(page.id)
                    if isinstance(stored, dict):
                        effective[page.id] = _visible_part(page, stored, effective, ids)
                tasks.append(
                    Task(
                        id=task_id,
                        section=section,
                        definition=task_def,
                        characteristic=characteristic,
                        title=_fill(task_def.title, characteristic),
                        pages=tuple(pages),
                    )
                )
    return Path(tasks=tuple(tasks), answers=effective, characteristic_ids=ids)


def _visible_part(
    page: Page, stored: dict[str, Any], effective: Mapping[str, Any], ids: tuple[str, ...]
) -> dict[str, Any]:
    if page.is_list:
        return stored
    resolve = AnswerResolver({**effective, page.id: stored}, ids, page.characteristic)
    visible = {q.id for q in page.definition.questions if question_visible(q, resolve)}
    return {key: value for key, value in stored.items() if key in visible}


# --- validation ---------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
DATE_PARTS = ("day", "month", "year")


def _sentence(name: str) -> str:
    return name[:1].upper() + name[1:]


def _normalise_text(value: Any) -> str:
    text = value if isinstance(value, str) else ""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


@dataclass
class PageResult:
    """The outcome of validating one page's input: cleaned values, and errors by question id."""

    values: dict[str, Any]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_page(
    current: Path,
    page: Page,
    submitted: Mapping[str, Any],
    options: Mapping[str, list[Choice]],
    today: date,
    *,
    partial: bool = False,
) -> PageResult:
    """Validate a form page's submitted values.

    ``partial`` is "save and come back later": required answers may be missing, but every value
    given must still be valid (nothing is truncated, no unknown choice is stored).
    A question hidden by another answer on the page (a closed conditional reveal) is neither
    required nor reported, but a valid value for it is kept in ``values`` (it does not count while
    hidden: see the module docstring). Values for questions the page does not show are dropped.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in page.definition.questions:
        value, error = _clean(question, submitted.get(question.id), options, today)
        if error:
            errors[question.id] = error
        elif value not in (None, "", []):
            cleaned[question.id] = value
    visible = {q.id: q for q in current.visible_questions(page, cleaned)}
    values = {k: v for k, v in cleaned.items() if k in visible}
    errors = {k: v for k, v in errors.items() if k in visible}
    if not partial:
        resolve = AnswerResolver({**current.answers, page.id: values}, current.characteristic_ids, page.characteristic)
        for question in visible.values():
            if question.id not in values and question.id not in errors and question_required(question, resolve):
                errors[question.id] = _required_message(question)
    hidden_by_reveal = _hidden_by_reveal(current, page, visible)
    # Keep the definition's order, which is also the page's order, for the error summary.
    order = [q.id for q in page.definition.questions]
    kept = {k: cleaned[k] for k in order if k in cleaned and (k in values or k in hidden_by_reveal)}
    return PageResult(kept, dict(sorted(errors.items(), key=lambda item: order.index(item[0]))))


def _hidden_by_reveal(current: Path, page: Page, visible: Mapping[str, Question]) -> set[str]:
    """Questions on the page but inside a conditional reveal that the page's answers keep closed."""
    resolve = current.resolver(page)
    return {
        q.id
        for q in page.definition.questions
        if q.id not in visible
        and reveal_of(page.definition, q) is not None
        and _holds_apart_from_page(q, page, resolve)
    }


def answers_to_store(
    current: Path, page: Page, previous: Mapping[str, Any] | None, result: PageResult
) -> dict[str, Any]:
    """A form page's answers after saving ``result``: its values, plus earlier answers to questions
    the page does not show at the moment (hidden by answers elsewhere; the author may change those back)."""
    resolve = current.resolver(page)
    off_page = {q.id for q in page.definition.questions if not _holds_apart_from_page(q, page, resolve)}
    kept = {k: v for k, v in (previous or {}).items() if k in off_page}
    return {**kept, **result.values}


def _required_message(question: Question) -> str:
    verb = "Select" if question.type in ("radios", "checkboxes", "select") else "Enter"
    return f"{verb} {question.name}"


def choices_for(question: Question, options: Mapping[str, list[Choice]]) -> list[Choice]:
    return list(question.choices) if question.choices else list(options.get(question.choices_from or "", []))


def _clean(question: Question, raw: Any, options: Mapping[str, list[Choice]], today: date) -> tuple[Any, str | None]:
    name = _sentence(question.name)
    if question.type in ("text", "textarea"):
        if raw is not None and not isinstance(raw, str):
            return None, f"{name} must be text"
        text = _normalise_text(raw)
        if "\ufffd" in text:  # what bytes that are not UTF-8 decode to: refuse rather than store the damage
            return None, f"{name} contains characters that could not be read: type them again"
        if _CONTROL.search(text):
            return None, f"{name} must not contain control characters"
        if question.type == "text" and "\n" in text:
            return None, f"{name} must be on one line"
        if question.max_length and len(text) > question.max_length:
            return None, f"{name} must be {question.max_length:,} characters or fewer (you entered {len(text):,})"
        return text, None
    if question.type in ("radios", "select"):
        if raw in (None, ""):
            return None, None
        allowed = {c.value for c in choices_for(question, options)}
        if not isinstance(raw, str) or raw not in allowed:
            return None, f"Select {question.name} from the list"
        return raw, None
    if question.type == "checkboxes":
        items = [raw] if isinstance(raw, str) else list(raw or [])
        allowed = {c.value for c in choices_for(question, options)}
        if any(not isinstance(item, str) or item not in allowed for item in items):
            return None, f"Select {question.name} from the list"
        return sorted(set(items), key=items.index), None
    if question.type == "date":
        return _clean_date(question, raw, today)
    raise AssertionError(f"unhandled question type {question.type}")  # definitions are validated


def _clean_date(question: Question, raw: Any, today: date) -> tuple[str | None, str | None]:
    name = _sentence(question.name)
    if isinstance(raw, str):  # ISO, from the API or stored answers
        raw = raw.strip()
        if not raw:
            return None, None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            return None, f"{name} must be a real date"
    else:
        parts = {key: str((raw or {}).get(key) or "").strip() for key in DATE_PARTS}
        if not any(parts.values()):
            return None, None
        missing = [key for key in DATE_PARTS if not parts[key]]
        if missing:
            return None, f"{name} must include a {' and a '.join(missing)}"
        if not all(parts[key].isdigit() for key in DATE_PARTS) or len(parts["year"]) != 4:
            return None, f"{name} must be a real date"
        try:
            value = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            return None, f"{name} must be a real date"
    if question.date_constraint == "future" and value <= today:
        return None, f"{name} must be in the future"
    if question.date_constraint == "past" and value > today:
        return None, f"{name} must be today or in the past"
    return value.isoformat(), None


# --- list pages ---------------------------------------------------------------------------------


def list_items(current: Path, page: Page) -> list[dict[str, Any]]:
    return list(current.answers.get(page.id, {}).get("items", []))


def list_minimum(current: Path, page: Page) -> int:
    rule = page.definition.min_items_when
    return 1 if rule is not None and _holds(rule, current.resolver(page)) else 0


def list_problem(current: Path, page: Page) -> str | None:
    """Why a list page cannot be finished yet, or None."""
    minimum = list_minimum(current, page)
    if len(list_items(current, page)) < minimum:
        return f"Add at least one {page.definition.item_name}: the assessment found a negative impact"
    return None


# --- status and completeness ------------------------------------------------------------------

NOT_STARTED, IN_PROGRESS, COMPLETED = "not_started", "in_progress", "completed"


def page_status(current: Path, page: Page, options: Mapping[str, list[Choice]], today: date) -> str:
    stored = current.answers.get(page.id)
    if stored is None:  # never saved; a page saved blank is {} and is judged like any other
        return NOT_STARTED
    if page.is_list:
        if not stored.get("done") or list_problem(current, page):
            return IN_PROGRESS
        items_ok = all(validate_page(current, page, item, options, today).ok for item in stored.get("items", []))
        return COMPLETED if items_ok else IN_PROGRESS
    result = validate_page(current, page, stored, options, today)
    return COMPLETED if result.ok else IN_PROGRESS


def task_status(current: Path, task: Task, options: Mapping[str, list[Choice]], today: date) -> str:
    statuses = {page_status(current, page, options, today) for page in task.pages}
    if statuses == {COMPLETED}:
        return COMPLETED
    if statuses == {NOT_STARTED}:
        return NOT_STARTED
    return IN_PROGRESS


@dataclass(frozen=True)
class Problem:
    page_id: str
    page_title: str
    message: str


def submission_problems(current: Path, options: Mapping[str, list[Choice]], today: date) -> list[Problem]:
    """Everything that stops the assessment being submitted: each unfinished page, with why."""
    problems = []
    for page in current.pages:
        stored = current.answers.get(page.id)
        if page.is_list:
            reason = list_problem(current, page)
            if reason:
                problems.append(Problem(page.id, page.title, reason))
            elif not (stored or {}).get("done"):
                problems.append(Problem(page.id, page.title, f"Confirm the {page.title.lower()} is complete"))
            continue
        if stored is None:
            problems.append(Problem(page.id, page.title, "Not started"))
            continue
        result = validate_page(current, page, stored, options, today)
        problems += [Problem(page.id, page.title, message) for message in result.errors.values()]
    return problems


# --- presenting answers ---------------------------------------------------------------------------


def display_value(question: Question, value: Any, options: Mapping[str, list[Choice]]) -> str:
    """An answer as a person reads it: choice labels, dates as "27 March 2027"."""
    if value in (None, "", []):
        return ""
    if question.type in ("radios", "select", "checkboxes"):
        labels = {c.value: c.label for c in choices_for(question, options)}
        values = value if isinstance(value, list) else [value]
        return "\n".join(labels.get(v) or str(v) for v in values)
    if question.type == "date":
        parsed = date.fromisoformat(value)
        return f"{parsed.day} {parsed.strftime('%B %Y')}"
    return str(value)


@dataclass(frozen=True)
class AnswerRow:
    question: Question
    label: str
    value: str


NONE_GIVEN = "None given"


def answer_rows(current: Path, page: Page, options: Mapping[str, list[Choice]]) -> list[AnswerRow]:
    """The rows check answers, the record, the signed PDF and the archive show for a page: only the
    questions that apply (a follow-up whose answer does not ask for it is not there at all). An
    optional question left blank reads "None given"; a required one left blank has no value, which
    pages show as "Not answered" (only an unfinished assessment has one)."""
    stored = current.answers.get(page.id, {})
    resolve = current.resolver(page)
    rows = []
    for question in current.visible_questions(page):
        value = display_value(question, stored.get(question.id), options)
        if not value and page.id in current.answers and not question_required(question, resolve):
            value = NONE_GIVEN
        rows.append(AnswerRow(question, page.fill(question.label), value))
    return rows


def replayed_answers(current: Path, page: Page, options: Mapping[str, list[Choice]]) -> list[AnswerRow]:
    """The earlier answers a page replays in its inset (the definition's "replay"), as rows: only
    answers that count (on the path, visible, given) and, where the definition says, of given values."""
    rows = []
    for item in page.definition.replay:
        page_part, _, question_id = item.identifier.partition(".")
        page_id, _, qualifier = page_part.partition(":")
        if qualifier == "$c":
            if page.characteristic is None:
                continue
            qualifier = page.characteristic.id
        source = current.page(f"{page_id}:{qualifier}" if qualifier else page_id)
        question = next((x for x in source.definition.questions if x.id == question_id), None) if source else None
        if source is None or question is None:
            continue
        value = current.answers.get(source.id, {}).get(question_id)
        if value in (None, "", []) or (item.only and value not in item.only):
            continue
        rows.append(AnswerRow(question, source.fill(question.label), display_value(question, value, options)))
    return rows


# --- page layout: questions revealed by an answer on the same page ------------------------------
#
# A question whose `when` depends on another question of the same page is shown as a GOV.UK
# conditional reveal under the radio option that shows it, so the page works in one step with or
# without JavaScript. Other conditions (other pages, the characteristic) decide whether it is on
# the page at all.


@dataclass(frozen=True)
class Reveal:
    parent_id: str
    values: tuple[str, ...]  # the radio options that show the question

    @property
    def nested(self) -> bool:
        """One option: nested under it (GOV.UK conditional reveal). Several: shown after the group."""
        return len(self.values) == 1


def _conjuncts(rule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(rule["and"]) if set(rule) == {"and"} else [rule]


def _same_page_identifier(operand: Any, page_def: PageDef) -> str | None:
    """The question id if ``operand`` reads an answer on ``page_def`` itself."""
    if isinstance(operand, Mapping) and operand.get("source") == "answers":
        page_part, _, question_id = str(operand.get("identifier", "")).partition(".")
        page_id, _, qualifier = page_part.partition(":")
        if page_id == page_def.id and qualifier in ("", "$c"):
            return question_id
    return None


def _mentions_page(node: Any, page_def: PageDef) -> bool:
    if _same_page_identifier(node, page_def):
        return True
    if isinstance(node, Mapping):
        return any(_mentions_page(v, page_def) for v in node.values())
    if isinstance(node, list):
        return any(_mentions_page(v, page_def) for v in node)
    return False


def reveal_of(page_def: PageDef, question: Question) -> Reveal | None:
    """How ``question`` is revealed by an answer on its own page, if it is.

    Raises ValueError when the same-page condition has a shape that cannot be a reveal
    (the definition checker reports it).
    """
    if question.when is None:
        return None
    reveals = [c for c in _conjuncts(question.when) if _mentions_page(c, page_def)]
    if not reveals:
        return None
    if len(reveals) > 1:
        raise ValueError("a question can be revealed by one answer on its page, not several")
    (condition,) = reveals
    ((op, operands),) = condition.items()
    parent = _same_page_identifier(operands[0], page_def) if op in ("==", "in") else None
    values = (operands[1],) if op == "==" else operands[1]
    if (
        parent is None
        or not isinstance(values, (list, tuple))
        or not values
        or not all(isinstance(v, str) for v in values)
    ):
        raise ValueError(
            "a condition on the same page must be == (one value) or in (a list of values) on another question of the page"
        )
    by_id = {q.id: q for q in page_def.questions}
    if parent not in by_id or by_id[parent].type != "radios":
        raise ValueError(f"a question can only be revealed by a radios question of the same page, not {parent!r}")
    order = [q.id for q in page_def.questions]
    if order.index(parent) > order.index(question.id):
        raise ValueError(f"{question.id!r} must come after {parent!r}, the question that reveals it")
    return Reveal(parent, tuple(values))


def _holds_apart_from_page(question: Question, page: Page, resolve: AnswerResolver) -> bool:
    if question.when is None:
        return True
    others = [c for c in _conjuncts(question.when) if not _mentions_page(c, page.definition)]
    return all(evaluate(c, resolve) for c in others)


@dataclass(frozen=True)
class LaidOutQuestion:
    question: Question
    revealed: dict[str, tuple[Question, ...]]  # radio value -> questions shown under it
    # Questions shown after the radio group while any of several options is chosen: value tuple -> questions
    revealed_after: tuple[tuple[tuple[str, ...], Question], ...] = ()


def page_layout(current: Path, page: Page) -> list[LaidOutQuestion]:
    """The questions a page shows, with each conditional reveal nested under its radio option
    (or, when several options reveal it, right after the radio group)."""
    resolve = current.resolver(page)
    on_page = [q for q in page.definition.questions if _holds_apart_from_page(q, page, resolve)]
    children: dict[str, dict[str, list[Question]]] = {}
    after: dict[str, list[tuple[tuple[str, ...], Question]]] = {}
    top_level = []
    for question in on_page:
        reveal = reveal_of(page.definition, question)
        if reveal is None:
            top_level.append(question)
        elif reveal.nested:
            children.setdefault(reveal.parent_id, {}).setdefault(reveal.values[0], []).append(question)
        else:
            after.setdefault(reveal.parent_id, []).append((reveal.values, question))
    return [
        LaidOutQuestion(
            q,
            {value: tuple(qs) for value, qs in children.get(q.id, {}).items()},
            tuple(after.get(q.id, ())),
        )
        for q in top_level
    ]
