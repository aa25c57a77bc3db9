"""An accessible SVG picture of a workflow, with the current state marked in text and shape."""

from __future__ import annotations

from collections import deque
from xml.sax.saxutils import escape

from eia.domain.workflow import Workflow

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 170, 54, 60, 34, 16
TEXT, CURRENT, FINAL, LINE = "#0b0c0c", "#1d70b8", "#00703c", "#505a5f"


def _layers(workflow: Workflow) -> list[list[str]]:
    """States by distance from the initial state (a deterministic layered layout)."""
    depth = {workflow.initial: 0}
    queue = deque([workflow.initial])
    while queue:
        state = queue.popleft()
        for transition in workflow.transitions.values():
            if state in transition.from_states:
                for route in transition.routes:
                    if route.to not in depth:
                        depth[route.to] = depth[state] + 1
                        queue.append(route.to)
    layers: dict[int, list[str]] = {}
    for state in workflow.states:  # definition order within a layer
        layers.setdefault(depth.get(state, max(depth.values()) + 1), []).append(state)
    return [layers[d] for d in sorted(layers)]


def render_svg(workflow: Workflow, current_state: str | None) -> str:
    layers = _layers(workflow)
    positions: dict[str, tuple[int, int]] = {}
    for column, states in enumerate(layers):
        for row, state_id in enumerate(states):
            positions[state_id] = (MARGIN + column * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y))
    width = MARGIN * 2 + len(layers) * BOX_W + (len(layers) - 1) * GAP_X
    height = MARGIN * 2 + max(len(s) for s in layers) * (BOX_H + GAP_Y) - GAP_Y

    steps = []
    for transition in workflow.transitions.values():
        for source in transition.from_states:
            for route in transition.routes:
                steps.append((source, route.to, transition.label))
    current_label = workflow.states[current_state].label if current_state in workflow.states else None
    description = "; ".join(
        f"{workflow.states[a].label} to {workflow.states[b].label} by {label.lower()}" for a, b, label in steps
    )
    title = f"Workflow: {len(workflow.states)} states" + (f", currently {current_label}" if current_label else "")

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="workflow-title workflow-desc" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'font-family="arial, sans-serif" font-size="14">',
        f'<title id="workflow-title">{escape(title)}</title>',
        f'<desc id="workflow-desc">{escape(description)}</desc>',
        '<defs><marker id="workflow-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{LINE}"/></marker></defs>',
    ]
    drawn = set()
    for source, target, _label in steps:
        if (source, target) in drawn or source == target:
            continue
        drawn.add((source, target))
        (x1, y1), (x2, y2) = positions[source], positions[target]
        start: tuple[float, float]
        end: tuple[float, float]
        if x2 > x1:
            start, end = (x1 + BOX_W, y1 + BOX_H / 2), (x2, y2 + BOX_H / 2)
        elif x2 < x1:  # backwards (returned -> submitted): route under the boxes
            start, end = (x1 + BOX_W / 2, y1 + BOX_H), (x2 + BOX_W / 2, y2 + BOX_H)
        else:
            start, end = (x1 + BOX_W / 2, y1 + BOX_H), (x2 + BOX_W / 2, y2)
        parts.append(
            f'<line x1="{start[0]:.0f}" y1="{start[1]:.0f}" x2="{end[0]:.0f}" y2="{end[1]:.0f}" '
            f'stroke="{LINE}" stroke-width="1.5" marker-end="url(#workflow-arrow)"/>'
        )
    for state_id, state in workflow.states.items():
        x, y = positions[state_id]
        is_current = state_id == current_state
        stroke = CURRENT if is_current else (FINAL if state.final else TEXT)
        fill = "#d2e2f1" if is_current else "#ffffff"
        parts.append(
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{4 if is_current else 2}"/>'
        )
        parts.append(
            f'<text x="{x + BOX_W / 2:.0f}" y="{y + (22 if is_current else 32)}" text-anchor="middle" fill="{TEXT}" '
            f'font-weight="{"bold" if is_current else "normal"}">{escape(state.label)}</text>'
        )
        if is_current:
            parts.append(
                f'<text x="{x + BOX_W / 2:.0f}" y="{y + 42}" text-anchor="middle" fill="{TEXT}">(current)</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
