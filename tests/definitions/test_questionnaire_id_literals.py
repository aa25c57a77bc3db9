"""No code reads the questionnaire by a page or question id: only through its bindings (eia/domain/bindings.py).

Page and question ids are plain words ("outcome", "review", "title") that also name other things
(form fields, archive filters, reminder kinds), so the test looks for the ways an id is used to read
answers: an identifier ("outcome.outcome", f"screening:{c.id}"), a page looked up on a path
(``path.page("action_plan")``) or in answers (``answers.get("review")``). The behaviour is shown by
tests/services/test_questionnaire_bindings.py, which renames every id.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The definitions' own loader (the bindings of questionnaires pinned before bindings existed) and the
# demo and sample data, which are written for the shipped questionnaire.
ALLOWED = {
    "eia/domain/legacy_definitions.py",
    "eia/domain/definitions.py",
    "eia/domain/sample_data.py",
    "eia/dataset.py",
    "eia/services/demo.py",
}


def _questionnaire() -> dict:
    return json.loads((ROOT / "workflows" / "questionnaire-eia.json").read_text())


def _page_ids() -> set[str]:
    return {
        page["id"] for section in _questionnaire()["sections"] for task in section["tasks"] for page in task["pages"]
    }


def _all_ids() -> set[str]:
    """Every section, task, page and question id."""
    ids = set()
    for section in _questionnaire()["sections"]:
        ids.add(section["id"])
        for task in section["tasks"]:
            ids.add(task["id"])
            for page in task["pages"]:
                ids |= {page["id"], *(question["id"] for question in page["questions"])}
    return ids


def _literal_reads(tree: ast.AST, pages: set[str], ids: set[str] = frozenset()) -> list[tuple[int, str]]:
    identifier = re.compile(rf"^({'|'.join(sorted(pages))})(:[^.\s]*)?(\.[a-z_]+)?$")
    qualified = re.compile(rf"^({'|'.join(sorted(pages))}):")
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            if qualified.match(str(node.values[0].value)):  # f"screening:{c.id}"
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if "." in node.value and identifier.match(node.value) or qualified.match(node.value):
                found.append((node.lineno, node.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            first = node.args[0]
            receiver = ast.unparse(node.func.value)
            reads_answers = node.func.attr == "page" or (node.func.attr == "get" and "answers" in receiver)
            if reads_answers and isinstance(first, ast.Constant) and first.value in pages:
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Compare) and len(node.comparators) == 1:
            sides = (node.left, node.comparators[0])
            names_an_id = any(isinstance(side, ast.Attribute) and side.attr == "id" for side in sides)
            if names_an_id and any(isinstance(side, ast.Constant) and side.value in (ids | pages) for side in sides):
                found.append((node.lineno, ast.unparse(node)))  # task.definition.id == "analysis"
    return sorted(dict(reversed(found)).items())  # one per line (an f-string's parts are constants too)


def test_no_code_reads_answers_by_a_page_or_question_id():
    pages, ids = _page_ids(), _all_ids()
    found = []
    for source in sorted((ROOT / "eia").rglob("*.py")):
        name = source.relative_to(ROOT).as_posix()
        if name not in ALLOWED:
            found += [
                f"{name}:{line}: {text}" for line, text in _literal_reads(ast.parse(source.read_text()), pages, ids)
            ]
    assert found == []


def test_no_template_reads_answers_by_a_page_id():
    pages = "|".join(sorted(_page_ids()))
    pattern = re.compile(rf"answers(\.|\[['\"]|\.get\(['\"])({pages})\b")
    found = [
        f"{template.relative_to(ROOT)}: {match.group(0)}"
        for template in sorted((ROOT / "templates").rglob("*.html"))
        for match in pattern.finditer(template.read_text())
    ]
    assert found == []


def test_the_scan_finds_the_reads_it_is_for():
    pages = {"screening", "outcome", "action_plan", "review"}
    code = (
        'f"screening:{c.id}"\n"outcome.outcome"\npath.page("action_plan")\nassessment.answers.get("review")\n'
        'labels["outcome"]\nrequest.form.get("review")\ntask.definition.id == "analysis"\nkind == "review"\n'
    )
    assert [line for line, _ in _literal_reads(ast.parse(code), pages, {"analysis"})] == [1, 2, 3, 4, 7]
