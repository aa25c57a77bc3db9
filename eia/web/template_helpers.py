"""Filters and globals shared by all templates."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, g, render_template_string, request, url_for
from flask_login import current_user
from markupsafe import Markup

from eia.clock import UK
from eia.domain.capabilities import capabilities_of
from eia.services.definitions import HasDefinitions, definitions_of
from eia.services.trail import decision_trail, trail_problems


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
        tag = (
            {"text": state.label, "classes": f"govuk-tag--{state.tag}"}
            if state
            else {"text": "Status unknown", "classes": "govuk-tag--grey"}
        )
        cache[key] = Markup(
            render_template_string(
                '{% from "govuk_frontend_jinja/components/tag/macro.html" import govukTag %}{{ govukTag(tag) }}',
                tag=tag,
            ).strip()
        )
    return cache[key]


HOME = "main.dashboard"
NAVIGATION = (
    # (endpoint, label, the other pages it is the current item for): each is listed to those who may open
    # it, by the capability its view requires (capability_required; eia.domain.capabilities). Six at most
    # for anyone: the work queues are reached from Home, which counts what waits in them; account pages
    # (notifications, API tokens, password, sign out) are links in the header.
    (HOME, "Home", ("queues.review_queue", "queues.quality_review_queue", "queues.board_queue", "queues.digest")),
    ("main.assessments_list", "Assessments", ()),
    ("archive.search_page", "Archive", ()),
    ("lifecycle.actions", "Actions", ("lifecycle.reviews",)),
    ("compliance.report", "Compliance report", ()),
    ("admin.index", "Administration", ()),
)

ACCOUNT_LINKS = (
    ("main.notifications_page", "Notifications"),
    ("account.index", "Your account"),
    ("tokens.index", "API tokens"),
    ("auth.change_password", "Change your password"),
)


def navigation() -> list[dict]:
    """The service navigation for the signed-in user's roles, at most one item current: the one with the
    longest address that starts this page's, counting each item's other pages (the Board's queue is
    under Home). Home carries the count of what needs the person's action."""
    if not current_user.is_authenticated:
        return []
    items = _navigation_for(current_user.roles)
    path = request.path
    matches = [
        (len(prefix), index)
        for index, (_endpoint, _href, _label, prefixes) in enumerate(items)
        for prefix in prefixes
        if path == prefix or (prefix != "/" and path.startswith(prefix + "/"))
    ]
    current = max(matches, default=(0, None))[1]
    return [
        {
            "href": href,
            "text": label,
            "active": index == current,
            "count": needs_action_count() if endpoint == HOME else None,
        }
        for index, (endpoint, href, label, _prefixes) in enumerate(items)
    ]


def needs_action_count() -> int:
    """What waits on the signed-in person (see eia.services.home), counted once per request."""
    if "needs_action_count" not in g:
        from eia.clock import uk_today
        from eia.services import home

        g.needs_action_count = home.needs_action_count(current_user, uk_today())
    return g.needs_action_count


def account_links() -> list[dict]:
    """The header's links about the person's own account, with the unread notifications counted."""
    if not current_user.is_authenticated:
        return []
    from eia.services import notifications

    links = []
    for href, label, endpoint in _account_links_for(current_user.roles):
        count = notifications.unread_count(current_user) if endpoint == "main.notifications_page" else None
        links.append({"href": href, "text": label, "count": count, "active": request.path == href})
    return links


def _account_links_for(roles: frozenset[str]) -> tuple[tuple[str, str, str], ...]:
    cache = current_app.extensions.setdefault("eia.account_links", {})
    key = (roles, request.script_root)
    if key not in cache:
        held = capabilities_of(roles)
        cache[key] = tuple(
            (url_for(endpoint), label, endpoint)
            for endpoint, label in ACCOUNT_LINKS
            if endpoint in current_app.view_functions and _opens(current_app.view_functions[endpoint], held)
        )
    return cache[key]


def _navigation_for(roles: frozenset[str]) -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """(endpoint, href, label, addresses it is current for) of each item someone with these roles sees, built once
    per app and set of roles: a URL for each item cost more than the rest of the header, on every page."""
    cache = current_app.extensions.setdefault("eia.navigation", {})
    key = (roles, request.script_root)
    if key not in cache:
        held = capabilities_of(roles)
        cache[key] = tuple(
            (
                endpoint,
                url_for(endpoint),
                label,
                (
                    url_for(endpoint).rstrip("/") or "/",
                    *(url_for(other).rstrip("/") for other in others if other in current_app.view_functions),
                ),
            )
            for endpoint, label, others in NAVIGATION
            if endpoint in current_app.view_functions and _opens(current_app.view_functions[endpoint], held)
        )
    return cache[key]


def _opens(view, held: frozenset[str]) -> bool:
    required = getattr(view, "required_capabilities", None)
    return required is None or not required.isdisjoint(held)


def init_app(app: Flask) -> None:
    app.add_template_filter(format_date)
    app.add_template_filter(format_datetime)
    app.add_template_global(status_tag_html)
    app.add_template_global(decision_trail, "trail_of")
    app.add_template_global(trail_problems, "trail_problems_of")
    app.add_template_global(navigation)
    app.add_template_global(account_links)

    @app.context_processor
    def _globals() -> dict:
        return {"csp_nonce": g.get("csp_nonce", ""), "service_name": app.config["SERVICE_NAME"]}
