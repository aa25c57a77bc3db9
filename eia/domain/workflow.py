"""The declarative workflow engine: states, transitions, roles and rule-based routing.

Pure: the caller supplies ``resolve(source, identifier)`` for rule operands and carries out the
effects and preconditions a transition names.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eia.domain.rules import NamedRule, check_rule, fired

ROLES = ("author", "approver", "board", "auditor", "admin")
RULE_SOURCES = ("answers", "assessment", "organisation")
COMMENT_POLICIES = ("required", "optional", "none")


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
    final: bool = False
    author_can_edit: bool = False
    description: str = ""


@dataclass(frozen=True)
class Route:
    to: str
    when: dict | None = None
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
    comment: str = "optional"
    conditions: bool = False
    requires: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workflow:
    id: str
    version: int
    initial: str
    states: dict[str, State]
    transitions: dict[str, Transition]
    rule_sets: dict[str, tuple[NamedRule, ...]]

    def state(self, state_id: str) -> State:
        return self.states[state_id]

    def allowed_actions(self, state: str, roles: Iterable[str]) -> list[Transition]:
        roles = set(roles)
        return [t for t in self.transitions.values() if state in t.from_states and roles & set(t.roles)]


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


def load_workflow(path: Path) -> Workflow:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkflowDefinitionError([f"{Path(path).name}: file not found in {Path(path).parent}"]) from None
    except json.JSONDecodeError as error:
        raise WorkflowDefinitionError(
            [f"{Path(path).name}: line {error.lineno} column {error.colno}: invalid JSON: {error.msg}"]
        ) from None
    problems = validate_workflow_data(data, Path(path).name)
    if problems:
        raise WorkflowDefinitionError(problems)
    return _build(data)


def _routes(transition: dict) -> list[dict]:
    return transition["routes"] if "routes" in transition else [{"to": transition.get("to")}]


def validate_workflow_data(data: Any, source: str) -> list[str]:
    problems: list[str] = []

    def problem(path: str, message: str) -> None:
        problems.append(f"{source}: {path}: {message}")

    if not isinstance(data, dict):
        return [f"{source}: $: a workflow is a JSON object"]
    for key in ("id", "version", "initial", "states", "transitions"):
        if key not in data:
            problem("$", f"missing required key {key!r}")
    if problems:
        return problems
    states = data["states"]
    if not isinstance(states, list) or not states:
        return [f"{source}: $.states: must be a non-empty list"]
    state_ids: list[str] = []
    for index, state in enumerate(states):
        if not isinstance(state, dict) or not isinstance(state.get("id"), str) or not isinstance(state.get("label"), str):
            problem(f"$.states[{index}]", "a state needs a string id and label")
            continue
        if state["id"] in state_ids:
            problem(f"$.states[{index}].id", f"duplicate state id {state['id']!r}")
        state_ids.append(state["id"])
    if data["initial"] not in state_ids:
        problem("$.initial", f"unknown state {data['initial']!r}")
    rule_sets = data.get("rule_sets", {})
    rule_ids: list[str] = []
    for name, rules in rule_sets.items():
        for index, rule in enumerate(rules):
            where = f"$.rule_sets.{name}[{index}]"
            if not isinstance(rule, dict) or not {"id", "label", "when"} <= set(rule):
                problem(where, "a rule needs id, label and when")
                continue
            if rule["id"] in rule_ids:
                problem(f"{where}.id", f"duplicate rule id {rule['id']!r}")
            rule_ids.append(rule["id"])
            problems.extend(f"{source}: {e}" for e in check_rule(rule["when"], RULE_SOURCES, f"{where}.when"))
    transition_ids: list[str] = []
    edges: dict[str, set[str]] = {s: set() for s in state_ids}
    for index, transition in enumerate(data["transitions"]):
        where = f"$.transitions[{index}]"
        if not isinstance(transition, dict) or not isinstance(transition.get("id"), str):
            problem(where, "a transition needs a string id")
            continue
        if transition["id"] in transition_ids:
            problem(f"{where}.id", f"duplicate transition id {transition['id']!r}")
        transition_ids.append(transition["id"])
        if not isinstance(transition.get("label"), str):
            problem(f"{where}.label", "missing label")
        roles = transition.get("roles")
        if not roles:
            problem(f"{where}.roles", "a transition needs at least one role")
        for role in roles or []:
            if role not in ROLES:
                problem(f"{where}.roles", f"unknown role {role!r} (known: {', '.join(ROLES)})")
        if transition.get("comment", "optional") not in COMMENT_POLICIES:
            problem(f"{where}.comment", f"must be one of {', '.join(COMMENT_POLICIES)}")
        for state in transition.get("from", []):
            if state not in state_ids:
                problem(f"{where}.from", f"unknown state {state!r}")
        if not transition.get("from"):
            problem(f"{where}.from", "a transition needs at least one state it starts from")
        if ("to" in transition) == ("routes" in transition):
            problem(where, "give exactly one of to or routes")
            continue
        routes = _routes(transition)
        for r, route in enumerate(routes):
            route_where = f"{where}.routes[{r}]" if "routes" in transition else f"{where}.to"
            if route.get("to") not in state_ids:
                problem(route_where, f"unknown state {route.get('to')!r}")
            if "when_rule_set_fires" in route and route["when_rule_set_fires"] not in rule_sets:
                problem(route_where, f"unknown rule set {route['when_rule_set_fires']!r}")
            if "when" in route:
                problems.extend(f"{source}: {e}" for e in check_rule(route["when"], RULE_SOURCES, f"{route_where}.when"))
            for state in transition.get("from", []):
                if state in edges and route.get("to") in state_ids:
                    edges[state].add(route["to"])
        defaults = [i for i, route in enumerate(routes) if "when" not in route and "when_rule_set_fires" not in route]
        if defaults != [len(routes) - 1]:
            problem(f"{where}.routes", "needs exactly one default route (no when), and it must be last")
    if problems:
        return problems
    reachable, queue = {data["initial"]}, deque([data["initial"]])
    while queue:
        for target in edges[queue.popleft()]:
            if target not in reachable:
                reachable.add(target)
                queue.append(target)
    for index, state in enumerate(states):
        if state["id"] not in reachable:
            problem(f"$.states[{index}]", f"state {state['id']!r} cannot be reached from {data['initial']!r}")
        if not state.get("final") and not edges[state["id"]]:
            problem(f"$.states[{index}]", f"state {state['id']!r} is not final but no transition leaves it")
    return problems


def _build(data: dict) -> Workflow:
    return Workflow(
        id=data["id"],
        version=data["version"],
        initial=data["initial"],
        states={
            s["id"]: State(s["id"], s["label"], s.get("final", False), s.get("author_can_edit", False), s.get("description", ""))
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
    )
