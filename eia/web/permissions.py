"""Authorisation for views: the capability each route needs here (what each role may do is the table in
eia.domain.capabilities); object-level rules live in eia.services.access."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from eia.domain.capabilities import CAPABILITIES
from eia.models import Assessment
from eia.services import assessments
from eia.services.database import NotAllowed


def capability_required(*capabilities: str) -> Callable:
    """Signed in, with any of ``capabilities`` through any of their roles; anyone else gets 403
    (anonymous users go to sign in)."""
    unknown = set(capabilities) - set(CAPABILITIES)
    if not capabilities or unknown:
        raise ValueError(f"capability_required needs known capabilities, not {sorted(unknown)}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(current_user.can(capability) for capability in capabilities):
                abort(403)
            return view(*args, **kwargs)

        # Read by the navigation (a page is listed to those who may open it) and the route-permission tests.
        wrapped.required_capabilities = frozenset(capabilities)
        return wrapped

    return decorator


def visible_or_404(assessment_id: int) -> Assessment:
    """The assessment if the signed-in user may see it; 404 otherwise, so its existence is not revealed."""
    try:
        return assessments.get_visible(current_user, assessment_id)
    except NotAllowed:
        abort(404)
