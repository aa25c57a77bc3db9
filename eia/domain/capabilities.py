"""Roles and what they allow: the one table that maps each role to its capabilities.

Views are guarded by a capability (eia.web.permissions.capability_required), the navigation shows the
pages whose capability a person has, and object-level rules (eia.services.access) combine capabilities
with facts about the object (whose it is, which department). A person may hold several roles; they
can do whatever any of their roles can. Role names themselves appear only here, in the workflow
definitions (who takes a transition) and in the people who hold them.

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable

# Each role and how it is shown to people, in the order they are listed.
ROLES = {
    "author": "Policy author",
    "approver": "Approver (accountable senior officer)",
    "adviser": "Equality adviser",
    "board": "Equality and Inclusion Board member",
    "auditor": "Auditor",
    "admin": "Administrator",
}

# Capabilities, and what each lets a person do (in plain English, for the guide and the admin page).
WRITE_ASSESSMENTS = "write_assessments"
VIEW_DEPARTMENT_ASSESSMENTS = "view_department_assessments"
VIEW_ORGANISATION_ASSESSMENTS = "view_organisation_assessments"
COMMENT = "comment"
REVIEW_DEPARTMENT_SUBMISSIONS = "review_department_submissions"
REVIEW_QUALITY = "review_quality"
DECIDE_REFERRALS = "decide_referrals"
OVERSEE_DELEGATED_APPROVALS = "oversee_delegated_approvals"
READ_ARCHIVE = "read_archive"
EXPORT_REGISTER = "export_register"
VERIFY_RECORDS = "verify_records"
PUBLISH_ASSESSMENTS = "publish_assessments"
VIEW_COMPLIANCE = "view_compliance"
VIEW_POLICY_REGISTER = "view_policy_register"
MANAGE_POLICY_REGISTER = "manage_policy_register"
ADMINISTER = "administer"
# Not an action but a duty: whoever holds it proves a second factor at password sign-in (when the
# service requires one), because what they can decide or see carries weight.
SIGN_IN_WITH_SECOND_FACTOR = "sign_in_with_second_factor"

CAPABILITIES = {
    WRITE_ASSESSMENTS: "Start assessments, change their own while the workflow allows it, and revise signed-off ones",
    VIEW_DEPARTMENT_ASSESSMENTS: "See the assessments of their own department",
    VIEW_ORGANISATION_ASSESSMENTS: "See every assessment in the organisation",
    COMMENT: "Comment on the assessments they can see",
    REVIEW_DEPARTMENT_SUBMISSIONS: "Review their department's submissions and update its actions",
    REVIEW_QUALITY: "Review the quality of submissions, comment and return them, where the workflow has a quality review",
    DECIDE_REFERRALS: "Decide the assessments referred to the Board",
    OVERSEE_DELEGATED_APPROVALS: "Look over the sign-offs made without the Board",
    READ_ARCHIVE: "Search and read the archive of signed-off records",
    EXPORT_REGISTER: "Download the register of signed-off records",
    VERIFY_RECORDS: "Check whether a PDF is an authentic signed record",
    PUBLISH_ASSESSMENTS: (
        "Publish signed-off assessments on the public register, choosing what to withhold, and withdraw them, "
        "where the workflow allows publication"
    ),
    VIEW_COMPLIANCE: "See the compliance report",
    VIEW_POLICY_REGISTER: "See the register of policies, procedures and change programmes, and which have a current assessment",
    MANAGE_POLICY_REGISTER: "Add, change and import entries of the policy register",
    ADMINISTER: "Manage people, roles, departments, objectives and settings",
    SIGN_IN_WITH_SECOND_FACTOR: "Must confirm each password sign-in with a code from an authenticator app",
}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    "author": frozenset({WRITE_ASSESSMENTS, VIEW_DEPARTMENT_ASSESSMENTS, COMMENT, VIEW_POLICY_REGISTER}),
    "approver": frozenset(
        {
            VIEW_DEPARTMENT_ASSESSMENTS,
            COMMENT,
            REVIEW_DEPARTMENT_SUBMISSIONS,
            VIEW_COMPLIANCE,
            VIEW_POLICY_REGISTER,
            MANAGE_POLICY_REGISTER,
            PUBLISH_ASSESSMENTS,
            SIGN_IN_WITH_SECOND_FACTOR,
        }
    ),
    # An equality adviser reads every department's submissions where the workflow asks for their review.
    "adviser": frozenset(
        {
            VIEW_ORGANISATION_ASSESSMENTS,
            COMMENT,
            REVIEW_QUALITY,
            READ_ARCHIVE,
            VIEW_COMPLIANCE,
            VIEW_POLICY_REGISTER,
            SIGN_IN_WITH_SECOND_FACTOR,
        }
    ),
    "board": frozenset(
        {
            VIEW_ORGANISATION_ASSESSMENTS,
            COMMENT,
            DECIDE_REFERRALS,
            OVERSEE_DELEGATED_APPROVALS,
            READ_ARCHIVE,
            EXPORT_REGISTER,
            VERIFY_RECORDS,
            VIEW_COMPLIANCE,
            VIEW_POLICY_REGISTER,
            PUBLISH_ASSESSMENTS,
            SIGN_IN_WITH_SECOND_FACTOR,
        }
    ),
    "auditor": frozenset(
        {
            VIEW_ORGANISATION_ASSESSMENTS,
            READ_ARCHIVE,
            EXPORT_REGISTER,
            VERIFY_RECORDS,
            VIEW_COMPLIANCE,
            VIEW_POLICY_REGISTER,
            SIGN_IN_WITH_SECOND_FACTOR,
        }
    ),
    "admin": frozenset(
        {
            VIEW_ORGANISATION_ASSESSMENTS,
            READ_ARCHIVE,
            EXPORT_REGISTER,
            VERIFY_RECORDS,
            VIEW_COMPLIANCE,
            VIEW_POLICY_REGISTER,
            MANAGE_POLICY_REGISTER,
            ADMINISTER,
            SIGN_IN_WITH_SECOND_FACTOR,
        }
    ),
}


def capabilities_of(roles: Iterable[str]) -> frozenset[str]:
    """Everything a person holding ``roles`` may do: the union over their roles (unknown roles add nothing)."""
    return frozenset().union(*(ROLE_CAPABILITIES.get(role, frozenset()) for role in roles))


def role_can(role: str | None, capability: str) -> bool:
    """Whether ``role`` (None: no role) carries ``capability``."""
    return capability in ROLE_CAPABILITIES.get(role or "", frozenset())


def roles_with(capability: str) -> frozenset[str]:
    """The roles that carry ``capability``."""
    if capability not in CAPABILITIES:
        raise KeyError(f"unknown capability {capability!r}")
    return frozenset(role for role, capabilities in ROLE_CAPABILITIES.items() if capability in capabilities)


def roles_label(roles: Iterable[str]) -> str:
    """The roles as people read them, in the table's order: "Approver (...) and Equality and Inclusion Board member"."""
    held = set(roles)
    labels = [label for role, label in ROLES.items() if role in held]
    if len(labels) < 2:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]
