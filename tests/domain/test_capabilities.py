"""The one table of roles and capabilities (eia.domain.capabilities)."""

from __future__ import annotations

import pytest

from eia.domain import capabilities as c
from eia.domain.workflow import WORKFLOW_SCHEMA


def test_every_role_has_capabilities_and_every_capability_a_role_and_a_description():
    assert set(c.ROLE_CAPABILITIES) == set(c.ROLES)
    assert all(c.ROLE_CAPABILITIES[role] for role in c.ROLES)
    assert set().union(*c.ROLE_CAPABILITIES.values()) == set(c.CAPABILITIES)
    assert all(description.strip() for description in c.CAPABILITIES.values())


def test_the_table_as_written():
    # A change to who may do what shows up here, deliberately.
    assert {role: sorted(caps) for role, caps in c.ROLE_CAPABILITIES.items()} == {
        "author": ["comment", "view_department_assessments", "view_policy_register", "write_assessments"],
        "approver": [
            "comment",
            "manage_policy_register",
            "publish_assessments",
            "review_department_submissions",
            "sign_in_with_second_factor",
            "view_compliance",
            "view_department_assessments",
            "view_policy_register",
        ],
        "adviser": [
            "comment",
            "read_archive",
            "review_quality",
            "sign_in_with_second_factor",
            "view_compliance",
            "view_organisation_assessments",
            "view_policy_register",
        ],
        "board": [
            "comment",
            "decide_referrals",
            "export_register",
            "oversee_delegated_approvals",
            "publish_assessments",
            "read_archive",
            "sign_in_with_second_factor",
            "verify_records",
            "view_compliance",
            "view_organisation_assessments",
            "view_policy_register",
        ],
        "auditor": [
            "export_register",
            "read_archive",
            "sign_in_with_second_factor",
            "verify_records",
            "view_compliance",
            "view_organisation_assessments",
            "view_policy_register",
        ],
        "admin": [
            "administer",
            "export_register",
            "manage_policy_register",
            "read_archive",
            "sign_in_with_second_factor",
            "verify_records",
            "view_compliance",
            "view_organisation_assessments",
            "view_policy_register",
        ],
    }


def test_several_roles_can_do_what_any_of_them_can():
    both = c.capabilities_of(["approver", "board"])
    assert both == c.ROLE_CAPABILITIES["approver"] | c.ROLE_CAPABILITIES["board"]
    assert {c.REVIEW_DEPARTMENT_SUBMISSIONS, c.DECIDE_REFERRALS} <= both
    assert c.capabilities_of([]) == frozenset()
    assert c.capabilities_of(["superuser"]) == frozenset(), "an unknown role adds nothing"


def test_role_can_and_roles_with():
    assert c.role_can("author", c.WRITE_ASSESSMENTS) and not c.role_can("approver", c.WRITE_ASSESSMENTS)
    assert not c.role_can(None, c.COMMENT)
    assert c.roles_with(c.READ_ARCHIVE) == {"adviser", "board", "auditor", "admin"}
    assert c.roles_with(c.REVIEW_QUALITY) == {"adviser"}
    assert c.roles_with(c.ADMINISTER) == {"admin"}
    assert c.roles_with(c.MANAGE_POLICY_REGISTER) == {"approver", "admin"}
    assert c.roles_with(c.VIEW_POLICY_REGISTER) == set(c.ROLES), "everyone sees which policies lack an assessment"
    with pytest.raises(KeyError):
        c.roles_with("fly")


def test_roles_are_named_in_plain_english_in_the_tables_order():
    assert c.roles_label(["board", "approver"]) == (
        "Approver (accountable senior officer) and Equality and Inclusion Board member"
    )
    assert c.roles_label(["admin", "auditor", "author"]) == "Policy author, Auditor and Administrator"
    assert c.roles_label(["auditor"]) == "Auditor"
    assert c.roles_label(["adviser", "author"]) == "Policy author and Equality adviser"
    assert c.roles_label([]) == ""


def test_workflow_definitions_may_name_exactly_the_roles_of_the_table():
    transition = WORKFLOW_SCHEMA["properties"]["transitions"]["items"]["properties"]
    assert transition["roles"]["items"]["enum"] == list(c.ROLES)


def test_a_view_cannot_be_guarded_by_an_unknown_capability():
    from eia.web.permissions import capability_required

    with pytest.raises(ValueError):
        capability_required("fly")
    with pytest.raises(ValueError):
        capability_required()
