"""The workflow engine, pure and table-driven: where each action leads, who may take it, and each
escalation rule of the real workflow firing and not firing."""

from __future__ import annotations

from pathlib import Path

import pytest

from eia.domain import questionnaire as q
from eia.domain.definitions import load_questionnaire
from eia.domain.workflow import TransitionRefused, decide, evaluate_rule_set, load_workflow

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
FIXTURES = Path(__file__).resolve().parents[1] / "definitions" / "fixtures" / "workflows"
CHARACTERISTICS = ["age", "disability", "race", "sex"]


@pytest.fixture(scope="module")
def workflow():
    return load_workflow(WORKFLOWS / "eia-standard.json")


@pytest.fixture(scope="module")
def questionnaire():
    return load_questionnaire(WORKFLOWS)


def resolver(questionnaire, answers: dict, board_subject_types=()) -> q.AnswerResolver:
    """Resolves rule operands as the service does (eia.services.workflow.rule_resolver)."""
    path = q.path(questionnaire, answers, CHARACTERISTICS)
    return q.AnswerResolver(
        path.answers,
        path.characteristic_ids,
        extra={"assessment": {}, "organisation": {"board_subject_types": list(board_subject_types)}},
    )


def nothing(source, identifier):
    return None


# --- decide -------------------------------------------------------------------------------------

ALLOWED = [
    # (state, action, role, to_state, effects)
    ("draft", "submit", "author", "submitted", ("record_legal_checks", "notify:approver")),
    ("returned", "submit", "author", "submitted", ("record_legal_checks", "notify:approver")),
    ("submitted", "start_review", "approver", "with_approver", ()),
    ("submitted", "return", "approver", "returned", ("notify:author",)),
    (
        "with_approver",
        "approve",
        "approver",
        "approved",
        ("record_legal_checks", "track_actions", "archive", "notify:author"),
    ),
    (
        "with_board",
        "board_approve_with_conditions",
        "board",
        "approved",
        (
            "add_conditions_to_action_plan",
            "record_legal_checks",
            "track_actions",
            "archive",
            "notify:author",
            "notify:approver",
        ),
    ),
    ("with_board", "board_reject", "board", "rejected", ("notify:author", "notify:approver")),
    ("submitted", "withdraw", "author", "withdrawn", ()),
]


@pytest.mark.parametrize("state, action, role, to_state, effects", ALLOWED)
def test_an_allowed_action_leads_where_the_definition_says(workflow, state, action, role, to_state, effects):
    outcome = decide(workflow, state, action, [role], nothing)
    assert (outcome.from_state, outcome.to_state, outcome.effects, outcome.fired_rules) == (
        state,
        to_state,
        effects,
        (),
    )


REFUSED = [
    # (state, action, roles, reason)
    ("approved", "submit", ["author"], "You cannot submit for approval an assessment that is signed off"),
    ("draft", "approve", ["approver"], "You cannot approve an assessment that is draft"),
    ("with_board", "withdraw", ["author"], "You cannot withdraw an assessment that is with the board"),
    ("draft", "submit", ["approver"], "Your role cannot submit for approval"),
    ("with_approver", "approve", ["board", "auditor"], "Your role cannot approve"),
    ("with_board", "board_approve", ["admin"], "Your role cannot approve"),
    ("draft", "delete", ["admin"], "There is no action called 'delete'"),
]


@pytest.mark.parametrize("state, action, roles, reason", REFUSED)
def test_wrong_state_wrong_role_or_unknown_action_is_refused(workflow, state, action, roles, reason):
    with pytest.raises(TransitionRefused) as refused:
        decide(workflow, state, action, roles, nothing)
    assert refused.value.reason == reason


def test_any_of_several_roles_may_act(workflow):
    assert decide(workflow, "draft", "submit", ["auditor", "author"], nothing).to_state == "submitted"


def test_the_first_route_whose_condition_holds_is_taken_with_its_effects(workflow, questionnaire):
    escalated = decide(
        workflow,
        "with_approver",
        "approve",
        ["approver"],
        resolver(questionnaire, {"outcome": {"outcome": "continue"}}),
    )
    assert escalated.to_state == "with_board"
    assert escalated.effects == ("notify:board", "notify:author")
    assert [rule.id for rule in escalated.fired_rules] == ["R2"]


@pytest.mark.parametrize("kind, to_state", [("urgent", "board"), ("routine", "done"), (None, "done")])
def test_route_selection_in_a_tiny_workflow(kind, to_state):
    tiny = load_workflow(FIXTURES / "valid.json")
    resolve = q.AnswerResolver({"subject": {"kind": kind}}, [])
    assert decide(tiny, "review", "approve", ["approver"], resolve).to_state == to_state


def test_allowed_actions_lists_what_a_role_may_do_in_a_state(workflow):
    assert [t.id for t in workflow.allowed_actions("with_board", ["board"])] == [
        "board_approve",
        "board_approve_with_conditions",
        "board_return",
        "board_reject",
    ]
    assert [t.id for t in workflow.allowed_actions("draft", ["author"])] == ["submit", "withdraw"]
    assert workflow.allowed_actions("approved", ["author", "approver", "board", "auditor", "admin"]) == []


def test_no_transition_of_the_real_workflow_leaves_the_state_unchanged(workflow):
    # A self-loop would record a transition without changing the row, so without a version check.
    for transition in workflow.transitions.values():
        for route in transition.routes:
            assert route.to not in transition.from_states, transition.id


# --- the escalation rules -------------------------------------------------------------------------

HIGH_AGE = {"screening:age": {"relevance": "high", "reason": "r"}}
RULES = [
    # (rule, answers where it fires, answers where it does not, board subject types)
    (
        "R1",
        {**HIGH_AGE, "residual:age": {"residual_level": "medium"}},
        {**HIGH_AGE, "residual:age": {"residual_level": "low"}},
        (),
    ),
    (
        "R1",
        {**HIGH_AGE, "residual:age": {"residual_level": "high"}},
        {"screening:age": {"relevance": "none", "reason": "r"}, "residual:age": {"residual_level": "high"}},
        (),
    ),
    ("R2", {"outcome": {"outcome": "continue"}}, {"outcome": {"outcome": "adjust"}}, ()),
    (
        "R3",
        {**HIGH_AGE, "evidence:age": {"has_evidence": "no"}},
        {**HIGH_AGE, "evidence:age": {"has_evidence": "yes"}},
        (),
    ),
    ("R3", {**HIGH_AGE, "engagement:age": {"engaged": "no"}}, {**HIGH_AGE, "engagement:age": {"engaged": "yes"}}, ()),
    ("R4", {"outcome": {"board_review_requested": "yes"}}, {"outcome": {"board_review_requested": "no"}}, ()),
    ("R5", {"subject": {"subject_type": "procurement"}}, {"subject": {"subject_type": "policy"}}, ("procurement",)),
    ("R5", {"subject": {"subject_type": "procurement"}}, {"subject": {"subject_type": "procurement"}}, None),
]


@pytest.mark.parametrize("rule, fires, quiet, board_types", RULES, ids=[f"{r[0]}-{i}" for i, r in enumerate(RULES)])
def test_each_escalation_rule_fires_and_does_not(workflow, questionnaire, rule, fires, quiet, board_types):
    firing = resolver(questionnaire, fires, board_types or ("procurement",))
    not_firing = resolver(questionnaire, quiet, board_types if board_types is not None else ())
    assert [r.id for r in evaluate_rule_set(workflow, "escalation", firing)] == [rule]
    assert evaluate_rule_set(workflow, "escalation", not_firing) == ()
    outcome = decide(workflow, "with_approver", "approve", ["approver"], firing)
    assert outcome.to_state == "with_board" and [r.id for r in outcome.fired_rules] == [rule]
    assert decide(workflow, "with_approver", "approve", ["approver"], not_firing).to_state == "approved"


def test_every_rule_that_fires_is_returned_in_order(workflow, questionnaire):
    answers = {
        **HIGH_AGE,
        "residual:age": {"residual_level": "high"},
        "evidence:age": {"has_evidence": "no"},
        "outcome": {"outcome": "continue", "board_review_requested": "yes"},
        "subject": {"subject_type": "decision"},
    }
    fired = evaluate_rule_set(workflow, "escalation", resolver(questionnaire, answers, ("decision",)))
    assert [(r.id, r.label) for r in fired] == [(r.id, r.label) for r in workflow.rule_sets["escalation"]]
