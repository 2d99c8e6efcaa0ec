"""The knowledge the running bot uses, replaced by a reload only when the new version is
valid: a broken edit is refused with its problems and the last good version stays.

The second opinion learnt from the examples (bot.engine.examples) is built before a
version is used, so that no family's message waits for it: about 4 seconds at start-up
and at a reload that changed examples or keywords; a reload that changed only texts reuses
the model it has."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.engine import examples
from bot.knowledge import KnowledgeBase, KnowledgeError, load_knowledge

log = logging.getLogger(__name__)


class LiveKnowledge:
    """A callable that returns the current knowledge base (what `Conversations` takes)."""

    def __init__(self, kb: KnowledgeBase, directory: Path, translations: Path | None) -> None:
        examples.model(kb)
        self.kb = kb
        self.directory = directory
        self.translations = translations

    def __call__(self) -> KnowledgeBase:
        return self.kb

    def reload(self) -> list[str]:
        """Loads knowledge and translations again; returns the errors (file:line:column:
        message) of a refused version, or [] when the new version is in use."""
        try:
            kb = load_knowledge(self.directory, self.translations)
        except KnowledgeError as exc:
            errors = [str(p) for p in exc.problems if p.severity == "error"]
            log.warning(
                "reload refused: %d problem(s); the last good knowledge stays", len(errors)
            )
            return errors or [str(exc)]
        except Exception as exc:  # e.g. an unreadable catalog: keep running on the old one
            log.warning("reload refused (%s); the last good knowledge stays", type(exc).__name__)
            return [f"{type(exc).__name__}: {exc}"]
        examples.model(kb)
        self.kb = kb
        log.info("knowledge reloaded: %d nodes", len(kb.nodes))
        return []
