"""The picture of who reports whom: a layered layout and its SVG.

The layout is deterministic: the agents nobody reports on the left, each reported
agent one column right of its nearest reporter, a column's agents ordered by where
their reporters stand, shorter columns centred. Positions across are shares of the
width, so labels keep their size on a phone (``_svg``); each label has a wide and a
narrow form, and CSS shows one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup

from service.pages._labels import TermView
from service.pages._svg import element, group, lines, link, num, pct, picture

if TYPE_CHECKING:
    from service.pages._network import Edge

TOP = 20
#: The height of one agent: its circle and up to three lines of label.
NODE = 84
RADIUS = 9
#: A node's label: characters a line and lines, beside a wide or a narrow screen.
WIDE, NARROW = (26, 2), (14, 3)


@dataclass
class Node:
    agent: TermView
    column: int = 0
    row: int = 0
    #: Claims of others it relays, and its own claims that others relay.
    reports: int = 0
    reported: int = 0


def layout(edges: list[Edge]) -> list[Node]:
    """Columns by the longest chain of reports that leads to each agent; rows ordered by
    the reporters' rows.

    A report back along a chain (a cycle: A reports B, B reports A) is left out of the
    columns, so every agent is placed and every other arrow points right.
    """
    nodes: dict[str, Node] = {}
    after: dict[str, list[str]] = defaultdict(list)
    before: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        for view in (e.reporter, e.claimant):
            nodes.setdefault(view.key, Node(view))
        nodes[e.reporter.key].reports += e.claims
        nodes[e.claimant.key].reported += e.claims
        after[e.reporter.key].append(e.claimant.key)
        before[e.claimant.key].append(e.reporter.key)
    order = sorted(
        nodes, key=lambda k: (bool(before[k]), -nodes[k].reports, nodes[k].agent.text, k)
    )
    back = _back_edges(order, after)
    waiting = {k: sum(1 for p in before[k] if (p, k) not in back) for k in order}
    queue = [k for k in order if waiting[k] == 0]
    while queue:
        key = queue.pop(0)
        for child in after[key]:
            if (key, child) in back:
                continue
            nodes[child].column = max(nodes[child].column, nodes[key].column + 1)
            waiting[child] -= 1
            if waiting[child] == 0:
                queue.append(child)
    columns: dict[int, list[Node]] = defaultdict(list)
    for key in order:
        columns[nodes[key].column].append(nodes[key])
    for index in sorted(columns):
        column_nodes = columns[index]
        # Beside its reporters: the mean row of the agents that report it, then weight.
        column_nodes.sort(key=lambda n: (_mean_row(n, before, nodes), -n.reported, n.agent.text))
        for row, node in enumerate(column_nodes):
            node.row = row
    return sorted(nodes.values(), key=lambda n: (n.column, n.row))


def _back_edges(order: list[str], after: dict[str, list[str]]) -> set[tuple[str, str]]:
    """The edges that close a cycle, found by a depth-first walk in ``order``.

    >>> sorted(_back_edges(["a", "b"], {"a": ["b"], "b": ["a"]}))
    [('b', 'a')]
    """
    state: dict[str, str] = {}
    back: set[tuple[str, str]] = set()
    for root in order:
        if root in state:
            continue
        state[root] = "open"
        stack = [(root, iter(after.get(root, ())))]
        while stack:
            key, children = stack[-1]
            for child in children:
                if state.get(child) == "open":
                    back.add((key, child))
                elif child not in state:
                    state[child] = "open"
                    stack.append((child, iter(after.get(child, ()))))
                    break
            else:
                state[key] = "done"
                stack.pop()
    return back


def _mean_row(node: Node, before: dict[str, list[str]], nodes: dict[str, Node]) -> float:
    rows = [nodes[k].row for k in before[node.agent.key] if nodes[k].column < node.column]
    return sum(rows) / len(rows) if rows else 0.0


def draw(nodes: list[Node], edges: list[Edge], *, undrawn: int = 0) -> Markup:
    """The picture: a circle per agent, linked to its page; an arrow per edge, as thick
    as its claims are many, with their number."""
    if not nodes:
        return Markup("")
    columns = max(n.column for n in nodes) + 1
    per_column: dict[int, int] = defaultdict(int)
    for n in nodes:
        per_column[n.column] += 1
    tallest = max(per_column.values())

    def at(node: Node) -> tuple[float, float]:
        # Shorter columns are centred on the tallest.
        offset = (tallest - per_column[node.column]) * NODE / 2
        return 100 * (node.column + 0.5) / columns, TOP + offset + node.row * NODE + RADIUS

    where = {n.agent.key: at(n) for n in nodes}
    heaviest = max((e.claims for e in edges), default=1)
    lines_drawn: list[Markup] = []
    counts: list[Markup] = []
    for e in edges:
        (x1, y1), (x2, y2) = where[e.reporter.key], where[e.claimant.key]
        width = 1.5 + 3.5 * math.sqrt(e.claims / heaviest)
        line = element(
            "line",
            {
                "x1": pct(x1),
                "y1": num(y1),
                "x2": pct(x2),
                "y2": num(y2),
                "stroke-width": num(width),
                "marker-end": "url(#net-arrow)",
                "class": f"edge {e.how}",
            },
        )
        lines_drawn.append(link(None, [line], e.text))
        middle = {"x": pct((x1 + x2) / 2), "y": num((y1 + y2) / 2 + 4), "class": "edge-count"}
        counts.append(element("text", {**middle, "text-anchor": "middle"}, str(e.claims)))
    marks = [_node(n, *where[n.agent.key]) for n in nodes]
    height = TOP + tallest * NODE + 10
    left_out = (
        f" The {undrawn} lightest edges are left out; the table lists them." if undrawn else ""
    )
    desc = (
        f"{len(nodes)} agents and {len(edges)} reporting edges, in columns from the agents "
        "nobody reports (left) to the agents they report (right); an arrow's thickness and "
        f"number are the claims it carries.{left_out} The same edges are listed in the table "
        "below."
    )
    return picture(
        "net",
        height=height,
        title="Who reports whom: the network of reported speech",
        desc=desc,
        body=[_defs(), group(lines_drawn, {"class": "edges"}), group(counts), *marks],
        css="network-svg",
    )


def _defs() -> Markup:
    """The arrowhead, set back by a node's radius so it stops at the circle."""
    head = element("path", {"d": "M0,0 L10,5 L0,10 z", "class": "arrow"})
    marker = element(
        "marker",
        {
            "id": "net-arrow",
            "viewBox": "0 0 10 10",
            "refX": num(10 + RADIUS + 2),
            "refY": "5",
            "markerWidth": "10",
            "markerHeight": "10",
            "markerUnits": "userSpaceOnUse",
            "orient": "auto",
        },
        head,
    )
    return element("defs", None, marker)


def _node(node: Node, x: float, y: float) -> Markup:
    """A circle and its label (a wide and a narrow form; CSS shows one), linked to the
    agent's page."""
    r = RADIUS + min(node.reports + node.reported, 40) ** 0.5
    parts = [element("circle", {"cx": pct(x), "cy": num(y), "r": num(r), "class": "node"})]
    for css, (width, most) in (("wide", WIDE), ("narrow", NARROW)):
        spans = [
            element("tspan", {"x": pct(x), "dy": "0" if i == 0 else "15"}, text)
            for i, text in enumerate(lines(node.agent.text, width, most))
        ]
        attrs = {"x": pct(x), "y": num(y + r + 16), "text-anchor": "middle"}
        parts.append(element("text", {**attrs, "class": f"node-label {css}"}, *spans))
    said = []
    if node.reports:
        said.append(f"relays {node.reports} {_claims(node.reports)} of others")
    if node.reported:
        said.append(f"{node.reported} of its {_claims(node.reported)} relayed by others")
    title = f"{node.agent.text}: " + "; ".join(said)
    return link(node.agent.href, parts, title)


def _claims(count: int) -> str:
    return "claim" if count == 1 else "claims"
