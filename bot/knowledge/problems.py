"""A problem found in the knowledge files, located as file:line:column for editors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One finding; `line` and `column` are 1-based like every editor shows them."""

    file: str
    line: int
    column: int
    message: str
    severity: str = "error"  # "error" fails `lotse knowledge check`; "warning" does not

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.file}:{self.line}:{self.column}: {prefix}{self.message}"

    def excerpt(self) -> str:
        """The offending source line with a caret under the column, or "" if unreadable."""
        try:
            lines = Path(self.file).read_text(encoding="utf-8").splitlines()
        except OSError:
            return ""
        if not 1 <= self.line <= len(lines):
            return ""
        source = lines[self.line - 1]
        return f"    {source}\n    {' ' * (self.column - 1)}^"


class KnowledgeError(Exception):
    """The knowledge folder cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        first = str(errors[0]) if errors else "no details"
        super().__init__(f"{len(errors)} problem(s) in the knowledge, first: {first}")
