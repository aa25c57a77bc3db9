"""Definitions are the only source of the workflow's meaning: no state or transition id of any workflow
in workflows/ is written as a literal in the application's code or templates. Code asks the
assessment's pinned definitions instead (queue_states, signed_off_states, a transition's purpose...).

Allowed: the definitions' own loader (whose schema words, such as the purpose "submit" or the ending
"withdrawn", may coincide with the shipped ids), its map of definitions pinned before they carried
their meaning, and demo or sample data (written for the shipped definitions)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "eia/domain/definitions.py",
    "eia/domain/workflow.py",
    "eia/domain/legacy_definitions.py",
    "eia/domain/sample_data.py",
    "eia/dataset.py",
    "eia/services/demo.py",
}
# HTML's own words that happen to be transition ids.
HTML_ATTRIBUTES = re.compile(r'\btype=["\']submit["\']')


def _workflow_ids() -> set[str]:
    ids: set[str] = set()
    for path in (ROOT / "workflows").rglob("*.json"):
        document = json.loads(path.read_text())
        if isinstance(document, dict) and "states" in document and "transitions" in document:
            ids |= {state["id"] for state in document["states"]}
            ids |= {transition["id"] for transition in document["transitions"]}
    return ids


def _sources():
    for folder, pattern in (("eia", "*.py"), ("templates", "*.html")):
        for path in sorted((ROOT / folder).rglob(pattern)):
            relative = path.relative_to(ROOT).as_posix()
            if relative not in ALLOWED:
                yield relative, path.read_text()


def test_no_workflow_id_is_written_in_code_or_templates():
    ids = _workflow_ids()
    assert {"submit", "approved", "with_board"} <= ids, "the scan reads the shipped workflow"
    alternatives = "|".join(sorted(map(re.escape, ids), key=len, reverse=True))
    literal = re.compile(rf"""["']({alternatives})["']""")
    found = []
    for relative, text in _sources():
        for number, line in enumerate(text.splitlines(), start=1):
            for match in literal.finditer(HTML_ATTRIBUTES.sub("", line)):
                found.append(f"{relative}:{number}: {match.group(0)}")
    assert found == [], "workflow ids written in code (ask the definitions instead):\n" + "\n".join(found)
