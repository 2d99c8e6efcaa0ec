"""The layers as DESIGN.md draws them: no import cycle in `bot/` (imports inside functions
and under TYPE_CHECKING count too), only `bot/channels/` imports python-telegram-bot, and
the shared types and the store import nothing above them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.services.flows import ALL_EFFECTS, EngineFlow, FlowError, Flows
from bot.services.unanswered import UnansweredFlow

BOT = Path(__file__).resolve().parent.parent / "bot"


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """module -> the bot modules it imports, anywhere in its file."""
    found: dict[str, set[str]] = {}
    known = {module_name(path) for path in BOT.rglob("*.py")}
    for path in BOT.rglob("*.py"):
        name = module_name(path)
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets.add(node.module)
                # `from bot.services import booking` imports the module bot.services.booking
                targets.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[name] = {target for target in targets if target in known and target != name}
    return found


def telegram_importers() -> set[str]:
    users: set[str] = set()
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name == "telegram" or name.startswith("telegram.") for name in names):
                users.add(module_name(path))
    return users


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, if there is one (a package counts as importing its modules'
    package only through its own file)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_in_bot() -> None:
    assert cycle(imports()) is None


def test_the_cycle_finder_finds_one() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_only_the_channels_import_telegram() -> None:
    users = telegram_importers()
    assert users and all(name.startswith("bot.channels.") for name in users), users


@pytest.mark.parametrize("layer", ["bot.types", "bot.clock", "bot.store"])
def test_the_lower_layers_import_nothing_above_them(layer: str) -> None:
    graph = imports()
    mine = {name for name in graph if name == layer or name.startswith(layer + ".")}
    above = ("bot.engine", "bot.services", "bot.channels", "bot.knowledge", "bot.cli")
    for name in mine:
        assert not [t for t in graph[name] if t.startswith(above)], name


def test_every_effect_is_done_by_exactly_one_flow() -> None:
    with pytest.raises(FlowError, match="no flow does: appointments, book"):
        Flows([EngineFlow(staff=False), UnansweredFlow()], asks=ALL_EFFECTS - {"handoff"})
    with pytest.raises(FlowError, match="unanswered and unanswered both do"):
        Flows([UnansweredFlow(), UnansweredFlow()], asks=frozenset())
