"""The archive for auditors (and, read-only, the Board and administrators): search, a record's
history and integrity, verifying a file, and the register export."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from eia.clock import UK, uk_today
from eia.domain.capabilities import EXPORT_REGISTER, READ_ARCHIVE, VERIFY_RECORDS
from eia.domain.search import QueryError, neutralise_cell, parse_query
from eia.models.types import utcnow
from eia.services import auditor, search
from eia.services.database import NotAllowed
from eia.services.definitions import current_definitions
from eia.web.forms import VersionedForm
from eia.web.permissions import capability_required

bp = Blueprint("archive", __name__, url_prefix="/archive")

MAX_PAGE = 100_000
SORT_LABELS = {"relevance": "Relevance", "newest": "Newest decision first", "title": "Title (A to Z)"}


# --- the search form --------------------------------------------------------------------------------


def filter_options() -> dict[str, list[tuple[str, str]]]:
    defs = current_definitions()
    labels = search.choice_labels(defs)
    organisation = current_user.organisation
    characteristics = defs.questionnaire.applicable_characteristics(
        defs.questionnaire.default_characteristic_ids(organisation.extra_characteristics or ())
    )
    return {
        "department": [(str(d.id), d.name) for d in organisation.departments],
        "subject_type": list(labels["subject_type"].items()),
        "characteristic": [(c.id, c.name) for c in characteristics],
        "outcome": list(labels["outcome"].items()),
        "status": search.statuses(defs),
        "board": [("yes", "Went to the Board"), ("no", "Did not go to the Board")],
        "sort": list(SORT_LABELS.items()),
    }


def _day(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None


def parse_filters(args) -> tuple[search.SearchFilters, int, list[dict]]:
    """The search in the query string, the page number, and an error for each value that cannot be used."""
    options = filter_options()
    errors: list[dict] = []
    chosen: dict[str, str | None] = {}
    for name, label in (
        ("department", "department"),
        ("subject_type", "subject type"),
        ("characteristic", "characteristic"),
        ("outcome", "outcome"),
        ("status", "status"),
        ("board", "Board option"),
        ("sort", "sort order"),
    ):
        value = args.get(name, "")
        if value and value not in dict(options[name]):
            errors.append({"text": f"Select a {label} from the list", "href": f"#{name}"})
            value = ""
        chosen[name] = value or None
    try:
        query = parse_query(args.get("q", ""))
    except QueryError as error:
        errors.append({"text": str(error), "href": "#q"})
        query = parse_query("")
    dates: dict[str, date | None] = {}
    for name, label in (("decided_from", "start"), ("decided_to", "end")):
        value = args.get(name, "").strip()
        dates[name] = _day(value) if value else None
        if value and dates[name] is None:
            errors.append({"text": f"Enter the {label} date as YYYY-MM-DD, for example 2026-10-01", "href": f"#{name}"})
    if dates["decided_from"] and dates["decided_to"] and dates["decided_to"] < dates["decided_from"]:
        errors.append({"text": "The end date must be on or after the start date", "href": "#decided_to"})
    raw_page = args.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 1 <= int(raw_page) <= MAX_PAGE else 0
    if not page:
        errors.append({"text": f"The page number must be a whole number from 1 to {MAX_PAGE:,}", "href": "#results"})
    filters = search.SearchFilters(
        query=query,
        department_id=int(chosen["department"]) if chosen["department"] else None,
        subject_type=chosen["subject_type"],
        adverse_characteristic=chosen["characteristic"],
        outcome=chosen["outcome"],
        status=chosen["status"],
        decided_from=dates["decided_from"],
        decided_to=dates["decided_to"],
        went_to_board={"yes": True, "no": False}.get(chosen["board"] or ""),
        review_overdue=args.get("overdue") == "yes",
        sort=chosen["sort"] or "",
    )
    return filters, page or 1, errors


def pagination(result: search.SearchResult, args) -> dict | None:
    """GOV.UK pagination: first, last, the current page and its neighbours, ellipses between."""
    if result.pages <= 1:
        return None

    def href(number: int) -> str:
        return url_for(".search_page", **{**args.to_dict(), "page": number}) + "#results"

    shown = sorted({1, result.pages, result.page - 1, result.page, result.page + 1} & set(range(1, result.pages + 1)))
    items: list[dict] = []
    for previous, number in zip([0, *shown], shown, strict=False):
        if number - previous > 1 and previous:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == result.page})
    component: dict = {"items": items}
    if result.page > 1:
        component["previous"] = {"href": href(result.page - 1)}
    if result.page < result.pages:
        component["next"] = {"href": href(result.page + 1)}
    return component


def _select_items(options: dict, args) -> dict[str, list[dict]]:
    items = {}
    for name, values in options.items():
        first = "Best match" if name == "sort" else "Any"
        items[name] = [{"value": "", "text": first}] + [
            {"value": value, "text": text, "selected": value == args.get(name)} for value, text in values
        ]
    return items


@bp.get("/")
@capability_required(READ_ARCHIVE)
def search_page():
    filters, page, errors = parse_filters(request.args)
    result = (
        None if errors else search.search(current_user, filters, page, current_app.config.get("ARCHIVE_PAGE_SIZE", 20))
    )
    options = filter_options()
    return render_template(
        "archive/search.html",
        result=result,
        filters=filters,
        errors=errors,
        select_items=_select_items(options, request.args),
        labels={name: dict(values) for name, values in options.items()},
        pagination=pagination(result, request.args) if result else None,
        export_args=request.args.to_dict(),
        today=uk_today(),
    ), (400 if errors else 200)


# --- the register export -----------------------------------------------------------------------------


def _export_rows():
    filters, _page, errors = parse_filters(request.args)
    if errors:
        abort(400)
    return [tuple(neutralise_cell(cell) for cell in row) for row in search.register_rows(current_user, filters)]


def _export_name(extension: str) -> str:
    return f"eia-register-{datetime.now(UK):%Y-%m-%d}.{extension}"


def _attachment(content: bytes, mimetype: str, name: str) -> Response:
    # send_file writes an RFC 6266 Content-Disposition (filename, and filename* when needed).
    response = send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/register.csv")
@capability_required(EXPORT_REGISTER)
def export_csv():
    rows = _export_rows()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(search.REGISTER_COLUMNS)
    writer.writerows([cell.isoformat() if isinstance(cell, date) else cell for cell in row] for row in rows)
    auditor.record_export(current_user, "csv", len(rows), request.args.to_dict())
    # A byte order mark so that spreadsheet programs read the file as UTF-8.
    return _attachment(("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv", _export_name("csv"))


@bp.get("/register.xlsx")
@capability_required(EXPORT_REGISTER)
def export_xlsx():
    from openpyxl import Workbook

    rows = _export_rows()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Register")
    sheet.append(search.REGISTER_COLUMNS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    auditor.record_export(current_user, "xlsx", len(rows), request.args.to_dict())
    return _attachment(
        buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _export_name("xlsx")
    )


# --- a record ------------------------------------------------------------------------------------------


@bp.get("/<id:assessment_id>")
@capability_required(READ_ARCHIVE)
def record(assessment_id: int):
    try:
        history = auditor.record_history(current_user, assessment_id)
    except NotAllowed:
        abort(404)
    checking = request.args.get("check") == "integrity"
    checks = {}
    chain = None
    if checking:  # computed on request only; reads, changes nothing
        checks = {aid: auditor.check_record(r) for aid, r in history.archived.items()}
        chain = auditor.check_audit_chain(recheck=request.args.get("recheck") == "yes")
    current = next(v for v in history.versions if v.id == assessment_id)
    return render_template(
        "archive/record.html",
        assessment=current,
        history=history,
        checking=checking,
        checks=checks,
        chain=chain,
        labels={name: dict(values) for name, values in filter_options().items()},
        now=utcnow(),
    )


# --- verifying a file -----------------------------------------------------------------------------------


def _size_label(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def _verify_page(verdict=None, errors=None, status: int = 200):
    # formdata=None: the form only carries the CSRF token, and reading the body again would fail when it was too large.
    return render_template(
        "archive/verify.html",
        form=VersionedForm(formdata=None),
        verdict=verdict,
        errors=errors or [],
        limit=_size_label(current_app.config["MAX_CONTENT_LENGTH"]),
    ), status


@bp.get("/verify")
@capability_required(VERIFY_RECORDS)
def verify_form():
    return _verify_page()


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    # Only the upload takes a body this large; the limit is the app's MAX_CONTENT_LENGTH.
    limit = _size_label(current_app.config["MAX_CONTENT_LENGTH"])
    return _verify_page(errors=[{"text": f"The selected file must be {limit} or smaller", "href": "#file"}], status=413)


@bp.post("/verify")
@capability_required(VERIFY_RECORDS)
def verify_file():
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _verify_page(errors=[{"text": "Select a PDF file", "href": "#file"}], status=400)
    content = upload.read()
    if not content:
        return _verify_page(errors=[{"text": "The selected file is empty", "href": "#file"}], status=400)
    verdict = auditor.verify_upload(current_user, upload.filename, content)
    return _verify_page(verdict=verdict)
