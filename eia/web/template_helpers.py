"""Filters and globals shared by all templates."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, g, render_template_string, request, url_for
from flask_login import current_user
from markupsafe import Markup

from eia.domain.capabilities import capabilities_of
from eia.clock import UK


# GOV.UK tag colour per workflow state; the label comes from the workflow definition.
STATE_TAG_CLASSES = {
    "draft": "govuk-tag--grey",
    "submitted": "govuk-tag--blue",
    "with_approver": "govuk-tag--light-blue",
    "with_board": "govuk-tag--purple",
    "returned": "govuk-tag--orange",
    "approved": "govuk-tag--green",
    "rejected": "govuk-tag--red",
    "withdrawn": "govuk-tag--grey",
}


def format_date(value: date | datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(UK).date()
    return f"{value.day} {value.strftime('%B %Y')}"


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(UK)
    hour = local.strftime("%I").lstrip("0") or "12"
    return f"{local.day} {local.strftime('%B %Y')} at {hour}:{local.strftime('%M%p').lower()}"


def state_tag(state_id: str) -> dict:
    # Labels come from the loaded workflow; an assessment pinned to an older version may be in a
    # state it no longer has, which is shown by its id rather than failing the page.
    states = current_app.extensions["eia.definitions"].workflow.states
    label = states[state_id].label if state_id in states else state_id.replace("_", " ").capitalize()
    return {"text": label, "classes": STATE_TAG_CLASSES.get(state_id, "govuk-tag--grey")}


def status_tag_html(state_id: str) -> Markup:
    """The GOV.UK tag for a state, rendered once per process: list pages show one per row, and the
    macro call cost more than the rest of the row (measured on the 50-row dashboard)."""
    cache = current_app.extensions.setdefault("eia.status_tags", {})
    if state_id not in cache:
        cache[state_id] = Markup(render_template_string(
            '{% from "govuk_frontend_jinja/components/tag/macro.html" import govukTag %}{{ govukTag(tag) }}',
            tag=state_tag(state_id)).strip())
    return cache[state_id]


NAVIGATION = (
    # (endpoint, label): each is listed to those who may open it, by the capability its view requires
    # (capability_required; eia.domain.capabilities), so a person with several roles sees every page
    # any of their roles opens.
    ("main.dashboard", "Assessments"),
    ("queues.review_queue", "Review queue"),
    ("queues.board_queue", "Board"),
    ("queues.digest", "Delegated approvals"),
    ("archive.search_page", "Archive"),
    ("lifecycle.actions", "Actions"),
    ("lifecycle.reviews", "Reviews"),
    ("compliance.report", "Compliance report"),
    ("main.notifications_page", "Notifications"),
    ("tokens.index", "API tokens"),
    ("admin.index", "Administration"),
)


def navigation() -> list[dict]:
    """The service navigation for the signed-in user's roles, one item marked current: the one whose
    address is the longest start of this page's (the digest at /board/digest is not also "Board")."""
    if not current_user.is_authenticated:
        return []
    items = _navigation_for(current_user.roles)
    path = request.path
    matching = [href for href, _ in items if path == href or (href != "/" and path.startswith(href))]
    current = max(matching, key=len, default=None)
    return [{"href": href, "text": label, "active": href == current} for href, label in items]


def _navigation_for(roles: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """(href, label) of each item someone with these roles sees, built once per app and set of roles: a URL
    for each item cost more than the rest of the header, on every page."""
    cache = current_app.extensions.setdefault("eia.navigation", {})
    key = (roles, request.script_root)
    if key not in cache:
        held = capabilities_of(roles)
        cache[key] = tuple((url_for(endpoint), label) for endpoint, label in NAVIGATION
                           if endpoint in current_app.view_functions
                           and _opens(current_app.view_functions[endpoint], held))
    return cache[key]


def _opens(view, held: frozenset[str]) -> bool:
    required = getattr(view, "required_capabilities", None)
    return required is None or not required.isdisjoint(held)


def init_app(app: Flask) -> None:
    app.add_template_filter(format_date)
    app.add_template_filter(format_datetime)
    app.add_template_global(state_tag)
    app.add_template_global(status_tag_html)
    app.add_template_global(navigation)

    @app.context_processor
    def _globals() -> dict:
        return {"csp_nonce": g.get("csp_nonce", ""), "service_name": app.config["SERVICE_NAME"]}
