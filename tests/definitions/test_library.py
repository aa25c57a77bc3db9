"""The definitions folder holds any number of questionnaires and workflows; subject-types.json says which
kind of proposal follows which. Every problem is reported at once, as "file: JSON path: what"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from eia.extensions import db
from eia.models import User
from eia.services import assessments
from eia.services.definitions import definition_problems, definitions_of, load_library
from eia.services.demo import seed
from tests.conftest import PASSWORD
from tests.workflow_copies import WORKFLOWS


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, folder)
    return folder


def _write(path: Path, document) -> None:
    path.write_text(json.dumps(document))


def _subject_types(folder: Path) -> dict:
    return json.loads((folder / "subject-types.json").read_text())


def test_the_shipped_folder_maps_every_kind_of_proposal():
    library = load_library(WORKFLOWS)
    values = [kind.value for kind in library.subject_types]
    for wanted in ("sop", "policy", "change_programme", "procurement", "operation", "workforce", "technology"):
        assert wanted in values
    for kind in library.subject_types:
        definitions = library.definitions_for_subject(kind)
        assert (definitions.questionnaire.id, definitions.workflow.id) == (kind.questionnaire_id, kind.workflow_id)


def test_mapping_problems_are_each_reported(tmp_path):
    folder = _copy(tmp_path)
    kinds = _subject_types(folder)
    kinds["subject_types"][0]["questionnaire"] = "eia_full"
    kinds["subject_types"][1]["workflow"] = "fast-track"
    kinds["subject_types"][2]["value"] = kinds["subject_types"][3]["value"]
    _write(folder / "subject-types.json", kinds)
    assert definition_problems(folder) == [
        "subject-types.json: $.subject_types[0].questionnaire: unknown questionnaire 'eia_full' (known: eia, eia-human-rights, "
        "eia-screening)",
        "subject-types.json: $.subject_types[1].workflow: unknown workflow 'fast-track' (known: eia-adviser-review, eia-standard)",
        "subject-types.json: $.subject_types[3].value: duplicate subject type 'change_programme'",
    ]


def test_a_missing_mapping_a_stray_file_and_a_reused_id_are_reported(tmp_path):
    folder = _copy(tmp_path)
    (folder / "subject-types.json").unlink()
    _write(folder / "notes.json", {"title": "not a definition"})
    shutil.copyfile(folder / "questionnaire-eia.json", folder / "questionnaire-copy.json")
    assert definition_problems(folder) == [
        f"subject-types.json: file not found in {folder}",
        'notes.json: $: neither a questionnaire (it has no "sections") nor a workflow (it has no "states")',
        "questionnaire-eia.json: $.id: the questionnaire id 'eia' is also used by questionnaire-copy.json",
    ]


def test_an_overlong_kind_is_refused_before_it_reaches_the_database(tmp_path):
    folder = _copy(tmp_path)
    kinds = _subject_types(folder)
    kinds["subject_types"][0]["value"] = "a" * 41
    _write(folder / "subject-types.json", kinds)
    assert definition_problems(folder) == [
        "subject-types.json: $.subject_types[0].value: must be 40 characters or fewer"
    ]


@pytest.fixture
def two_questionnaires(tmp_path) -> Path:
    """Operations follow a shorter questionnaire of their own; everything else the full one."""
    folder = _copy(tmp_path)
    short = json.loads((folder / "questionnaire-eia.json").read_text())
    short["id"], short["title"] = "eia_operations", "Equality impact assessment for operations"
    _write(folder / "questionnaire-operations.json", short)
    kinds = _subject_types(folder)
    for kind in kinds["subject_types"]:
        if kind["value"] == "operation":
            kind["questionnaire"] = "eia_operations"
    _write(folder / "subject-types.json", kinds)
    return folder


def test_the_kind_chosen_at_the_start_chooses_the_questionnaire_it_pins(make_app, two_questionnaires):
    app = make_app(WORKFLOWS_DIR=two_questionnaires)
    with app.app_context():
        seed(PASSWORD)
        author = db.session.scalar(select(User).where(User.email == "author@example.org"))
        operation = assessments.start(author, "operation")
        policy = assessments.start(author, "policy")
        assert definitions_of(operation).questionnaire.id == "eia_operations"
        assert definitions_of(policy).questionnaire.id == "eia"
        assert operation.definitions_sha256 != policy.definitions_sha256
        assert (operation.subject_type, operation.answers["subject"]["subject_type"]) == ("operation", "operation")
        # The subject page offers only the kinds that follow the same questionnaire and workflow.
        offered = [c.value for c in assessments.answer_options(operation)["subject_types"]]
        assert offered == ["operation"]
        assert "operation" not in [c.value for c in assessments.answer_options(policy)["subject_types"]]
        with pytest.raises(assessments.UnknownSubjectType):
            assessments.start(author, "martian")


def test_an_organisation_chooses_the_questionnaire_for_a_kind_of_proposal(make_app, two_questionnaires):
    from eia.models import AuditEvent, Organisation
    from tests.conftest import signed_in

    app = make_app(WORKFLOWS_DIR=two_questionnaires)
    with app.app_context():
        seed(PASSWORD)
    admin = signed_in(app, "admin@example.org")
    page = admin.get("/admin/subject-types")
    chosen = page.find("select", id="questionnaire-policy").find("option", selected="")
    assert chosen.attrs["value"] == "eia"
    fields = page.form_fields(page.form())
    refused = admin.post("/admin/subject-types", {**fields, "questionnaire-policy": "eia_martian"}, status=400)
    assert refused.error_messages == ["Select a questionnaire and a route for each kind of proposal from the lists"]
    admin.post("/admin/subject-types", {**fields, "questionnaire-policy": "eia_operations"})

    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.slug == "example-constabulary"))
        assert organisation.subject_type_routes == {
            "policy": {"questionnaire": "eia_operations", "workflow": "eia-standard"}
        }
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "organisation.subject_type_routes_changed")
        ).one()
        assert event.details["after"] == organisation.subject_type_routes
        author = db.session.scalar(select(User).where(User.email == "author@example.org"))
        assert definitions_of(assessments.start(author, "policy")).questionnaire.id == "eia_operations"
        neighbour = db.session.scalar(select(User).where(User.email == "author@neighbouring.example.org"))
        assert definitions_of(assessments.start(neighbour, "policy")).questionnaire.id == "eia", (
            "another organisation keeps the folder's mapping"
        )


def test_a_workflow_is_checked_against_every_questionnaire_it_is_paired_with(two_questionnaires):
    short = json.loads((two_questionnaires / "questionnaire-operations.json").read_text())
    for section in short["sections"]:
        for task in section["tasks"]:
            for page in task["pages"]:
                page["questions"] = [
                    q for q in page["questions"] if q["id"] not in ("board_review_requested", "board_review_reason")
                ]
    _write(two_questionnaires / "questionnaire-operations.json", short)
    problems = definition_problems(two_questionnaires)
    assert problems == [
        "eia-standard.json (with questionnaire-operations.json): $.rule_sets.escalation[3].when.==[0]: identifier "
        "'outcome.board_review_requested' names unknown question 'board_review_requested'"
    ]
