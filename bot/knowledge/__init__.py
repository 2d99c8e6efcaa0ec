"""Knowledge: editor YAML loaded into a validated, immutable KnowledgeBase."""

from bot.knowledge.loader import KnowledgeBase, check_knowledge, load_knowledge
from bot.knowledge.problems import KnowledgeError, Problem

__all__ = ["KnowledgeBase", "KnowledgeError", "Problem", "check_knowledge", "load_knowledge"]
