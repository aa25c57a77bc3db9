"""The policy register pages: the coverage view of the organisation's policies, procedures and change
programmes, an entry and its assessments, adding, changing and importing entries, and starting or linking
an assessment. Thin: eia.services.policy_register decides and writes."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovTextInput
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import DateField, SelectField, StringField

from eia.domain.capabilities import MANAGE_POLICY_REGISTER, VIEW_POLICY_REGISTER, WRITE_ASSESSMENTS
from eia.extensions import db
from eia.models import PolicyRegisterEntry
from eia.services import policy_register as register
from eia.services.database import NotAllowed
from eia.web.forms import DateInput, VersionedForm
from eia.web.permissions import capability_required, visible_or_404

bp = Blueprint("policy_register", __name__, url_prefix="/policy-register")

SHOWN_IMPORT_PROBLEMS = 50  # the rest are counted, not listed


class EntryForm(FlaskForm):
    """The entry's fields as GOV.UK components; the service checks what is sent (one set of rules for
    the form and the import) and its messages are put on the fields."""

    title = StringField("Title", description="As the document itself is titled", widget=GovTextInput())
    kind = SelectField("Kind of document", validate_choice=False, widget=GovSelect())
    department = SelectField("Department", validate_choice=False, widget=GovSelect())
    owner = StringField(
        "Owner", description="The person responsible for the document, by name or post", widget=GovTextInput()
    )
    document_version = StringField("Document version", description="For example 2.1", widget=GovTextInput())
    review_date = DateField(
        "Review date",
        description="When the document is next due for review. For example, 31 3 2027",
        format="%d %m %Y",
        widget=DateInput(),
    )
    document_url = StringField(
        "Link to the document", description="A full web address, starting with https://", widget=GovTextInput()
    )


def _entry_form(entry: PolicyRegisterEntry | None = None) -> EntryForm:
    data = None
    if entry is not None and request.method == "GET":
        data = {
            "title": entry.title,
            "kind": entry.kind,
            "department": str(entry.department_id or ""),
            "owner": entry.owner,
            "document_version": entry.document_version,
            "review_date": entry.review_date,
            "document_url": entry.document_url,
        }
    form = EntryForm(data=data) if data else EntryForm()
    form.kind.choices = [("", "Choose")] + [(k.value, k.label) for k in register.kinds()]
    form.department.choices = ([("", "No department")] if register.manages_department(current_user, None) else []) + [
        (str(d.id), d.name)
        for d in current_user.organisation.departments
        if register.manages_department(current_user, d.id)
    ]
    return form


def _sent() -> dict:
    parts = (request.form.getlist("review_date") + ["", "", ""])[:3]
    return {
        **{
            name: request.form.get(name, "")
            for name in ("title", "kind", "department", "owner", "document_version", "document_url")
        },
        "review_date": dict(zip(("day", "month", "year"), parts, strict=True)),
    }


def _with_errors(form: EntryForm, errors: dict[str, str]) -> list[dict[str, str]]:
    summary = []
    for name in ("title", "kind", "department", "owner", "document_version", "review_date", "document_url"):
        if name in errors:
            field = getattr(form, name)
            field.errors = [errors[name]]
            summary.append(
                {"text": errors[name], "href": f"#{field.id}-day" if name == "review_date" else f"#{field.id}"}
            )
    return summary


def _entry_or_404(entry_id: int) -> PolicyRegisterEntry:
    try:
        return register.get(current_user, entry_id)
    except NotAllowed:
        abort(404)


# --- the register and its coverage ------------------------------------------------------------------------


@bp.get("/")
@capability_required(VIEW_POLICY_REGISTER)
def index():
    filters = register.read_filters(current_user, request.args)
    seen = register.register(current_user, filters)
    errors = [{"text": message, "href": f"#{name}"} for name, message in filters.problems.items()]
    return render_template(
        "register/index.html",
        register=seen,
        filters=filters,
        errors=errors,
        statuses=register.STATUSES,
        tags=register.STATUS_TAGS,
        kinds=register.kinds(),
        kind_label=register.kind_label,
        departments=current_user.organisation.departments,
        can_manage=current_user.can(MANAGE_POLICY_REGISTER),
    ), (400 if errors else 200)


@bp.get("/<id:entry_id>")
@capability_required(VIEW_POLICY_REGISTER)
def entry(entry_id: int):
    found = _entry_or_404(entry_id)
    return render_template(
        "register/entry.html",
        entry=found,
        coverage=register.entry_coverage(found),
        tags=register.STATUS_TAGS,
        statuses=register.STATUSES,
        kind_label=register.kind_label,
        can_edit=register.may_edit(current_user, found),
        can_start=current_user.can(WRITE_ASSESSMENTS),
    )


# --- adding and changing an entry ----------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@capability_required(MANAGE_POLICY_REGISTER)
def add():
    form = _entry_form()
    if request.method == "POST":
        try:
            made = register.add(current_user, _sent())
        except register.EntryInvalid as invalid:
            return render_template(
                "register/form.html", form=form, entry=None, errors=_with_errors(form, invalid.errors)
            ), 400
        flash(f"“{made.title}” added to the register", "success")
        return redirect(url_for("policy_register.entry", entry_id=made.id))
    return render_template("register/form.html", form=form, entry=None, errors=[])


@bp.route("/<id:entry_id>/edit", methods=["GET", "POST"])
@capability_required(MANAGE_POLICY_REGISTER)
def edit(entry_id: int):
    found = _entry_or_404(entry_id)
    if not register.may_edit(current_user, found):
        abort(403)
    form = _entry_form(found)
    if request.method == "POST":
        try:
            register.edit(current_user, found.id, _sent())
        except register.EntryInvalid as invalid:
            return render_template(
                "register/form.html", form=form, entry=found, errors=_with_errors(form, invalid.errors)
            ), 400
        flash("Entry saved", "success")
        return redirect(url_for("policy_register.entry", entry_id=found.id))
    return render_template("register/form.html", form=form, entry=found, errors=[])


# --- importing entries ---------------------------------------------------------------------------------------


def _import_page(errors=None, problems=None, status: int = 200):
    # formdata=None: the form only carries the CSRF token, and reading the body again would fail when too large.
    return render_template(
        "register/import.html",
        form=VersionedForm(formdata=None),
        errors=errors or [],
        problems=(problems or [])[:SHOWN_IMPORT_PROBLEMS],
        more=max(0, len(problems or []) - SHOWN_IMPORT_PROBLEMS),
        columns=register.COLUMNS,
        kinds=register.kinds(),
        max_rows=register.MAX_IMPORT_ROWS,
        departments=current_user.organisation.departments,
    ), status


@bp.get("/import")
@capability_required(MANAGE_POLICY_REGISTER)
def import_form():
    return _import_page()


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    size = current_app.config["MAX_CONTENT_LENGTH"]
    label = f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"
    return _import_page(errors=[{"text": f"The selected file must be {label} or smaller", "href": "#file"}], status=413)


@bp.post("/import")
@capability_required(MANAGE_POLICY_REGISTER)
def import_file():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(errors=[{"text": "Select a CSV file", "href": "#file"}], status=400)
    try:
        result = register.import_csv(current_user, upload.read())
    except register.ImportRefused as refused:
        count = len(refused.problems)
        summary = (
            "The file was not imported: it has 1 problem"
            if count == 1
            else f"The file was not imported: it has {count} problems"
        )
        return _import_page(
            errors=[{"text": summary, "href": "#import-problems"}], problems=refused.problems, status=400
        )
    flash(
        f"Imported: {result.added} {'entry' if result.added == 1 else 'entries'} added, {result.updated} updated",
        "success",
    )
    return redirect(url_for("policy_register.index"))


@bp.get("/template.csv")
@capability_required(MANAGE_POLICY_REGISTER)
def csv_template():
    response = Response(register.csv_template(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="policy-register-template.csv"'
    return response


# --- assessments of an entry ----------------------------------------------------------------------------------


@bp.post("/<id:entry_id>/start")
@capability_required(WRITE_ASSESSMENTS)
def start_assessment(entry_id: int):
    found = _entry_or_404(entry_id)
    try:
        assessment = register.start_assessment(current_user, found.id)
    except NotAllowed:
        abort(403)
    flash(f"Assessment started for “{found.title}”", "success")
    return redirect(url_for("questionnaire.task_list", assessment_id=assessment.id))


def _link_page(assessment, errors=None, status: int = 200):
    return render_template(
        "register/link.html",
        assessment=assessment,
        errors=errors or [],
        current=register.entry_of(assessment),
        entries=register.entries_for_linking(current_user),
        chosen=request.form.get("entry", ""),
    ), status


@bp.route("/assessments/<id:assessment_id>", methods=["GET", "POST"])
@capability_required(MANAGE_POLICY_REGISTER, WRITE_ASSESSMENTS)
def link_assessment(assessment_id: int):
    assessment = visible_or_404(assessment_id)
    if not register.may_link(current_user, assessment):
        abort(403)
    if request.method == "GET":
        return _link_page(assessment)
    chosen = request.form.get("entry", "").strip()
    found = db.session.get(PolicyRegisterEntry, int(chosen)) if chosen.isdigit() and len(chosen) < 10 else None
    if found is None or found.organisation_id != current_user.organisation_id:
        return _link_page(
            assessment, [{"text": "Select the entry of the policy register this assesses", "href": "#entry"}], 400
        )
    register.link(current_user, found, assessment)
    flash(f"Linked to “{found.title}” in the policy register", "success")
    return redirect(url_for("main.assessment", assessment_id=assessment.id))


@bp.app_template_global()
def policy_register_panel(assessment) -> dict:
    """For the assessment page: the register entry it assesses, and whether the reader may link it."""
    return {
        "entry": register.entry_of(assessment),
        "may_link": current_user.can(VIEW_POLICY_REGISTER) and register.may_link(current_user, assessment),
    }
