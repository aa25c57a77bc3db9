"""The annual compliance report: an accessible HTML page and a PDF with charts, for a chosen period."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from eia.clock import uk_today
from eia.domain.capabilities import VIEW_COMPLIANCE
from eia.domain.compliance import last_complete_financial_year
from eia.domain.compliance_pdf import render_compliance_pdf
from eia.services import compliance
from eia.web.permissions import capability_required

bp = Blueprint("compliance", __name__)


def _period() -> tuple[date, date, list[dict[str, str]]]:
    """The period asked for (default: the last complete financial year), and what is wrong with it."""
    default_start, default_end = last_complete_financial_year(uk_today())
    errors = []
    chosen = {}
    for name, default, example in (("from", default_start, "2025-04-01"), ("to", default_end, "2026-03-31")):
        raw = request.args.get(name, "").strip()
        if not raw:
            chosen[name] = default
            continue
        try:
            chosen[name] = date.fromisoformat(raw)
        except ValueError:
            label = "start" if name == "from" else "end"
            errors.append({"text": f"Enter the {label} date as YYYY-MM-DD, for example {example}", "href": f"#{name}"})
            chosen[name] = default
    if not errors and chosen["to"] < chosen["from"]:
        errors.append({"text": "The end date must be on or after the start date", "href": "#to"})
    return chosen["from"], chosen["to"], errors


@bp.get("/compliance-report")
@capability_required(VIEW_COMPLIANCE)
def report():
    start, end, errors = _period()
    figures = None if errors else compliance.report(current_user, start, end)
    return render_template(
        "compliance/report.html", figures=figures, start=start, end=end, errors=errors, typed=request.args
    ), (400 if errors else 200)


@bp.get("/compliance-report.pdf")
@capability_required(VIEW_COMPLIANCE)
def report_pdf():
    start, end, errors = _period()
    if errors:
        return render_template(
            "compliance/report.html", figures=None, start=start, end=end, errors=errors, typed=request.args
        ), 400
    content = render_compliance_pdf(compliance.report(current_user, start, end))
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="equality-compliance-{start}-to-{end}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
