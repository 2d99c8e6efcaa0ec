"""The knowledge the running bot uses, replaced by a reload only when the new version is
valid: a broken edit is refused with its problems and the last good version stays."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.knowledge import KnowledgeBase, KnowledgeError, load_knowledge

log = logging.getLogger(__name__)


class LiveKnowledge:
    """A callable that returns the current knowledge base (what `Conversations` takes)."""

    def __init__(self, kb: KnowledgeBase, directory: Path, translations: Path | None) -> None:
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
        self.kb = kb
        log.info("knowledge reloaded: %d nodes", len(kb.nodes))
        return []
