"""Loads YAML into plain Python data plus the line and column of every value.

PyYAML's composer gives us marked nodes; we construct the data ourselves so that each
path (("nodes", "se_age", "buttons", 0, "goto")) maps to where it was written, and so
that duplicate keys are reported instead of silently overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from bot.knowledge.problems import Problem

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class LoadedYaml:
    data: Any
    positions: dict[YamlPath, Position]
    problems: list[Problem]

    def position(self, path: YamlPath) -> Position:
        """Where `path` was written, or its nearest written ancestor."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found
        return Position(1, 1)

    def key_position(self, path: YamlPath) -> Position:
        """Where the key of `path` was written (better for 'unknown field' messages)."""
        return self.positions.get(("#key", *path)) or self.position(path)


def _pos(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def load_yaml(text: str, filename: str) -> LoadedYaml:
    """Parse `text`; a syntax error becomes a Problem and `data` is None."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{what} ({exc.context})"
        return LoadedYaml(None, {}, [Problem(filename, line, column, f"YAML syntax: {what}")])
    except yaml.YAMLError as exc:  # e.g. a reader error for non-printable characters
        return LoadedYaml(None, {}, [Problem(filename, 1, 1, f"YAML syntax: {exc}")])
    loaded = LoadedYaml(None, {}, [])
    if root is not None:
        constructor = yaml.SafeLoader("")
        loaded.data = _build(root, (), loaded, constructor, filename)
    return loaded


def _build(
    node: yaml.Node, path: YamlPath, out: LoadedYaml, constructor: yaml.SafeLoader, filename: str
) -> Any:
    out.positions[path] = _pos(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        first_seen: dict[Any, Position] = {}
        for key_node, value_node in node.value:
            key = _build(key_node, ("#key", *path, "?"), out, constructor, filename)
            if isinstance(key, list | dict):
                where = _pos(key_node)
                out.problems.append(
                    Problem(filename, where.line, where.column, "a key must be a plain text")
                )
                continue
            if key in first_seen:
                where = _pos(key_node)
                out.problems.append(
                    Problem(
                        filename,
                        where.line,
                        where.column,
                        f"duplicate key '{key}' (first written at line {first_seen[key].line})",
                    )
                )
                continue
            first_seen[key] = _pos(key_node)
            out.positions[("#key", *path, key)] = _pos(key_node)
            result[key] = _build(value_node, (*path, key), out, constructor, filename)
        out.positions.pop(("#key", *path, "?"), None)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, index), out, constructor, filename)
            for index, item in enumerate(node.value)
        ]
    return constructor.construct_object(node, deep=True)
