"""The approver's review queue, the equality adviser's quality review queue, the Board's queue and its
digest of delegated approvals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user

from eia.clock import UK
from eia.domain.capabilities import (
    DECIDE_REFERRALS,
    OVERSEE_DELEGATED_APPROVALS,
    REVIEW_DEPARTMENT_SUBMISSIONS,
    REVIEW_QUALITY,
)
from eia.services import quality, queues
from eia.web.permissions import capability_required

bp = Blueprint("queues", __name__)

DIGEST_DEFAULT_DAYS = 30


@bp.get("/review")
@capability_required(REVIEW_DEPARTMENT_SUBMISSIONS)
def review_queue():
    return render_template("queues/review.html", items=queues.approver_queue(current_user))


@bp.get("/quality-review")
@capability_required(REVIEW_QUALITY)
def quality_review_queue():
    """What waits for an equality adviser's quality review, each with a summary of what to look at."""
    return render_template(
        "queues/quality_review.html", items=[quality.summary(a) for a in quality.adviser_queue(current_user)]
    )


@bp.get("/board")
@capability_required(DECIDE_REFERRALS)
def board_queue():
    return render_template("queues/board.html", items=queues.board_queue(current_user))


def _parse_day(value: str | None) -> datetime | None:
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d")
    except ValueError:
        return None
    return day.replace(tzinfo=UK).astimezone(UTC)


@bp.get("/board/digest")
@capability_required(OVERSEE_DELEGATED_APPROVALS)
def digest():
    """Sign-offs without the Board in a period (default: the last 30 days), so it can comment by exception."""
    today = datetime.now(UK).replace(hour=0, minute=0, second=0, microsecond=0)
    errors = []
    start = _parse_day(request.args.get("from")) if request.args.get("from") else None
    end_day = _parse_day(request.args.get("to")) if request.args.get("to") else None
    if request.args.get("from") and start is None:
        errors.append({"text": "Enter the start date as YYYY-MM-DD, for example 2026-10-01", "href": "#from"})
    if request.args.get("to") and end_day is None:
        errors.append({"text": "Enter the end date as YYYY-MM-DD, for example 2026-10-31", "href": "#to"})
    start = start or (today - timedelta(days=DIGEST_DEFAULT_DAYS)).astimezone(UTC)
    end = (end_day or today.astimezone(UTC)) + timedelta(days=1)  # the end day is included
    if end <= start:
        errors.append({"text": "The end date must be on or after the start date", "href": "#to"})
    items = [] if errors else queues.delegated_approvals(current_user, start, end)
    return render_template(
        "queues/digest.html",
        items=items,
        start=start.astimezone(UK).date(),
        end=(end - timedelta(days=1)).astimezone(UK).date(),
        errors=errors,
    ), (400 if errors else 200)
