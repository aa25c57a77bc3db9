"""Copies of workflows/ changed the way an organisation might change them, for tests that show the
application follows the definitions (and each assessment its pinned ones) with no code change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from eia.domain.bindings import SPECS, TASK

WORKFLOWS = Path(__file__).resolve().parents[1] / "workflows"


def _edit(folder: Path, name: str, change) -> None:
    document = json.loads((folder / name).read_text())
    change(document)
    document["version"] += 1
    (folder / name).write_text(json.dumps(document))


def changed_definitions(folder: Path) -> Path:
    """A copy of workflows/ with a new required question, a renamed state and no withdrawing drafts."""
    shutil.copytree(WORKFLOWS, folder)

    def add_budget(questionnaire: dict) -> None:
        aims = next(
            page
            for section in questionnaire["sections"]
            for task in section["tasks"]
            for page in task["pages"]
            if page["id"] == "aims"
        )
        aims["questions"].append({"id": "budget", "type": "text", "label": "Budget", "required": True})

    def rename_draft_and_stop_withdrawing_drafts(flow: dict) -> None:
        next(s for s in flow["states"] if s["id"] == "draft")["label"] = "Being written"
        next(t for t in flow["transitions"] if t["id"] == "withdraw")["from"].remove("draft")

    _edit(folder, "questionnaire-eia.json", add_budget)
    _edit(folder, "eia-standard.json", rename_draft_and_stop_withdrawing_drafts)
    return folder


def renamed_ids(folder: Path, prefix: str = "x_") -> Path:
    """A copy of workflows/ in which every state and transition id of the workflow has a new name."""
    shutil.copytree(WORKFLOWS, folder)

    def rename(flow: dict) -> None:
        new = {state["id"]: prefix + state["id"] for state in flow["states"]}
        flow["initial"] = new[flow["initial"]]
        for state in flow["states"]:
            state["id"] = new[state["id"]]
        for transition in flow["transitions"]:
            transition["id"] = prefix + transition["id"]
            transition["from"] = [new[state] for state in transition["from"]]
            for route in transition.get("routes", []):
                route["to"] = new[route["to"]]
            if "to" in transition:
                transition["to"] = new[transition["to"]]

    _edit(folder, "eia-standard.json", rename)
    return folder


def with_review_stage(folder: Path) -> Path:
    """A copy of workflows/ in which a submission waits for a quality check by a Board member, who
    passes it on to the approver (or returns it), before the approver's usual review."""
    shutil.copytree(WORKFLOWS, folder)

    def add_stage(flow: dict) -> None:
        states = {state["id"]: state for state in flow["states"]}
        transitions = {transition["id"]: transition for transition in flow["transitions"]}
        flow["states"].insert(
            1,
            {
                "id": "quality_check",
                "label": "Quality check",
                "tag": "pink",
                "queue": "board",
                "description": "A Board member checks the quality of the analysis first",
            },
        )
        transitions["submit"]["to"] = "quality_check"
        flow["transitions"].insert(
            1,
            {
                "id": "pass_quality_check",
                "label": "Pass to the approver",
                "purpose": "forward",
                "done_label": "Quality check passed",
                "from": ["quality_check"],
                "to": "submitted",
                "roles": ["board"],
                "comment": "optional",
                "requires": ["not_author"],
                "effects": ["notify:approver"],
            },
        )
        flow["transitions"].insert(
            2,
            {
                "id": "fail_quality_check",
                "label": "Return to the author",
                "purpose": "return",
                "done_label": "Returned after the quality check",
                "from": ["quality_check"],
                "to": "returned",
                "roles": ["board"],
                "comment": "required",
                "requires": ["not_author"],
                "effects": ["notify:author"],
            },
        )
        assert states["submitted"]["queue"] == "approver"

    _edit(folder, "eia-standard.json", add_stage)
    return folder


def _renamed(identifier: str, pages: dict[str, str], questions: dict[str, str]) -> str:
    """An answers identifier ("page.question", "page:*.question") or a bare page id, renamed."""
    page_part, dot, question_id = identifier.partition(".")
    page_id, colon, qualifier = page_part.partition(":")
    return f"{pages[page_id]}{colon}{qualifier}{dot}{questions[question_id] if dot else ''}"


def _rename_rules(node, pages: dict[str, str], questions: dict[str, str]) -> None:
    if isinstance(node, dict):
        if node.get("source") == "answers":
            node["identifier"] = _renamed(node["identifier"], pages, questions)
            return
        for value in node.values():
            _rename_rules(value, pages, questions)
    elif isinstance(node, list):
        for value in node:
            _rename_rules(value, pages, questions)


class RenamedQuestionnaire:
    """A copy of workflows/ in which every section, task, page and question of every questionnaire has a
    new id, with the questionnaires' bindings and every rule (theirs and the workflow's) following."""

    def __init__(self, folder: Path) -> None:
        shutil.copytree(WORKFLOWS, folder)
        self.folder = folder
        self.pages: dict[str, str] = {}
        self.questions: dict[str, str] = {}
        self.tasks: dict[str, str] = {}
        for path in sorted(folder.glob("*.json")):
            if "sections" in json.loads(path.read_text()):
                _edit(folder, path.name, self._rename_questionnaire)
        _edit(folder, "eia-standard.json", lambda flow: _rename_rules(flow, self.pages, self.questions))

    def _rename_questionnaire(self, questionnaire: dict) -> None:
        for section in questionnaire["sections"]:
            section["id"] = f"part_{section['id']}"
            for task in section["tasks"]:
                task["id"] = self.tasks.setdefault(task["id"], f"job_{task['id']}")
                for page in task["pages"]:
                    page["id"] = self.pages.setdefault(page["id"], f"screen_{page['id']}")
                    for question in page["questions"]:
                        question["id"] = self.questions.setdefault(question["id"], f"ask_{question['id']}")
        _rename_rules(questionnaire["sections"], self.pages, self.questions)
        bindings = questionnaire["bindings"]
        for name, value in bindings.items():
            if isinstance(value, dict):
                bindings[name] = {aim: _renamed(i, self.pages, self.questions) for aim, i in value.items()}
            elif SPECS[name].kind == TASK:
                bindings[name] = self.tasks[value]
            else:
                bindings[name] = _renamed(value, self.pages, self.questions)

    def answers(self, answers: dict) -> dict:
        """Answers to the shipped questionnaire, as the renamed one stores them."""
        renamed = {}
        for page_key, values in answers.items():
            page_id, colon, qualifier = page_key.partition(":")
            if "items" in values:
                values = {
                    **values,
                    "items": [{self.questions[k]: v for k, v in item.items()} for item in values["items"]],
                }
            else:
                values = {self.questions[k]: v for k, v in values.items()}
            renamed[f"{self.pages[page_id]}{colon}{qualifier}"] = values
        return renamed
