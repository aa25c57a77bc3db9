"""Administration of one organisation: users, departments, objectives and routing settings.

Every change is audited in the same transaction. Admins act only within their own organisation.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from eia.domain.capabilities import ADMINISTER, capabilities_of
from eia.extensions import db
from eia.models import Department, EqualityObjective, Organisation, User
from eia.services import accounts, api_tokens, audit, second_factor, sessions, users
from eia.services.database import NotAllowed, unit_of_work
from eia.services.definitions import library
from eia.services.users import checked_roles


class AdminRefused(ValueError):
    """The change was refused; the message says why, in plain English."""


def _require_admin(actor: User) -> None:
    if not actor.can(ADMINISTER):
        raise NotAllowed("Only administrators can do this")


def set_user_active(actor: User, user_id: int, active: bool) -> User:
    _require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != actor.organisation_id:
        raise NotAllowed("No such user")
    if user.id == actor.id and not active:
        raise AdminRefused("You cannot deactivate your own account")
    with unit_of_work():
        user.active = active
        tokens_revoked = 0
        if not active:
            sessions.revoke_all(user, "deactivated")
            # Revoked, not merely refused while inactive: reactivation does not bring them back.
            tokens_revoked = api_tokens.revoke_all(user, "account deactivated", by=actor)
        audit.record(
            "user.activated" if active else "user.deactivated",
            actor=actor,
            object_type="user",
            object_id=user.id,
            details={"email": user.email, **({} if active else {"api_tokens_revoked": tokens_revoked})},
        )
    return user


def person(actor: User, user_id: int) -> User:
    """A person in the administrator's own organisation (NotAllowed for anyone else's)."""
    _require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != actor.organisation_id:
        raise NotAllowed("No such user")
    return user


def set_user_roles(actor: User, user_id: int, roles: Iterable[str]) -> User:
    """Give a person exactly ``roles`` (one or more). AccountError (field "roles") for none or unknown ones.

    Administrators cannot take away their own administration: someone must be left to give it back."""
    user = person(actor, user_id)
    roles = checked_roles(roles)
    if user.id == actor.id and ADMINISTER not in capabilities_of(roles):
        raise AdminRefused("You cannot remove your own administrator role: ask another administrator")
    if roles == user.roles:
        return user  # nothing changed, nothing to record
    before = sorted(user.roles)
    with unit_of_work():
        user.set_roles(roles)
        audit.record(
            "user.roles_changed",
            actor=actor,
            object_type="user",
            object_id=user.id,
            details={"email": user.email, "before": before, "after": sorted(roles)},
        )
    return user


def unlink_identity(actor: User, user_id: int) -> User:
    """Remove the person's single sign-on identity (and end their sessions): their next single sign-on links
    the account again by the provider's verified email."""
    user = person(actor, user_id)
    if users.unlink_identity(user, actor=actor) is None:
        raise AdminRefused(f"{user.name} is not linked to a single sign-on identity")
    return user


def add_department(actor: User, name: str) -> Department:
    _require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise AdminRefused("Enter the department name")
    if len(name) > 200:
        raise AdminRefused("The department name must be 200 characters or fewer")
    organisation = actor.organisation
    if any(d.name.lower() == name.lower() for d in organisation.departments):
        raise AdminRefused(f"{organisation.name} already has a department called {name}")
    with unit_of_work():
        department = Department(organisation=organisation, name=name)
        db.session.add(department)
        db.session.flush()
        audit.record(
            "department.created", actor=actor, object_type="department", object_id=department.id, details={"name": name}
        )
    return department


def add_objective(actor: User, code: str, title: str) -> EqualityObjective:
    _require_admin(actor)
    code, title = (code or "").strip().upper(), (title or "").strip()
    if not code or not title:
        raise AdminRefused("Enter both a code and a title for the objective")
    if len(code) > 20 or len(title) > 300:
        raise AdminRefused("The code must be 20 characters or fewer and the title 300 or fewer")
    organisation = actor.organisation
    if db.session.scalar(
        select(EqualityObjective.id).where(
            EqualityObjective.organisation_id == organisation.id, EqualityObjective.code == code
        )
    ):
        raise AdminRefused(f"There is already an objective {code}")
    with unit_of_work():
        objective = EqualityObjective(organisation=organisation, code=code, title=title)
        db.session.add(objective)
        db.session.flush()
        audit.record(
            "objective.created",
            actor=actor,
            object_type="objective",
            object_id=objective.id,
            details={"code": code, "title": title},
        )
    return objective


def update_subject_type_routes(actor: User, routes: dict[str, tuple[str, str]]) -> Organisation:
    """The questionnaire and workflow each kind of proposal follows at the actor's organisation, from
    new assessments on. ``routes`` maps a subject type to (questionnaire id, workflow id)."""
    _require_admin(actor)
    kinds = library()
    if set(routes) != {kind.value for kind in kinds.subject_types} or any(
        questionnaire not in kinds.questionnaires or workflow not in kinds.workflows
        for questionnaire, workflow in routes.values()
    ):
        raise AdminRefused("Select a questionnaire and a route for each kind of proposal from the lists")
    organisation = actor.organisation
    # Only where the organisation departs from the definitions folder, so a later change there reaches it.
    departures = {
        kind.value: {"questionnaire": routes[kind.value][0], "workflow": routes[kind.value][1]}
        for kind in kinds.subject_types
        if routes[kind.value] != (kind.questionnaire_id, kind.workflow_id)
    }
    with unit_of_work():
        before = organisation.subject_type_routes or {}
        organisation.subject_type_routes = departures
        audit.record(
            "organisation.subject_type_routes_changed",
            actor=actor,
            object_type="organisation",
            object_id=organisation.id,
            details={"before": before, "after": departures},
        )
    return organisation


def update_settings(
    actor: User,
    *,
    extra_characteristics: list[str],
    board_subject_types: list[str],
    known_extras: set[str],
    known_subject_types: set[str],
) -> Organisation:
    """Which extra characteristics new assessments cover, and which subject types always go to the Board."""
    _require_admin(actor)
    unknown = (set(extra_characteristics) - known_extras) | (set(board_subject_types) - known_subject_types)
    if unknown:
        raise AdminRefused("Select options from the list")
    organisation = actor.organisation
    with unit_of_work():
        before = {
            "extra_characteristics": organisation.extra_characteristics,
            "board_subject_types": organisation.board_subject_types,
        }
        organisation.extra_characteristics = sorted(set(extra_characteristics))
        organisation.board_subject_types = sorted(set(board_subject_types))
        audit.record(
            "organisation.settings_changed",
            actor=actor,
            object_type="organisation",
            object_id=organisation.id,
            details={
                "before": before,
                "after": {
                    "extra_characteristics": organisation.extra_characteristics,
                    "board_subject_types": organisation.board_subject_types,
                },
            },
        )
    return organisation


MAX_REASON_LENGTH = 200
NO_REASON = "Enter the reason: it is kept in the audit log"


def checked_reason(reason: str | None) -> str:
    """An administrator's reason for acting on someone's account: required, one line, 200 characters at most."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise AdminRefused(NO_REASON)
    if len(reason) > MAX_REASON_LENGTH:
        raise AdminRefused(f"The reason must be {MAX_REASON_LENGTH} characters or fewer")
    return reason


def reset_second_factor(actor: User, user_id: int, reason: str | None) -> User:
    """Remove a person's second factor (a lost phone) and sign them out; they set it up again at sign-in."""
    user = person(actor, user_id)
    reason = checked_reason(reason)
    if not user.has_second_factor:
        raise AdminRefused(f"{user.name} has no authenticator app set up")
    second_factor.remove(user, actor=actor, reason=reason)
    return user


def end_sessions(actor: User, user_id: int, reason: str | None) -> int:
    """Sign a person out everywhere (the administrator's own session excepted); returns how many ended."""
    user = person(actor, user_id)
    return accounts.end_all_sessions(user, actor=actor, reason=checked_reason(reason))


def revoke_token(actor: User, user_id: int, token_id: int, reason: str | None):
    """Revoke one of a person's API tokens, with the reason they will see on their tokens page."""
    user = person(actor, user_id)
    reason = checked_reason(reason)
    return api_tokens.revoke_token(user, token_id, by=actor, reason=reason)


def set_temporary_password(actor: User, user_id: int, password: str | None) -> User:
    """Give a person a temporary password to hand over (AccountError, field "temporary-password", if it is not acceptable)."""
    user = person(actor, user_id)
    if user.id == actor.id:
        raise AdminRefused("Change your own password from your account")
    users.set_temporary_password(user, password or "", actor=actor)
    return user
