"""Function-level authorisation for views. Object-level checks live in eia.services.access."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


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
