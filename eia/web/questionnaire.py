"""The policy author's journey: task list, question pages, action plan, check answers."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from eia.clock import uk_today
from eia.domain import questionnaire as q
from eia.domain.capabilities import WRITE_ASSESSMENTS
from eia.services import access, assessments, findings, legal, progress, revisions, workflow
from eia.services.database import Conflict, NotAllowed
from eia.services.definitions import definitions_of, library
from eia.web.errors import CSRF_FAILED, csrf_failed, redisplays_on_csrf_failure
from eia.web.form_builder import attach_errors, build_form, field_prefix, render_layout, submitted_values
from eia.web.forms import VersionedForm
from eia.web.permissions import capability_required, visible_or_404

bp = Blueprint("questionnaire", __name__, url_prefix="/assessments")

STATUS_LABELS = {
    q.COMPLETED: "Completed",
    q.IN_PROGRESS: "In progress",
    q.NOT_STARTED: "Not yet started",
}


def _editable_or_redirect(assessment):
    """The author's own assessment in an editable state; others see the read-only view."""
    if assessment.author_id != current_user.id:
        abort(403)
    if not access.can_edit_answers(current_user, assessment):
        flash(_why_read_only(assessment), "info")
        return redirect(url_for("main.assessment", assessment_id=assessment.id))
    return None


def _why_read_only(assessment) -> str:
    """Why the author cannot change it now, and what they can do, in the words of its workflow state."""
    state = definitions_of(assessment).workflow.state(assessment.status)
    if not state.final:
        return f"This assessment's status is {state.label}: you can change it only if it is returned to you."
    closed = f"This assessment was {state.label.lower()}: it can no longer be changed."
    latest = revisions.latest_version(assessment)
    if latest.id != assessment.id:
        return f"{closed} Version {latest.version_number} of it has been started: make any changes in that version."
    if revisions.can_start_revision(assessment, current_user):
        return f"{closed} To change it, start a revision from this page."
    return closed


NO_KIND_CHOSEN = "Select what you are assessing"


@bp.get("/new")
@capability_required(WRITE_ASSESSMENTS)
def new():
    return _start_page()


def _start_page(errors=(), status=200):
    return render_template(
        "questionnaire/start.html",
        form=VersionedForm(),
        kinds=library().subject_types,
        chosen=request.form.get("subject_type"),
        errors=list(errors),
        form_token=request.form.get("form_token") or secrets.token_urlsafe(16),
    ), status


STARTED_KEY = "started_from_form"  # session: the start form's one-time token -> the assessment it started
STARTED_KEPT = 10


@bp.post("/")
@capability_required(WRITE_ASSESSMENTS)
def start():
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    token = (request.form.get("form_token") or "")[:64]
    started = dict(session.get(STARTED_KEY) or {})
    if token and token in started:  # the same form posted again (a double click, a resend): one assessment
        return redirect(url_for(".task_list", assessment_id=started[token]))
    try:
        assessment = assessments.start(current_user, request.form.get("subject_type") or "")
    except assessments.UnknownSubjectType:
        return _start_page([{"text": NO_KIND_CHOSEN, "href": "#subject_type"}], status=400)
    if token:
        started[token] = assessment.id
        session[STARTED_KEY] = dict(list(started.items())[-STARTED_KEPT:])
    return redirect(url_for(".task_list", assessment_id=assessment.id))


@bp.get("/<id:assessment_id>/tasks")
@capability_required(WRITE_ASSESSMENTS)
def task_list(assessment_id: int):
    assessment = visible_or_404(assessment_id)
    if (response := _editable_or_redirect(assessment)) is not None:
        return response
    path = assessments.current_path(assessment)
    options = assessments.answer_options(assessment, path)
    today = uk_today()
    relevance = definitions_of(assessment).questionnaire.bindings.relevance
    sections = []
    for section in definitions_of(assessment).questionnaire.sections:
        tasks = [
            {
                "task": task,
                "status": q.task_status(path, task, options, today),
                "href": _task_href(assessment, task),
                "relevance": _relevance_shown(path, task, relevance),
            }
            for task in path.tasks
            if task.section.id == section.id
        ]
        sections.append({"section": section, "tasks": tasks})
    complete = sum(1 for s in sections for t in s["tasks"] if t["status"] == q.COMPLETED)
    total = sum(len(s["tasks"]) for s in sections)
    return render_template(
        "questionnaire/task_list.html",
        assessment=assessment,
        sections=sections,
        complete=complete,
        total=total,
        status_labels=STATUS_LABELS,
        returned=progress.latest_return(assessment),
    )


def _task_href(assessment, task: q.Task) -> str:
    """A task's link: its first page, or its place on the screen that shows every characteristic's copy."""
    if task.definition.one_page_title is not None:
        return url_for(
            ".one_page",
            assessment_id=assessment.id,
            task_definition_id=task.definition.id,
            _anchor=field_prefix(task.pages[0]),
        )
    return url_for(".page", assessment_id=assessment.id, page_id=task.pages[0].id)


def _relevance_shown(path: q.Path, task: q.Task, relevance) -> str | None:
    """The characteristic's screening rating, on the task list beside its screening and its analysis."""
    if task.characteristic is None:
        return None
    value = relevance.value(path.answers, task.characteristic)
    return q.display_value(relevance.question, value, {}) or None if value else None


@bp.route("/<id:assessment_id>/pages/<page_id>", methods=["GET", "POST"])
@redisplays_on_csrf_failure
@capability_required(WRITE_ASSESSMENTS)
def page(assessment_id: int, page_id: str):
    assessment = visible_or_404(assessment_id)
    if (response := _editable_or_redirect(assessment)) is not None:
        return response
    try:
        path, current_page = assessments.page_for(assessment, page_id)
    except assessments.PageNotAvailable:
        abort(404)
    if current_page.is_list:
        return _list_page(assessment, path, current_page)
    options = assessments.answer_options(assessment, path)
    layout = q.page_layout(path, current_page)
    questions = list(current_page.definition.questions)
    stored = assessments.stored_answers(assessment, current_page)
    errors: list[dict[str, str]] = []
    status = 200
    if request.method == "GET":
        form = build_form(current_page, questions, options, stored, assessment.lock_version)
    elif csrf_failed():
        form = build_form(current_page, questions, options, stored, assessment.lock_version, request.form)
        errors = [{"text": CSRF_FAILED, "href": "#main-content"}]
        status = 400
    else:
        form = build_form(current_page, questions, options, stored, assessment.lock_version, request.form)
        partial = request.form.get("intent") == "save_draft"
        try:
            result = assessments.save_page(
                assessment,
                current_user,
                current_page.id,
                submitted_values(questions, request.form),
                form.expected_version(),
                partial=partial,
            )
        except Conflict:
            # Show what they typed, with the newer version, so nothing they wrote is lost.
            errors = [{"text": CONFLICT_MESSAGE, "href": "#main-content"}]
            form.version.data = str(assessment.lock_version)
            status = 409
        except NotAllowed:
            abort(403)
        else:
            if result.ok:
                return _after_save(assessment, current_page, partial)
            errors = attach_errors(form, result.errors)
            status = 400
    return render_template(
        "questionnaire/page.html",
        assessment=assessment,
        page=current_page,
        form=form,
        replayed=q.replayed_answers(path, current_page, options),
        questions_html=render_layout(form, layout),
        errors=errors,
    ), status


@bp.route("/<id:assessment_id>/all/<task_definition_id>", methods=["GET", "POST"])
@redisplays_on_csrf_failure
@capability_required(WRITE_ASSESSMENTS)
def one_page(assessment_id: int, task_definition_id: str):
    """Every characteristic's copy of a task on one screen (a task the questionnaire declares
    "all_on_one_page", such as screening): one page load to read, one to save."""
    assessment = visible_or_404(assessment_id)
    if (response := _editable_or_redirect(assessment)) is not None:
        return response
    task_definition = definitions_of(assessment).questionnaire.task_definition(task_definition_id)
    if task_definition is None or task_definition.one_page_title is None:
        abort(404)
    path = assessments.current_path(assessment)
    pages = path.pages_of(task_definition)
    if not pages:
        abort(404)
    options = assessments.answer_options(assessment, path)
    outer = VersionedForm(
        formdata=request.form if request.method == "POST" else None, data={"version": str(assessment.lock_version)}
    )
    formdata = request.form if request.method == "POST" else None
    forms = {
        page.id: build_form(
            page,
            list(page.definition.questions),
            options,
            assessments.stored_answers(assessment, page),
            assessment.lock_version,
            formdata,
            prefix=field_prefix(page),
        )
        for page in pages
    }
    errors: list[dict[str, str]] = []
    status = 200
    if request.method == "POST" and csrf_failed():
        errors = [{"text": CSRF_FAILED, "href": "#main-content"}]
        status = 400
    elif request.method == "POST":
        partial = request.form.get("intent") == "save_draft"
        submitted = {
            page.id: submitted_values(list(page.definition.questions), request.form, field_prefix(page))
            for page in pages
        }
        if partial:  # only the characteristics the author has begun: the rest stay "not started"
            submitted = {
                page_id: values
                for page_id, values in submitted.items()
                if any(value not in (None, "", []) for value in values.values())
            }
        try:
            results = assessments.save_pages(
                assessment, current_user, submitted, outer.expected_version(), partial=partial
            )
        except Conflict:
            errors = [{"text": CONFLICT_MESSAGE, "href": "#main-content"}]
            outer.version.data = str(assessment.lock_version)
            status = 409
        except NotAllowed:
            abort(403)
        else:
            if all(result.ok for result in results.values()):
                if partial:
                    flash("Your answers have been saved. You can come back to them at any time.", "success")
                return redirect(url_for(".task_list", assessment_id=assessment.id))
            for page in pages:
                if page.id in results and not results[page.id].ok:
                    for entry in attach_errors(forms[page.id], results[page.id].errors):
                        errors.append(
                            {
                                **entry,
                                "text": f"{page.characteristic.name}: {entry['text']}"
                                if page.characteristic
                                else entry["text"],
                            }
                        )
            status = 400
    first_question = pages[0].definition.questions[0]
    return render_template(
        "questionnaire/one_page.html",
        assessment=assessment,
        title=task_definition.one_page_title,
        hint=task_definition.one_page_hint,
        form=outer,
        rating_definitions=[choice for choice in first_question.choices if choice.hint],
        sections=[
            {
                "page": page,
                "anchor": field_prefix(page),
                "html": render_layout(forms[page.id], q.page_layout(path, page), choice_hints=False),
            }
            for page in pages
        ],
        errors=errors,
    ), status


CONFLICT_MESSAGE = (
    "Someone else changed this assessment since you opened this page. Your answers are shown below "
    "but have not been saved: check them and save again."
)


def _after_save(assessment, current_page, partial: bool):
    if partial:
        flash("Your answers have been saved. You can come back to them at any time.", "success")
        return redirect(url_for(".task_list", assessment_id=assessment.id))
    next_page = assessments.current_path(assessment).next_page_in_task(current_page)
    if next_page is not None:
        return redirect(url_for(".page", assessment_id=assessment.id, page_id=next_page.id))
    return redirect(url_for(".task_list", assessment_id=assessment.id))


def _list_page(assessment, path, current_page, *, form=None, errors=None, status=200):
    """A list page (the action plan): the items so far, a form to add one, and "finished"."""
    options = {**assessments.answer_options(assessment, path), **assessments.suggestions(assessment)}
    questions = list(current_page.definition.questions)
    mitigations = _mitigations_not_planned(assessment, path, current_page)
    if form is None:
        chosen = next((m for m in mitigations if m["characteristic"].id == request.args.get("mitigation")), None)
        form = build_form(current_page, questions, options, chosen["item"] if chosen else {}, assessment.lock_version)
    items = [
        [
            q.AnswerRow(question, question.label, q.display_value(question, item.get(question.id), options))
            for question in questions
        ]
        for item in q.list_items(path, current_page)
    ]
    return render_template(
        "questionnaire/list_page.html",
        assessment=assessment,
        page=current_page,
        form=form,
        items=items,
        minimum=q.list_minimum(path, current_page),
        mitigations=mitigations,
        questions_html=render_layout(form, q.page_layout(path, current_page)),
        errors=errors or [],
    ), status


def _mitigations_not_planned(assessment, path: q.Path, current_page: q.Page) -> list[dict]:
    """On the action plan: each characteristic's mitigation that no action repeats yet, with the item
    that turns it into one (the author adds an owner and a due date, and nothing is typed twice)."""
    questionnaire = definitions_of(assessment).questionnaire
    plan, mitigation = questionnaire.bindings.action_plan, questionnaire.bindings.mitigation
    if current_page.id != plan.page_id:
        return []
    planned = {item.action.strip() for item in plan.items(path.answers)}
    found = []
    for characteristic in questionnaire.relevant_characteristics(path):
        text = (mitigation.value(path.answers, characteristic) or "").strip()
        if text and text not in planned:
            found.append(
                {
                    "characteristic": characteristic,
                    "text": text,
                    "item": {plan.action.id: text, plan.characteristic.id: characteristic.id},
                    "href": url_for(
                        ".page",
                        assessment_id=assessment.id,
                        page_id=current_page.id,
                        mitigation=characteristic.id,
                        _anchor="add-item",
                    ),
                }
            )
    return found


@bp.post("/<id:assessment_id>/pages/<page_id>/items")
@capability_required(WRITE_ASSESSMENTS)
def add_item(assessment_id: int, page_id: str):
    assessment = visible_or_404(assessment_id)
    if (response := _editable_or_redirect(assessment)) is not None:
        return response
    try:
        path, current_page = assessments.page_for(assessment, page_id)
    except assessments.PageNotAvailable:
        abort(404)
    questions = list(current_page.definition.questions)
    options = {**assessments.answer_options(assessment, path), **assessments.suggestions(assessment)}
    form = build_form(current_page, questions, options, {}, assessment.lock_version, request.form)
    try:
        result = assessments.add_list_item(
            assessment, current_user, page_id, submitted_values(questions, request.form), form.expected_version()
        )
    except assessments.PageNotAvailable:
        abort(404)
    except Conflict:
        form.version.data = str(assessment.lock_version)
        errors = [{"text": CONFLICT_MESSAGE, "href": "#main-content"}]
        return _list_page(
            assessment, assessments.current_path(assessment), current_page, form=form, errors=errors, status=409
        )
    if not result.ok:
        errors = attach_errors(form, result.errors)
        return _list_page(assessment, path, current_page, form=form, errors=errors, status=400)
    flash(f"{current_page.definition.item_name.capitalize()} added", "success")
    return redirect(url_for(".page", assessment_id=assessment.id, page_id=page_id))


@bp.post("/<id:assessment_id>/pages/<page_id>/items/<int(min=1, max=200):position>/remove")
@capability_required(WRITE_ASSESSMENTS)
def remove_item(assessment_id: int, page_id: str, position: int):
    assessment = visible_or_404(assessment_id)
    if (response := _editable_or_redirect(assessment)) is not None:
        return response
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        assessments.remove_list_item(assessment, current_user, page_id, position, form.expected_version())
    except assessments.PageNotAvailable:
        abort(404)
    except Conflict:
        flash(CONFLICT_MESSAGE, "info")
        return redirect(url_for(".page", assessment_id=assessment.id, page_id=page_id))
    flash("Removed", "success")
    return redirect(url_for(".page", assessment_id=assessment.id, page_id=page_id))


@bp.post("/<id:assessment_id>/pages/<page_id>/finish")
@capability_required(WRITE_ASSESSMENTS)
def finish_list(assessment_id: int, page_id: str):
    assessment = visible_or_404(assessment_id)
    if (response := _editable_or_redirect(assessment)) is not None:
        return response
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        problem = assessments.finish_list(assessment, current_user, page_id, form.expected_version())
    except assessments.PageNotAvailable:
        abort(404)
    except Conflict:
        flash(CONFLICT_MESSAGE, "info")
        return redirect(url_for(".page", assessment_id=assessment.id, page_id=page_id))
    if problem:
        path, current_page = assessments.page_for(assessment, page_id)
        return _list_page(assessment, path, current_page, errors=[{"text": problem, "href": "#add-item"}], status=400)
    return redirect(url_for(".task_list", assessment_id=assessment.id))


@bp.get("/<id:assessment_id>/check-answers")
@capability_required(WRITE_ASSESSMENTS)
def check_answers(assessment_id: int):
    assessment = visible_or_404(assessment_id)
    if (response := _editable_or_redirect(assessment)) is not None:
        return response
    path = assessments.current_path(assessment)
    options = assessments.answer_options(assessment, path)
    problems = q.submission_problems(path, options, uk_today())
    checks = [] if problems else [result for result in legal.evaluate(assessment) if not result.passed]
    submission = next((t for t in workflow.available_actions(assessment, current_user) if t.is_submission), None)
    return render_template(
        "questionnaire/check_answers.html",
        # Where a submission goes is the workflow's to say (the approver, or first an equality adviser).
        submitted_to=definitions_of(assessment).workflow.state(submission.routes[-1].to) if submission else None,
        assessment=assessment,
        summary=assessments.answer_summary(assessment, path, options),
        findings=findings.for_assessment(assessment, with_legal_checks=False),  # the page lists them with links
        problems=problems,
        submission=submission,
        blocking=[result for result in checks if result.blocks],
        warnings=[result for result in checks if not result.blocks],
        form=VersionedForm(data={"version": str(assessment.lock_version)}),
        returned=progress.latest_return(assessment),
    )
