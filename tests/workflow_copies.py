"""Copies of workflows/ changed the way an organisation might change them, for tests that show the
application follows the definitions (and each assessment its pinned ones) with no code change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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
        aims = next(page for section in questionnaire["sections"] for task in section["tasks"]
                    for page in task["pages"] if page["id"] == "aims")
        aims["questions"].append({"id": "budget", "type": "text", "label": "Budget", "required": True})

    def rename_draft_and_stop_withdrawing_drafts(flow: dict) -> None:
        next(s for s in flow["states"] if s["id"] == "draft")["label"] = "Being written"
        next(t for t in flow["transitions"] if t["id"] == "withdraw")["from"].remove("draft")

    _edit(folder, "questionnaire-eia.json", add_budget)
    _edit(folder, "eia-standard.json", rename_draft_and_stop_withdrawing_drafts)
    return folder
