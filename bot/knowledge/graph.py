"""A Mermaid picture of the decision tree, so editors see what they changed."""

from __future__ import annotations

from bot.knowledge.loader import KEY_TERM, AnyNode, KnowledgeBase, edges
from bot.knowledge.models import ActionNode, AnswerNode, AskNode, MenuNode, RouteNode

MAX_LABEL = 40


def _label(text: str) -> str:
    plain = " ".join(KEY_TERM.sub(r"\1", text).split())
    if len(plain) > MAX_LABEL:
        plain = plain[: MAX_LABEL - 1] + "…"
    return plain.replace('"', "#quot;")


def _shape(node_id: str, node: AnyNode) -> str:
    if isinstance(node, MenuNode):
        return f'{node_id}{{{{"{_label(node.text)}"}}}}'
    if isinstance(node, AskNode):
        return f'{node_id}[/"{_label(node.text)} ({node.parser})"/]'
    if isinstance(node, RouteNode):
        return f'{node_id}{{"{node_id}"}}'
    if isinstance(node, AnswerNode):
        return f'{node_id}["{_label(node.messages[0])}"]'
    assert isinstance(node, ActionNode)
    return f'{node_id}(["{node.action}"])'


def mermaid(kb: KnowledgeBase, flow: str | None = None) -> str:
    """`flowchart TD` of every node (or one flow's nodes); edges carry button labels
    and route conditions."""
    lines = ["flowchart TD"]
    for node_id, node in kb.nodes.items():
        if flow is not None and kb.node_flow[node_id] != flow:
            continue
        lines.append(f"  {_shape(node_id, node)}")
        labels = _edge_labels(node)
        for (_, target), label in zip(edges(node), labels, strict=True):
            arrow = f'-->|"{_label(label)}"|' if label else "-->"
            lines.append(f"  {node_id} {arrow} {kb.resolve(target)}")
    return "\n".join(lines) + "\n"


def _edge_labels(node: AnyNode) -> list[str]:
    """Labels in the order `edges` yields the targets."""
    if isinstance(node, RouteNode):
        return [route.when for route in node.routes] + ["sonst"]
    labels = [button.label for button in node.buttons]
    return [*labels, ""] if isinstance(node, AskNode) else labels
