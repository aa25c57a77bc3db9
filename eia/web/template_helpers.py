"""Filters and globals shared by all templates."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, g, render_template_string, request, url_for
from flask_login import current_user
from markupsafe import Markup

from eia.domain.capabilities import capabilities_of
from eia.clock import UK
from eia.services.definitions import HasDefinitions, definitions_of
from eia.services.trail import decision_trail


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


def status_tag_html(item: HasDefinitions) -> Markup:
    """The GOV.UK tag for an assessment's (or its search row's) state, in its own workflow's words
    and colour; rendered once per process per state: list pages show one per row, and the macro call
    cost more than the rest of the row (measured on the 50-row dashboard)."""
    cache = current_app.extensions.setdefault("eia.status_tags", {})
    key = (item.definitions_sha256, item.status)
    if key not in cache:
        state = definitions_of(item).workflow.states.get(item.status)
        tag = ({"text": state.label, "classes": f"govuk-tag--{state.tag}"} if state
               else {"text": "Status unknown", "classes": "govuk-tag--grey"})
        cache[key] = Markup(render_template_string(
            '{% from "govuk_frontend_jinja/components/tag/macro.html" import govukTag %}{{ govukTag(tag) }}',
            tag=tag).strip())
    return cache[key]


NAVIGATION = (
    # (endpoint, label): each is listed to those who may open it, by the capability its view requires
    # (capability_required; eia.domain.capabilities), so a person with several roles sees every page
    # any of their roles opens.
    ("main.dashboard", "Assessments"),
    ("queues.review_queue", "Review queue"),
    ("queues.quality_review_queue", "Quality review"),
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
    app.add_template_global(status_tag_html)
    app.add_template_global(decision_trail, "trail_of")
    app.add_template_global(navigation)

    @app.context_processor
    def _globals() -> dict:
        return {"csp_nonce": g.get("csp_nonce", ""), "service_name": app.config["SERVICE_NAME"]}
