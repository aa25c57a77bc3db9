"""The declarative workflow engine: states, transitions, roles and rule-based routing.

Pure: the caller supplies ``resolve(source, identifier)`` for rule operands and carries out the
effects and preconditions a transition names.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eia.domain.capabilities import CAPABILITIES, ROLES
from eia.domain.definitions import answer_identifier_problems, read_json, schema_problems
from eia.domain.legacy_definitions import upgrade_pinned_workflow
from eia.domain.rules import NamedRule, check_rule, fired, is_source

RULE_SOURCES = ("answers", "assessment", "organisation")
COMMENT_POLICIES = ("required", "optional", "none")
# How a state ends an assessment's life, when it does.
ENDINGS = ("signed_off", "rejected", "withdrawn")
# What a transition does, as far as the service is concerned: a submission records when the
# assessment was submitted and is taken from "Check your answers"; a return takes reasons per section.
PURPOSES = ("submit", "start_review", "forward", "decide", "return", "withdraw")
# GOV.UK Frontend tag colours.
TAG_COLOURS = ("grey", "green", "turquoise", "blue", "light-blue", "purple", "pink", "red", "orange", "yellow")


class WorkflowDefinitionError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid workflow definition:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


class TransitionRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class State:
    id: str
    label: str
    description: str = ""
    tag: str = "grey"
    author_can_edit: bool = False
    queue: str | None = None  # the role whose work queue holds assessments in this state
    ends: str | None = None  # one of ENDINGS: the assessment's life ends here, this way

    @property
    def final(self) -> bool:
        return self.ends is not None

    @property
    def signed_off(self) -> bool:
        return self.ends == "signed_off"


@dataclass(frozen=True)
class Route:
    to: str
    when: dict[str, Any] | None = None
    when_rule_set_fires: str | None = None
    effects: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        return self.when is None and self.when_rule_set_fires is None


@dataclass(frozen=True)
class Transition:
    id: str
    label: str
    from_states: tuple[str, ...]
    roles: tuple[str, ...]
    routes: tuple[Route, ...]
    purpose: str = "decide"
    done_label: str = ""  # what happened, for the decision trail and notifications: "Returned to the author"
    decision: str = ""  # how a sign-off by this transition reads in the signed record
    warning: bool = False  # its button warns: the action cannot be undone
    comment: str = "optional"
    conditions: bool = False
    requires: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()

    @property
    def is_submission(self) -> bool:
        return self.purpose == "submit"

    @property
    def takes_section_reasons(self) -> bool:
        return self.purpose == "return"

    @property
    def takes_one_step(self) -> bool:
        """Nothing to type and nothing to warn of: its button takes it at once, with no page to confirm on."""
        return (
            self.comment == "none"
            and not self.conditions
            and not self.takes_section_reasons
            and not self.warning
            and not self.is_submission
        )

    @property
    def escalating_rule_sets(self) -> tuple[str, ...]:
        """The rule sets whose firing sends this action elsewhere (what the person deciding is warned of)."""
        return tuple(r.when_rule_set_fires for r in self.routes if r.when_rule_set_fires is not None)


@dataclass(frozen=True)
class Publication:
    """How a signed-off assessment reaches the public register (the workflow's "publication")."""

    capability: str  # who may publish and withdraw: those holding it (eia.domain.capabilities)
    withholding_reasons: tuple[str, ...]  # why an answer may be withheld, as people choose and read them


@dataclass(frozen=True)
class Workflow:
    id: str
    version: int
    initial: str
    states: dict[str, State]
    transitions: dict[str, Transition]
    rule_sets: dict[str, tuple[NamedRule, ...]]
    publication: Publication | None = None  # None: its signed-off assessments are never published

    def state(self, state_id: str) -> State:
        return self.states[state_id]

    def allowed_actions(self, state: str, roles: Iterable[str]) -> list[Transition]:
        roles = set(roles)
        return [t for t in self.transitions.values() if state in t.from_states and roles & set(t.roles)]

    def states_where(self, predicate: Callable[[State], bool]) -> frozenset[str]:
        return frozenset(state.id for state in self.states.values() if predicate(state))

    def signed_off_states(self) -> frozenset[str]:
        return self.states_where(lambda state: state.signed_off)

    def queue_states(self, role: str) -> frozenset[str]:
        """The states whose assessments wait in ``role``'s work queue."""
        return self.states_where(lambda state: state.queue == role)

    def can_sign_off(self, transition: Transition) -> bool:
        return any(self.states[route.to].signed_off for route in transition.routes)


@dataclass(frozen=True)
class Outcome:
    transition: Transition
    from_state: str
    to_state: str
    fired_rules: tuple[NamedRule, ...]
    effects: tuple[str, ...]


Resolver = Callable[[str, str], Any]


def evaluate_rule_set(workflow: Workflow, name: str, resolve: Resolver) -> tuple[NamedRule, ...]:
    return tuple(fired(workflow.rule_sets[name], resolve))


def decide(workflow: Workflow, state: str, action: str, roles: Iterable[str], resolve: Resolver) -> Outcome:
    """Where ``action`` taken now by someone with ``roles`` leads, and every rule that routed it."""
    transition = workflow.transitions.get(action)
    if transition is None:
        raise TransitionRefused(f"There is no action called {action!r}")
    if state not in transition.from_states:
        raise TransitionRefused(
            f"You cannot {transition.label.lower()} an assessment that is {workflow.state(state).label.lower()}"
        )
    if not set(roles) & set(transition.roles):
        raise TransitionRefused(f"Your role cannot {transition.label.lower()}")
    for route in transition.routes:
        if route.when_rule_set_fires is not None:
            rules = evaluate_rule_set(workflow, route.when_rule_set_fires, resolve)
            if not rules:
                continue
        elif route.when is not None:
            if not NamedRule("route", "route", route.when).fires(resolve):
                continue
            rules = ()
        else:
            rules = ()
        return Outcome(transition, state, route.to, rules, transition.effects + route.effects)
    raise AssertionError("validated workflows always end with a default route")


# --- loading and validation ---------------------------------------------------------------------
#
# Structure (keys, types, lengths) is checked with JSON Schema; meaning (states exist and are
# reachable, rules well formed, names known) with Python. Every problem is "file: path: what".

# The preconditions and effects a transition may name: the services carry them out
# (eia.services.workflow.REQUIREMENTS and EFFECTS hold exactly these).
REQUIREMENT_NAMES = ("questionnaire_complete", "not_author", "legal_checks_pass")
EFFECT_NAMES = (
    "notify:author",
    "notify:approver",
    "notify:board",
    "notify:adviser",
    "add_conditions_to_action_plan",
    "archive",
    "record_legal_checks",
    "track_actions",
)
# Identifiers of the "assessment" and "organisation" rule sources (eia.services.workflow.rule_resolver).
SOURCE_IDENTIFIERS = {
    "assessment": ("subject_type", "version_number", "department_id"),
    "organisation": ("board_subject_types",),
}

_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_TEXT = {"type": "string", "minLength": 1}
_STATE_ID = {**_NAME, "maxLength": 30}  # the database columns' length
_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}
_ROUTE = {
    "type": "object",
    "required": ["to"],
    "additionalProperties": False,
    "properties": {
        "to": _STATE_ID,
        "when": {"type": "object"},
        "when_rule_set_fires": _NAME,
        "effects": _NAMES,
    },
}
WORKFLOW_SCHEMA = {
    "type": "object",
    "required": ["id", "title", "version", "initial", "states", "transitions"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9_-]*$", "maxLength": 60},
        "title": _TEXT,
        "version": {"type": "integer", "minimum": 1},
        "initial": _STATE_ID,
        "states": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "label"],
                "additionalProperties": False,
                "properties": {
                    "id": _STATE_ID,
                    "label": _TEXT,
                    "description": {"type": "string"},
                    "tag": {"enum": list(TAG_COLOURS)},
                    "author_can_edit": {"type": "boolean"},
                    "queue": {"enum": list(ROLES)},
                    "ends": {"enum": list(ENDINGS)},
                },
            },
        },
        # Whether a signed-off assessment following this workflow can be published on the public register,
        # who may publish it (those with the capability), and the reasons they choose from to withhold an answer.
        "publication": {
            "type": "object",
            "required": ["capability", "withholding_reasons"],
            "additionalProperties": False,
            "properties": {
                "capability": {"enum": sorted(CAPABILITIES)},
                "withholding_reasons": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"type": "string", "minLength": 1, "maxLength": 100},
                },
            },
        },
        "rule_sets": {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "label", "when"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "string", "pattern": "^[A-Za-z0-9_]+$"},
                        "label": _TEXT,
                        "when": {"type": "object"},
                    },
                },
            },
        },
        "transitions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "label", "purpose", "done_label", "from", "roles"],
                "additionalProperties": False,
                "properties": {
                    "id": {**_NAME, "maxLength": 49},  # the audit action "assessment.<id>" holds 60
                    "label": _TEXT,
                    "purpose": {"enum": list(PURPOSES)},
                    "done_label": _TEXT,
                    "decision": _TEXT,
                    "warning": {"type": "boolean"},
                    "from": {"type": "array", "minItems": 1, "items": _STATE_ID},
                    "to": _STATE_ID,
                    "routes": {"type": "array", "minItems": 1, "items": _ROUTE},
                    "roles": {"type": "array", "minItems": 1, "items": {"enum": list(ROLES)}},
                    "comment": {"enum": list(COMMENT_POLICIES)},
                    "conditions": {"type": "boolean"},
                    "requires": _NAMES,
                    "effects": _NAMES,
                },
            },
        },
    },
}


def load_workflow(path: Path) -> Workflow:
    problems: list[str] = []
    data = read_json(Path(path), problems)
    problems = problems or validate_workflow_data(data, Path(path).name)
    if problems:
        raise WorkflowDefinitionError(problems)
    return build_workflow(data)


def _routes(transition: dict[str, Any]) -> list[dict[str, Any]]:
    return transition["routes"] if "routes" in transition else [{"to": transition.get("to")}]


def validate_workflow_data(data: Any, source: str) -> list[str]:
    """Every problem in a workflow document, each as "source: JSON path: what is wrong"."""
    problems = schema_problems(data, WORKFLOW_SCHEMA, source)
    if problems:
        return problems
    state_ids = [state["id"] for state in data["states"]]
    edges: dict[str, set[str]] = {s: set() for s in state_ids}
    problems += _state_id_problems(data, state_ids, source)
    problems += _rule_set_problems(data.get("rule_sets", {}), source)
    transition_ids: list[str] = []
    for index, transition in enumerate(data["transitions"]):
        where = f"$.transitions[{index}]"
        if transition["id"] in transition_ids:
            problems.append(f"{source}: {where}.id: duplicate transition id {transition['id']!r}")
        transition_ids.append(transition["id"])
        problems += _transition_problems(transition, where, data.get("rule_sets", {}), state_ids, edges, source)
    if problems:
        return problems
    problems += _meaning_problems(data, source)
    if problems:
        return problems
    return _reachability_problems(data, edges, source)


def _state_id_problems(data: dict[str, Any], state_ids: list[str], source: str) -> list[str]:
    problems = [
        f"{source}: $.states[{index}].id: duplicate state id {state_id!r}"
        for index, state_id in enumerate(state_ids)
        if state_id in state_ids[:index]
    ]
    if data["initial"] not in state_ids:
        problems.append(f"{source}: $.initial: unknown state {data['initial']!r}")
    return problems


def _rule_set_problems(rule_sets: dict[str, Any], source: str) -> list[str]:
    problems: list[str] = []
    rule_ids: list[str] = []
    for name, rules in rule_sets.items():
        for index, rule in enumerate(rules):
            where = f"$.rule_sets.{name}[{index}]"
            if rule["id"] in rule_ids:
                problems.append(f"{source}: {where}.id: duplicate rule id {rule['id']!r}")
            rule_ids.append(rule["id"])
            problems.extend(_rule_problems(rule["when"], f"{where}.when", source))
    return problems


def _transition_problems(
    transition: dict[str, Any],
    where: str,
    rule_sets: dict[str, Any],
    state_ids: list[str],
    edges: dict[str, set[str]],
    source: str,
) -> list[str]:
    """A transition's problems; records the edges it adds to ``edges`` for the reachability check."""
    problems: list[str] = []

    def problem(path: str, message: str) -> None:
        problems.append(f"{source}: {path}: {message}")

    from_states = transition["from"]
    for f, state in enumerate(from_states):
        if state not in state_ids:
            problem(f"{where}.from[{f}]", f"unknown state {state!r}")
    for r, requirement in enumerate(transition.get("requires", [])):
        if requirement not in REQUIREMENT_NAMES:
            problem(
                f"{where}.requires[{r}]", f"unknown requirement {requirement!r} (known: {', '.join(REQUIREMENT_NAMES)})"
            )
    problems.extend(_effect_problems(transition, where, source))
    if ("to" in transition) == ("routes" in transition):
        problem(where, "give exactly one of to or routes")
        return problems
    routes = _routes(transition)
    for r, route in enumerate(routes):
        route_where = f"{where}.routes[{r}]" if "routes" in transition else f"{where}.to"
        problems.extend(_route_problems(route, route_where, from_states, rule_sets, state_ids, source))
        if "routes" in transition:
            problems.extend(_effect_problems(route, route_where, source))
        for state in from_states:
            if state in edges and route["to"] in state_ids:
                edges[state].add(route["to"])
    defaults = [i for i, route in enumerate(routes) if "when" not in route and "when_rule_set_fires" not in route]
    if defaults != [len(routes) - 1]:
        problem(f"{where}.routes", "needs exactly one default route (no when), and it must be last")
    return problems


def _route_problems(
    route: dict[str, Any],
    route_where: str,
    from_states: list[str],
    rule_sets: dict[str, Any],
    state_ids: list[str],
    source: str,
) -> list[str]:
    problems: list[str] = []

    def problem(path: str, message: str) -> None:
        problems.append(f"{source}: {path}: {message}")

    to = route["to"]
    if to not in state_ids:
        problem(route_where, f"unknown state {to!r}")
    elif to in from_states:
        problem(route_where, f"leads from {to!r} back to {to!r}: a transition must change the state")
    if "when" in route and "when_rule_set_fires" in route:
        problem(route_where, "give at most one of when and when_rule_set_fires")
    if "when_rule_set_fires" in route and route["when_rule_set_fires"] not in rule_sets:
        problem(f"{route_where}.when_rule_set_fires", f"unknown rule set {route['when_rule_set_fires']!r}")
    if "when" in route:
        problems.extend(_rule_problems(route["when"], f"{route_where}.when", source))
    return problems


def _reachability_problems(data: dict[str, Any], edges: dict[str, set[str]], source: str) -> list[str]:
    """Every state is reachable from the initial one, and every state that does not end the assessment has a way out."""
    problems: list[str] = []
    reachable, queue = {data["initial"]}, deque([data["initial"]])
    while queue:
        for target in edges[queue.popleft()]:
            if target not in reachable:
                reachable.add(target)
                queue.append(target)
    for index, state in enumerate(data["states"]):
        if state["id"] not in reachable:
            problems.append(
                f"{source}: $.states[{index}]: state {state['id']!r} cannot be reached from {data['initial']!r}"
            )
        if "ends" not in state and not edges[state["id"]]:
            problems.append(
                f"{source}: $.states[{index}]: state {state['id']!r} does not end the assessment "
                '(no "ends") but no transition leaves it'
            )
    return problems


# Effects the archive needs to have run first: the signed record shows their results.
ARCHIVE_NEEDS = ("add_conditions_to_action_plan", "record_legal_checks", "track_actions")


def _meaning_problems(data: dict[str, Any], source: str) -> list[str]:
    """What the service needs the states and transitions to say: the application names none of them."""
    states = {state["id"]: state for state in data["states"]}
    problems = []

    def problem(path: str, message: str) -> None:
        problems.append(f"{source}: {path}: {message}")

    if not any(state.get("ends") == "signed_off" for state in states.values()):
        problem("$.states", 'no state signs an assessment off: give one "ends": "signed_off"')
    if not any(t["purpose"] == "submit" for t in data["transitions"]):
        problem("$.transitions", 'no transition submits an assessment: give one "purpose": "submit"')
    problems += _queue_problems(data, source)
    for index, transition in enumerate(data["transitions"]):
        where = f"$.transitions[{index}]"
        purpose = transition["purpose"]
        if purpose == "submit":
            for f, state in enumerate(transition["from"]):
                if not states[state].get("author_can_edit"):
                    problem(
                        f"{where}.from[{f}]",
                        f"an assessment is submitted from a state its author can edit, "
                        f'and {state!r} is not ("author_can_edit": true)',
                    )
        signs_off = False
        for r, route in enumerate(_routes(transition)):
            route_where = f"{where}.routes[{r}]" if "routes" in transition else f"{where}.to"
            target = states[route["to"]]
            if purpose == "return" and not target.get("author_can_edit"):
                problem(
                    route_where,
                    f"a return goes back to the author, to a state they can edit, and "
                    f'{route["to"]!r} is not ("author_can_edit": true)',
                )
            effects = transition.get("effects", []) + (route.get("effects", []) if "routes" in transition else [])
            if target.get("ends") == "signed_off":
                signs_off = True
                if "archive" not in effects:
                    problem(
                        route_where,
                        f"signs the assessment off ({route['to']!r}), so it must have the "
                        "effect 'archive' (the signed record)",
                    )
                else:
                    late = [name for name in ARCHIVE_NEEDS if name in effects[effects.index("archive") :]]
                    if late:
                        problem(
                            route_where,
                            f"effect 'archive' must come after {', '.join(repr(n) for n in late)}: "
                            "the signed record shows their results",
                        )
            elif "archive" in effects:
                problem(
                    route_where,
                    f"has the effect 'archive' but {route['to']!r} does not sign the assessment off "
                    '("ends": "signed_off")',
                )
        if signs_off and "decision" not in transition:
            problem(where, 'can sign the assessment off, so give "decision": how the signed record names the decision')
    return problems


def _queue_problems(data: dict[str, Any], source: str) -> list[str]:
    """A queue is a list of work to do: whoever's queue a state is in must be able to move it on
    (an adviser's review stage that only the approver could leave would strand the adviser)."""
    return [
        f"{source}: $.states[{index}].queue: state {state['id']!r} waits in the {state['queue']} queue, but no "
        f"transition from it lists the role {state['queue']!r}"
        for index, state in enumerate(data["states"])
        if "queue" in state
        and not any(state["id"] in t["from"] and state["queue"] in t["roles"] for t in data["transitions"])
    ]


def _effect_problems(holder: dict[str, Any], where: str, source: str) -> list[str]:
    return [
        f"{source}: {where}.effects[{e}]: unknown effect {effect!r} (known: {', '.join(EFFECT_NAMES)})"
        for e, effect in enumerate(holder.get("effects", []))
        if effect not in EFFECT_NAMES
    ]


def _rule_problems(rule: Any, where: str, source: str) -> list[str]:
    problems = [f"{source}: {e}" for e in check_rule(rule, RULE_SOURCES, where)]
    if problems:
        return problems
    for path, name, identifier in _source_identifiers(rule, where):
        known = SOURCE_IDENTIFIERS.get(name)
        if known is not None and identifier not in known:
            problems.append(f"{source}: {path}: unknown {name} identifier {identifier!r} (known: {', '.join(known)})")
    return problems


def _source_identifiers(node: Any, path: str) -> Iterator[tuple[str, str, str]]:
    if is_source(node):
        yield path, node["source"], node["identifier"]
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _source_identifiers(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _source_identifiers(value, f"{path}[{index}]")


def rule_identifier_problems(workflow: dict[str, Any], questionnaire: dict[str, Any], source: str) -> list[str]:
    """The answers identifiers in a (valid) workflow document's rules, checked against the
    questionnaire document: a misspelt one would silently never match."""
    return answer_identifier_problems(questionnaire, workflow, "$", source, current_characteristic=False)


def build_workflow(data: dict[str, Any]) -> Workflow:
    """The domain objects for a document already validated (or pinned when it was valid)."""
    data = upgrade_pinned_workflow(data)
    return Workflow(
        id=data["id"],
        version=data["version"],
        initial=data["initial"],
        states={
            s["id"]: State(
                s["id"],
                s["label"],
                s.get("description", ""),
                s.get("tag", "grey"),
                s.get("author_can_edit", False),
                s.get("queue"),
                s.get("ends"),
            )
            for s in data["states"]
        },
        transitions={
            t["id"]: Transition(
                id=t["id"],
                label=t["label"],
                from_states=tuple(t["from"]),
                roles=tuple(t["roles"]),
                routes=tuple(
                    Route(r["to"], r.get("when"), r.get("when_rule_set_fires"), tuple(r.get("effects", ())))
                    for r in _routes(t)
                ),
                purpose=t["purpose"],
                done_label=t["done_label"],
                decision=t.get("decision", ""),
                warning=t.get("warning", False),
                comment=t.get("comment", "optional"),
                conditions=t.get("conditions", False),
                requires=tuple(t.get("requires", ())),
                effects=tuple(t.get("effects", ())),
            )
            for t in data["transitions"]
        },
        rule_sets={
            name: tuple(NamedRule(r["id"], r["label"], r["when"]) for r in rules)
            for name, rules in data.get("rule_sets", {}).items()
        },
        publication=(
            Publication(data["publication"]["capability"], tuple(data["publication"]["withholding_reasons"]))
            if "publication" in data
            else None
        ),
    )
