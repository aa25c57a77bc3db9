"""Authorisation for views: roles per route here; object-level rules live in eia.services.access."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from eia.models import Assessment
from eia.services import assessments
from eia.services.database import NotAllowed


def role_required(*roles: str) -> Callable:
    """Signed in, with one of ``roles``; anyone else gets 403 (anonymous users go to sign in)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)  # read by the route-permission tests
        return wrapped

    return decorator


def visible_or_404(assessment_id: int) -> Assessment:
    """The assessment if the signed-in user may see it; 404 otherwise, so its existence is not revealed."""
    try:
        return assessments.get_visible(current_user, assessment_id)
    except NotAllowed:
        abort(404)
