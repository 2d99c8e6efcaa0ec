"""The bundled Düsseldorf knowledge: complete, reachable, sourced, plain."""

from __future__ import annotations

import heapq
import re

import pytest

from bot.knowledge import KnowledgeBase, check_knowledge
from bot.knowledge.loader import KEY_TERM, MAX_MESSAGE_CHARS, edges
from bot.knowledge.models import AnswerNode, RouteNode, node_texts
from tests.conftest import KNOWLEDGE

# Facts marked H in shared/domain/FACTS.md, each as a fragment the family must be able
# to read; each must be at most five taps from the main menu.
H_FACTS = [
    "Amt für Migration und Integration",
    "erste Anlaufstelle",
    "einfache Deutschkurse",
    "in kleinen Gruppen oder zu zweit",
    "mehr als 50 Sprachen",
    "plant die Einsätze",
    "Welcome Points",
    "Das Angebot ist freiwillig",
    "ehrenamtliche Sprachmittlerinnen",
    "SmiLe",
    "+49 211 89-24077",
    "ki-beratung@duesseldorf.de",
    "Geburtsdatum Ihres Kindes",
    "Meldebescheinigung",
    "Pass oder Ausweis",
    "übersetzt auf Deutsch oder Englisch",
    "Einwilligungserklärung",
    "per Video",
    "Erkrather Str. 377",
    "Straßenbahn 705",
    "Die Schule meldet sich",
    "das ganze Jahr möglich",
    "Schulamt",
    "Bezirksregierung",
    "Alle Schulformen",
    "ändert eine zugewiesene Schule nicht",
    "fragen Sie bitte selbst bei dieser Schule",
    "bis zum 30. September 6 Jahre alt",
    "entscheidet die Schulleitung",
    "bis zum Ende des Schuljahres, in dem Ihr Kind 18 wird",
    "an dem Sie in NRW wohnen",
    "Zuweisung",
    "etwa 2 Jahre",
    "Gesundheitsamt",
    "nicht abweisen",
    "Wohngeld mit Kindergeld",
    "Amt für Soziales und Jugend",
    "Mittagessen",
    "ändern sich jedes Jahr",
    "meist einen Anspruch",
    "§ 24 (Ukraine) haben Sie keinen Anspruch",
    "Es kann Sie auch dazu verpflichten",
    "Seit dem 9. Februar 2026",
    "bleibt gültig",
    "selbst bezahlen",
    "600 Unterrichtsstunden",
    "900 Stunden Deutsch",
    "seit Dezember 2024",
    "Beitrag für jede Unterrichtsstunde",
    "Kostenbefreiung",
    "nicht in einen Integrationskurs",
    "Familien können den Pool nicht selbst buchen",
    "neutral",
    "Schweigepflicht",
    "organisiert das KI",
    "30 bis 75 Euro",
    "Kinder sollten nicht",
]


def taps_from_root(kb: KnowledgeBase) -> dict[str, int]:
    """Fewest taps (a button or a typed answer; routes are free) to reach each node."""
    root = kb.resolve(kb.organisation.root)
    best = {root: 0}
    queue = [(0, root)]
    while queue:
        taps, node_id = heapq.heappop(queue)
        if taps > best.get(node_id, 99):
            continue
        node = kb.nodes[node_id]
        cost = 0 if isinstance(node, RouteNode) else 1
        for _, target in edges(node):
            target = kb.resolve(target)
            if taps + cost < best.get(target, 99):
                best[target] = taps + cost
                heapq.heappush(queue, (taps + cost, target))
    return best


def shown_texts(kb: KnowledgeBase, node_id: str) -> str:
    return "\n".join(kb.fill(text) for text in node_texts(kb.nodes[node_id]).values())


@pytest.mark.parametrize("fact", H_FACTS)
def test_every_h_fact_is_within_five_taps(kb: KnowledgeBase, fact: str) -> None:
    taps = taps_from_root(kb)
    found = [node for node in kb.nodes if fact in shown_texts(kb, node)]
    assert found, f"no node says {fact!r}"
    assert min(taps.get(node, 99) for node in found) <= 5, (fact, found)


def test_every_node_is_reachable_and_the_check_is_clean() -> None:
    kb, problems = check_knowledge(KNOWLEDGE)
    assert kb is not None
    assert problems == []  # no warnings either: every message is short enough
    assert set(taps_from_root(kb)) == set(kb.nodes)


def test_the_three_journeys_exist(kb: KnowledgeBase) -> None:
    assert {"seiteneinstieg", "sprachkurs", "sprachmittlung"} <= set(kb.flows)
    root = kb.nodes[kb.resolve(kb.organisation.root)]
    targets = [target for _, target in edges(root)]
    assert targets[:3] == ["seiteneinstieg", "sprachkurs", "sprachmittlung"]


def test_every_answer_is_sourced_and_short(kb: KnowledgeBase) -> None:
    for node_id, node in kb.nodes.items():
        if isinstance(node, AnswerNode):
            assert node.sources and node.reviewed, node_id
            for message in node.messages:
                assert len(kb.fill(message)) <= MAX_MESSAGE_CHARS, node_id


def test_residence_law_answers_end_with_a_person_not_a_verdict(kb: KnowledgeBase) -> None:
    for node_id in ("sk_entitled", "sk_eu", "sk_ukraine", "sk_asylum", "sk_duldung", "sk_unsure"):
        node = kb.nodes[node_id]
        assert isinstance(node, AnswerNode)
        assert any(kb.resolve(b.goto) == "sk_human" for b in node.buttons), node_id


def test_no_prices_without_a_source(kb: KnowledgeBase) -> None:
    """Amounts change: a price may only appear where its source is named."""
    for node_id, node in kb.nodes.items():
        text = shown_texts(kb, node_id)
        if re.search(r"\d+\s*(€|Euro)", text):
            assert isinstance(node, AnswerNode) and node.sources, node_id
            assert node_id == "sm_private", f"{node_id} states a price"


def test_key_terms_are_marked_where_they_matter(kb: KnowledgeBase) -> None:
    marked = {
        match.group(1)
        for node in kb.nodes.values()
        for text in node_texts(node).values()
        for match in KEY_TERM.finditer(text)
    }
    assert {
        "Seiteneinstiegsberatung",
        "Schulpflicht",
        "Integrationskurs",
        "Sprachmittlung",
        "Bildung und Teilhabe",
        "Meldebescheinigung",
        "Jobcenter",
    } <= marked
