"""A small, safe rule language for definitions in workflows/ (no eval).

A rule is JSON data in the style of ONS eq-questionnaire-runner::

    {"any-in": [["medium", "high"], {"source": "answers", "identifier": "residual:*.level"}]}

An operand is a literal, a nested rule, or a value source ``{"source": ..., "identifier": ...}``
resolved by the caller-supplied ``resolve`` function. Comparisons with a missing operand (None) are
False, so an unanswered question never crashes a rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Resolver = Callable[[str, str], Any]


class RuleError(ValueError):
    """A rule is not well formed. ``path`` locates the problem inside the rule."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message
        self.path = path


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _flatten(value: Any) -> list[Any]:
    """Wildcard sources yield lists of answers, some of which are lists (checkboxes): flatten one level."""
    out: list[Any] = []
    for item in _as_list(value):
        out.extend(_as_list(item))
    return out


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False
        try:
            return op(left, right)
        except TypeError:
            return False

    return compare


def _answered(value: Any) -> bool:
    return value not in (None, "", [], {})


# name -> (arity or None for variadic, function over evaluated operands)
OPERATORS: dict[str, tuple[int | None, Callable[..., Any]]] = {
    "==": (2, lambda a, b: a == b),
    "!=": (2, lambda a, b: a != b),
    ">": (2, _compare(lambda a, b: a > b)),
    ">=": (2, _compare(lambda a, b: a >= b)),
    "<": (2, _compare(lambda a, b: a < b)),
    "<=": (2, _compare(lambda a, b: a <= b)),
    # value is one of the options: {"in": [value, [options]]}
    "in": (2, lambda value, options: value is not None and value in _as_list(options)),
    # any of the values is one of the options: {"any-in": [[options], values]}
    "any-in": (2, lambda options, values: any(v in _as_list(options) for v in _flatten(values))),
    # every value is one of the options (vacuously false when there are none)
    "all-in": (
        2,
        lambda options, values: bool(_flatten(values)) and all(v in _as_list(options) for v in _flatten(values)),
    ),
    "contains": (2, lambda values, value: value in _flatten(values)),
    "count": (1, lambda values: len([v for v in _flatten(values) if _answered(v)])),
    "answered": (1, _answered),
    "not-answered": (1, lambda value: not _answered(value)),
    "and": (None, lambda *xs: all(xs)),
    "or": (None, lambda *xs: any(xs)),
    "not": (1, lambda x: not x),
}

SOURCE_KEYS = frozenset({"source", "identifier"})


def is_source(operand: Any) -> bool:
    return isinstance(operand, Mapping) and set(operand) == SOURCE_KEYS


def check_rule(rule: Any, sources: Iterable[str], path: str = "when") -> list[RuleError]:
    """Every structural problem in ``rule``: unknown operators, wrong arity, unknown sources."""
    known_sources = frozenset(sources)
    problems: list[RuleError] = []

    def walk(node: Any, where: str) -> None:
        if is_source(node):
            if node["source"] not in known_sources:
                problems.append(
                    RuleError(
                        f"unknown source {node['source']!r} (known: {', '.join(sorted(known_sources))})",
                        where,
                    )
                )
            if not isinstance(node["identifier"], str) or not node["identifier"]:
                problems.append(RuleError("identifier must be a non-empty string", where))
            return
        if isinstance(node, Mapping):
            if len(node) != 1:
                problems.append(
                    RuleError(
                        "a rule is an object with exactly one operator, or a {source, identifier} value",
                        where,
                    )
                )
                return
            ((op, operands),) = node.items()
            if op not in OPERATORS:
                problems.append(RuleError(f"unknown operator {op!r} (known: {', '.join(OPERATORS)})", where))
                return
            if not isinstance(operands, list):
                problems.append(RuleError(f"operands of {op!r} must be a list", where))
                return
            arity = OPERATORS[op][0]
            if arity is not None and len(operands) != arity:
                problems.append(RuleError(f"{op!r} takes {arity} operand(s), got {len(operands)}", where))
            if arity is None and not operands:
                problems.append(RuleError(f"{op!r} needs at least one operand", where))
            for index, operand in enumerate(operands):
                walk(operand, f"{where}.{op}[{index}]")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}[{index}]")

    if not isinstance(rule, Mapping) or is_source(rule):
        return [RuleError("a rule must be an object with one operator", path)]
    walk(rule, path)
    return problems


def evaluate(rule: Any, resolve: Resolver) -> Any:
    """Evaluate ``rule``; value sources are looked up with ``resolve(source, identifier)``.

    The rule is assumed valid (see ``check_rule``): definitions are checked at load time.
    """
    if is_source(rule):
        return resolve(rule["source"], rule["identifier"])
    if isinstance(rule, Mapping):
        ((op, operands),) = rule.items()
        _, function = OPERATORS[op]
        if op == "and":  # short-circuit, so later operands may assume earlier ones hold
            return all(evaluate(operand, resolve) for operand in operands)
        if op == "or":
            return any(evaluate(operand, resolve) for operand in operands)
        return function(*(evaluate(operand, resolve) for operand in operands))
    if isinstance(rule, list):
        return [evaluate(item, resolve) for item in rule]
    return rule


@dataclass(frozen=True)
class NamedRule:
    """A rule with an id and a human label, e.g. an escalation rule. ``when`` absent means always."""

    id: str
    label: str
    when: Mapping[str, Any] | None = None

    def fires(self, resolve: Resolver) -> bool:
        return True if self.when is None else bool(evaluate(self.when, resolve))


def fired(rules: Iterable[NamedRule], resolve: Resolver) -> list[NamedRule]:
    """Every rule that fires, in definition order."""
    return [rule for rule in rules if rule.fires(resolve)]
