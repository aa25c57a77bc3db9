"""Loading and validating the questionnaire and characteristics definitions in workflows/.

Structure is checked with JSON Schema, meaning (ids unique, rules well formed, placeholders known)
with Python; every problem is reported at once as "file: path: what is wrong".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from eia.domain.bindings import PER_AIM, SPECS, binding_problems, build_bindings
from eia.domain.legacy_definitions import LEGACY_BINDINGS
from eia.domain.questionnaire import (
    QUESTION_TYPES,
    Aim,
    Characteristic,
    Choice,
    PageDef,
    Question,
    Questionnaire,
    ReplayedAnswer,
    SectionDef,
    TaskDef,
    reveal_of,
)
from eia.domain.rules import check_rule

# Rule sources a questionnaire may use. "characteristic" is the one a per-characteristic task is for.
QUESTIONNAIRE_SOURCES = ("answers", "characteristic")
CHOICES_FROM = ("departments", "objectives", "relevant_characteristics", "subject_types")
TITLE_PLACEHOLDERS = ("{characteristic}", "{characteristic_lower}")
# Question ids become form field names: they must not shadow the form's own attributes and fields.
RESERVED_QUESTION_IDS = frozenset(
    {
        "version",
        "csrf_token",
        "intent",
        "data",
        "errors",
        "meta",
        "process",
        "validate",
        "populate_obj",
        "form_errors",
        "hidden_tag",
    }
)


class DefinitionError(Exception):
    """One or more definition files are invalid. ``problems`` lists each as "file: path: message"."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid definitions:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


_ID = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_TEXT = {"type": "string", "minLength": 1}
_RULE = {"type": "object"}
_IDENTIFIER = {"type": "string", "minLength": 1, "maxLength": 200}

# The questions code reads, by name (eia.domain.bindings): every name is required, no other allowed.
_BINDINGS = {
    "type": "object",
    "required": list(SPECS),
    "additionalProperties": False,
    "properties": {
        name: {"type": "object", "minProperties": 1, "additionalProperties": _IDENTIFIER}
        if spec.kind == PER_AIM
        else _IDENTIFIER
        for name, spec in SPECS.items()
    },
}


# A questionnaire's own id may contain hyphens ("eia-screening"), like a workflow's.
_DOCUMENT_ID = {"type": "string", "pattern": "^[a-z][a-z0-9_-]*$", "maxLength": 60}

CHARACTERISTICS_SCHEMA = {
    "type": "object",
    "required": ["version", "aims", "characteristics"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "integer", "minimum": 1},
        "aims": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "label", "short_label"],
                "additionalProperties": False,
                "properties": {"id": _ID, "label": _TEXT, "short_label": _TEXT},
            },
        },
        "characteristics": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "name", "statutory", "aims"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "name": _TEXT,
                    "statutory": {"type": "boolean"},
                    "aims": {"type": "array", "minItems": 1, "items": _ID},
                    "hint": {"type": "string"},
                },
            },
        },
    },
}

_QUESTION = {
    "type": "object",
    "required": ["id", "type", "label"],
    "additionalProperties": False,
    "properties": {
        "id": _ID,
        "type": {"enum": list(QUESTION_TYPES)},
        "label": _TEXT,
        "name": _TEXT,
        "hint": {"type": "string"},
        "required": {"type": "boolean"},
        "required_when": _RULE,
        "when": _RULE,
        "max_length": {"type": "integer", "minimum": 1, "maximum": 100000},
        "choices": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["value", "label"],
                "additionalProperties": False,
                "properties": {"value": _ID, "label": _TEXT, "hint": {"type": "string"}},
            },
        },
        "choices_from": {"enum": list(CHOICES_FROM)},
        "suggestions_from": {"enum": ["people"]},
        "date_constraint": {"enum": ["future", "past"]},
    },
}

QUESTIONNAIRE_SCHEMA = {
    "type": "object",
    "required": ["id", "version", "title", "bindings", "sections"],
    "additionalProperties": False,
    "properties": {
        "id": _DOCUMENT_ID,
        "version": {"type": "integer", "minimum": 1},
        "title": _TEXT,
        "bindings": _BINDINGS,
        "sections": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "title", "tasks"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "title": _TEXT,
                    "empty_message": _TEXT,
                    "tasks": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["id", "title", "pages"],
                            "additionalProperties": False,
                            "properties": {
                                "id": _ID,
                                "title": _TEXT,
                                "for_each": {"enum": ["characteristic"]},
                                "when": _RULE,
                                "all_on_one_page": {
                                    "type": "object",
                                    "required": ["title"],
                                    "additionalProperties": False,
                                    "properties": {"title": _TEXT, "hint": _TEXT},
                                },
                                "pages": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["id", "title", "questions"],
                                        "additionalProperties": False,
                                        "properties": {
                                            "id": _ID,
                                            "title": _TEXT,
                                            "type": {"enum": ["form", "list"]},
                                            "when": _RULE,
                                            "item_name": _TEXT,
                                            "max_items": {"type": "integer", "minimum": 1, "maximum": 200},
                                            "min_items_when": _RULE,
                                            "replay": {
                                                "type": "object",
                                                "required": ["title", "answers"],
                                                "additionalProperties": False,
                                                "properties": {
                                                    "title": _TEXT,
                                                    "answers": {
                                                        "type": "array",
                                                        "minItems": 1,
                                                        "items": {
                                                            "type": "object",
                                                            "required": ["source", "identifier"],
                                                            "additionalProperties": False,
                                                            "properties": {
                                                                "source": {"const": "answers"},
                                                                "identifier": {"type": "string"},
                                                                "only": {
                                                                    "type": "array",
                                                                    "minItems": 1,
                                                                    "items": {"type": "string"},
                                                                },
                                                            },
                                                        },
                                                    },
                                                },
                                            },
                                            "questions": {"type": "array", "minItems": 1, "items": _QUESTION},
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def read_json(path: Path, problems: list[str]) -> Any:
    """The JSON document in ``path``, or None with the reason appended to ``problems``."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path.name}: file not found in {path.parent}")
    except UnicodeDecodeError as error:
        problems.append(f"{path.name}: byte {error.start}: not UTF-8 text ({error.reason})")
    except json.JSONDecodeError as error:
        problems.append(f"{path.name}: line {error.lineno} column {error.colno}: invalid JSON: {error.msg}")
    except RecursionError:
        problems.append(f"{path.name}: $: nested too deeply to read")
    except OSError as error:
        problems.append(f"{path.name}: cannot be read: {error.strerror or error}")
    return None


def schema_problems(data: Any, schema: dict[str, Any], source: str) -> list[str]:
    validator = Draft202012Validator(schema)
    return [
        f"{source}: {error.json_path}: {_schema_message(error)}"
        for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    ]


_JSON_KINDS = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def _kind(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    for kind, python_type in (("object", dict), ("array", list), ("string", str), ("number", (int, float))):
        if isinstance(value, python_type):
            return _JSON_KINDS[kind]
    return type(value).__name__


def _schema_message(error: ValidationError) -> str:
    """jsonschema's message, except where it would echo a whole (possibly huge) value back."""
    if error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"must be {' or '.join(_JSON_KINDS.get(t) or str(t) for t in expected)}, not {_kind(error.instance)}"
    if error.validator == "maxLength":
        return f"must be {error.validator_value} characters or fewer"
    return str(error.message)


def _duplicates(ids: list[str]) -> Iterator[str]:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            yield item
        seen.add(item)


def check_characteristics(data: Any, source: str) -> list[str]:
    problems = schema_problems(data, CHARACTERISTICS_SCHEMA, source)
    if problems:
        return problems
    aim_ids = [aim["id"] for aim in data["aims"]]
    problems += [f"{source}: $.aims: duplicate aim id {d!r}" for d in _duplicates(aim_ids)]
    ids = [c["id"] for c in data["characteristics"]]
    problems += [f"{source}: $.characteristics: duplicate id {d!r}" for d in _duplicates(ids)]
    for index, characteristic in enumerate(data["characteristics"]):
        for aim in characteristic["aims"]:
            if aim not in aim_ids:
                problems.append(
                    f"{source}: $.characteristics[{index}].aims: unknown aim {aim!r} (known: {', '.join(aim_ids)})"
                )
    return problems


def check_questionnaire(data: Any, source: str) -> list[str]:
    problems = schema_problems(data, QUESTIONNAIRE_SCHEMA, source)
    if problems:
        return problems
    page_ids: list[str] = []
    task_ids: list[str] = []
    section_ids = [s["id"] for s in data["sections"]]
    problems += [f"{source}: $.sections: duplicate section id {d!r}" for d in _duplicates(section_ids)]
    for s, section in enumerate(data["sections"]):
        for t, task in enumerate(section["tasks"]):
            task_path = f"$.sections[{s}].tasks[{t}]"
            task_ids.append(task["id"])
            per_characteristic = task.get("for_each") == "characteristic"
            problems += _placeholder_problems(task["title"], per_characteristic, f"{source}: {task_path}.title")
            if "when" in task:
                problems += [
                    f"{source}: {e}" for e in check_rule(task["when"], QUESTIONNAIRE_SOURCES, f"{task_path}.when")
                ]
            if "all_on_one_page" in task:
                problems += _one_page_problems(task, per_characteristic, f"{source}: {task_path}.all_on_one_page")
            for p, page in enumerate(task["pages"]):
                page_path = f"{task_path}.pages[{p}]"
                page_ids.append(page["id"])
                problems += _page_problems(page, per_characteristic, source, page_path)
    problems += [f"{source}: $.sections: duplicate task id {d!r}" for d in _duplicates(task_ids)]
    problems += [f"{source}: $.sections: duplicate page id {d!r}" for d in _duplicates(page_ids)]
    problems += _identifier_problems(data, source)
    return problems


def _one_page_problems(task: dict[str, Any], per_characteristic: bool, where: str) -> list[str]:
    """All characteristics' copies of a task on one page: only a per-characteristic task of one form page
    whose page and questions do not depend on answers (each copy is validated on its own)."""
    if not per_characteristic:
        return [f"{where}: only a per-characteristic task (for_each) can show every characteristic on one page"]
    if len(task["pages"]) != 1 or task["pages"][0].get("type", "form") != "form" or "when" in task["pages"][0]:
        return [f"{where}: the task must have exactly one form page, without a when"]
    if "when" in task:
        return [f"{where}: the task must not have a when (every characteristic is on the page)"]
    return []


def _placeholder_problems(text: str, per_characteristic: bool, where: str) -> list[str]:
    if not per_characteristic and any(p in text for p in TITLE_PLACEHOLDERS):
        return [f"{where}: uses {{characteristic}} outside a per-characteristic task"]
    return []


def _page_problems(page: dict[str, Any], per_characteristic: bool, source: str, page_path: str) -> list[str]:
    problems = _placeholder_problems(page["title"], per_characteristic, f"{source}: {page_path}.title")
    for key in ("when", "min_items_when"):
        if key in page:
            problems += [f"{source}: {e}" for e in check_rule(page[key], QUESTIONNAIRE_SOURCES, f"{page_path}.{key}")]
    is_list = page.get("type") == "list"
    if not is_list and any(k in page for k in ("item_name", "max_items", "min_items_when")):
        problems.append(f"{source}: {page_path}: item_name, max_items and min_items_when are only for list pages")
    if is_list and "item_name" not in page:
        problems.append(f"{source}: {page_path}: a list page needs an item_name")
    question_ids = [q["id"] for q in page["questions"]]
    problems += [f"{source}: {page_path}.questions: duplicate question id {d!r}" for d in _duplicates(question_ids)]
    for q, question in enumerate(page["questions"]):
        problems += _question_problems(question, per_characteristic, source, f"{page_path}.questions[{q}]")
    return problems


def _question_problems(question: dict[str, Any], per_characteristic: bool, source: str, where: str) -> list[str]:
    problems = _placeholder_problems(question["label"], per_characteristic, f"{source}: {where}.label")
    if question["id"] in RESERVED_QUESTION_IDS:
        problems.append(f"{source}: {where}.id: {question['id']!r} is reserved (it names part of the form)")
    for key in ("when", "required_when"):
        if key in question:
            problems += [f"{source}: {e}" for e in check_rule(question[key], QUESTIONNAIRE_SOURCES, f"{where}.{key}")]
    if question.get("required") and "required_when" in question:
        problems.append(f"{source}: {where}: use either required or required_when, not both")
    has_choices = "choices" in question or "choices_from" in question
    if question["type"] in ("radios", "checkboxes", "select"):
        if ("choices" in question) == ("choices_from" in question):
            problems.append(
                f"{source}: {where}: a {question['type']} question needs exactly one of choices or choices_from"
            )
    elif has_choices:
        problems.append(f"{source}: {where}: only radios, checkboxes and select questions have choices")
    if "suggestions_from" in question and question["type"] != "text":
        problems.append(f"{source}: {where}: suggestions_from is only for text questions")
    if "date_constraint" in question and question["type"] != "date":
        problems.append(f"{source}: {where}: date_constraint is only for date questions")
    if "max_length" in question and question["type"] not in ("text", "textarea"):
        problems.append(f"{source}: {where}: max_length is only for text and textarea questions")
    if "choices" in question:
        values = [c["value"] for c in question["choices"]]
        problems += [f"{source}: {where}.choices: duplicate value {d!r}" for d in _duplicates(values)]
    return problems


def _known_pages(questionnaire: dict[str, Any]) -> dict[str, tuple[set[str], bool]]:
    """page id -> (its question ids, whether it is per characteristic)."""
    return {
        page["id"]: ({q["id"] for q in page["questions"]}, task.get("for_each") == "characteristic")
        for section in questionnaire["sections"]
        for task in section["tasks"]
        for page in task["pages"]
    }


def _identifier_problems(data: dict[str, Any], source: str) -> list[str]:
    """Every answers identifier in a rule must name a real page and question."""
    return answer_identifier_problems(data, data, "$", source, current_characteristic=True)


def answer_identifier_problems(
    questionnaire: dict[str, Any], node: Any, path: str, source: str, *, current_characteristic: bool
) -> list[str]:
    """Problems with the answers identifiers in the rules under ``node`` (a JSON document or part of
    one at ``path``), checked against the questionnaire document. ``current_characteristic`` says
    whether ':$c' means something there (in a per-characteristic task; never in the workflow)."""
    known = _known_pages(questionnaire)
    problems = []
    for where, identifier in _answer_identifiers(node, path):
        page_part, _, question_id = identifier.partition(".")
        page_id, _, qualifier = page_part.partition(":")
        if page_id not in known:
            problems.append(f"{source}: {where}: identifier {identifier!r} names unknown page {page_id!r}")
            continue
        questions, per_characteristic = known[page_id]
        if question_id not in questions:
            problems.append(f"{source}: {where}: identifier {identifier!r} names unknown question {question_id!r}")
        if per_characteristic and not qualifier:
            wanted = "':$c' or ':*'" if current_characteristic else "':*'"
            problems.append(f"{source}: {where}: identifier {identifier!r} needs {wanted} (per-characteristic page)")
        if per_characteristic and qualifier == "$c" and not current_characteristic:
            problems.append(
                f"{source}: {where}: identifier {identifier!r}: ':$c' means nothing here "
                "(there is no current characteristic): use ':*'"
            )
        if not per_characteristic and qualifier:
            problems.append(f"{source}: {where}: identifier {identifier!r}: page {page_id!r} is not per characteristic")
    return problems


def _answer_identifiers(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if node.get("source") == "answers" and isinstance(node.get("identifier"), str):
            yield path, node["identifier"]
            return
        for key, value in node.items():
            yield from _answer_identifiers(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _answer_identifiers(value, f"{path}[{index}]")


def _sections(questionnaire: dict[str, Any]) -> tuple[SectionDef, ...]:
    def question(data: dict[str, Any]) -> Question:
        return Question(
            id=data["id"],
            type=data["type"],
            label=data["label"],
            name=data.get("name", data["label"].lower()),
            hint=data.get("hint"),
            required=data.get("required", False),
            required_when=data.get("required_when"),
            when=data.get("when"),
            max_length=data.get("max_length", {"text": 200, "textarea": 10000}.get(data["type"])),
            choices=tuple(Choice(c["value"], c["label"], c.get("hint")) for c in data.get("choices", ())),
            choices_from=data.get("choices_from"),
            suggestions_from=data.get("suggestions_from"),
            date_constraint=data.get("date_constraint"),
        )

    return tuple(
        SectionDef(
            id=section["id"],
            title=section["title"],
            empty_message=section.get("empty_message"),
            tasks=tuple(
                TaskDef(
                    id=task["id"],
                    title=task["title"],
                    for_each=task.get("for_each"),
                    when=task.get("when"),
                    one_page_title=task.get("all_on_one_page", {}).get("title"),
                    one_page_hint=task.get("all_on_one_page", {}).get("hint"),
                    pages=tuple(
                        PageDef(
                            id=page["id"],
                            title=page["title"],
                            type=page.get("type", "form"),
                            when=page.get("when"),
                            item_name=page.get("item_name"),
                            max_items=page.get("max_items", 50),
                            min_items_when=page.get("min_items_when"),
                            questions=tuple(question(q) for q in page["questions"]),
                            replay_title=page.get("replay", {}).get("title"),
                            replay=tuple(
                                ReplayedAnswer(item["identifier"], tuple(item.get("only", ())))
                                for item in page.get("replay", {}).get("answers", ())
                            ),
                        )
                        for page in task["pages"]
                    ),
                )
                for task in section["tasks"]
            ),
        )
        for section in questionnaire["sections"]
    )


def _build(questionnaire: dict[str, Any], characteristics: dict[str, Any]) -> Questionnaire:
    sections = _sections(questionnaire)
    return Questionnaire(
        id=questionnaire["id"],
        version=questionnaire["version"],
        title=questionnaire["title"],
        sections=sections,
        aims={a["id"]: Aim(a["id"], a["label"], a["short_label"]) for a in characteristics["aims"]},
        characteristics={
            c["id"]: Characteristic(c["id"], c["name"], c["statutory"], tuple(c["aims"]), c.get("hint", ""))
            for c in characteristics["characteristics"]
        },
        bindings=build_bindings(questionnaire.get("bindings", LEGACY_BINDINGS), sections),
    )


QUESTIONNAIRE_FILE = "questionnaire-eia.json"
CHARACTERISTICS_FILE = "characteristics.json"


def questionnaire_problems(directory: Path) -> list[str]:
    """Every problem in the questionnaire and characteristics files of ``directory``."""
    return _load(directory)[1]


def load_questionnaire(directory: Path) -> Questionnaire:
    questionnaire, problems = _load(directory)
    if problems or questionnaire is None:
        raise DefinitionError(problems)
    return questionnaire


def read_questionnaire_documents(directory: Path, problems: list[str]) -> tuple[Any, Any]:
    """The questionnaire and characteristics documents of ``directory`` (None where unreadable)."""
    return read_json(directory / QUESTIONNAIRE_FILE, problems), read_json(directory / CHARACTERISTICS_FILE, problems)


def check_questionnaire_documents(questionnaire: Any, characteristics: Any) -> list[str]:
    problems = check_characteristics(characteristics, CHARACTERISTICS_FILE)
    return problems or questionnaire_document_problems(questionnaire, characteristics, QUESTIONNAIRE_FILE)


def questionnaire_document_problems(questionnaire: Any, characteristics: dict[str, Any], source: str) -> list[str]:
    """Every problem in one questionnaire document (read from ``source``), given valid characteristics."""
    problems = check_questionnaire(questionnaire, source)
    if problems:
        return problems
    sections = _sections(questionnaire)
    aim_ids = [aim["id"] for aim in characteristics["aims"]]
    return _reveal_problems(sections, source) + binding_problems(questionnaire["bindings"], sections, aim_ids, source)


def build_questionnaire(questionnaire: dict[str, Any], characteristics: dict[str, Any]) -> Questionnaire:
    """The domain objects for documents already checked (or pinned when they were valid). A pinned
    questionnaire from before bindings existed is read with the bindings shipped then; the document
    itself is not changed."""
    return _build(questionnaire, characteristics)


def _load(directory: Path) -> tuple[Questionnaire | None, list[str]]:
    problems: list[str] = []
    questionnaire, characteristics = read_questionnaire_documents(directory, problems)
    if problems:
        return None, problems
    problems = check_questionnaire_documents(questionnaire, characteristics)
    return (None, problems) if problems else (build_questionnaire(questionnaire, characteristics), [])


def _reveal_problems(sections: tuple[SectionDef, ...], source: str) -> list[str]:
    problems = []
    for s, section in enumerate(sections):
        for t, task in enumerate(section.tasks):
            for p, page in enumerate(task.pages):
                for n, question in enumerate(page.questions):
                    try:
                        reveal_of(page, question)
                    except ValueError as error:
                        where = f"$.sections[{s}].tasks[{t}].pages[{p}].questions[{n}].when"
                        problems.append(f"{source}: {where}: {error}")
    return problems
