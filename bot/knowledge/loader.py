"""Reads a knowledge folder, validates it completely and builds the immutable KnowledgeBase.

Every problem is collected (YAML syntax, schema, ids, targets, conditions, reachability,
texts) so an editor sees all of them in one run, each as file:line:column.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.i18n import FALLBACK_MARKER, SOURCE_LANGUAGE, Catalogs, is_rtl, isolate_ltr
from bot.knowledge.appointments import Appointments
from bot.knowledge.conditions import ConditionError, Expr, parse_condition, slot_names
from bot.knowledge.models import (
    SYSTEM_SLOTS,
    ActionNode,
    AnswerNode,
    AskNode,
    FlowFile,
    MenuNode,
    Organisation,
    RouteNode,
    node_texts,
)
from bot.knowledge.problems import KnowledgeError, Problem
from bot.knowledge.yamlpos import LoadedYaml, YamlPath, load_yaml

M = TypeVar("M", bound=BaseModel)
AnyNode = MenuNode | AskNode | RouteNode | AnswerNode | ActionNode
ORGANISATION_FILE = "ki.yaml"
APPOINTMENTS_FILE = "appointments.yaml"
FLOWS_DIR = "flows"
EXAMPLES_DIR = "examples"  # messages families wrote, with the answer they meant (*.jsonl)
MAX_MESSAGE_CHARS = 600  # plain language: one idea per message
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\.([a-z]+)\}")
# A German key term: [[Seiteneinstiegsberatung]]. Shown without the brackets; translations
# must keep the German term visible (families hear it at offices).
KEY_TERM = re.compile(r"\[\[([^\[\]]+)\]\]")


@dataclass(frozen=True)
class Example:
    """A message a family wrote (or could have written) and the node it meant, from
    examples/<folder>/<lang>.jsonl: Lotse learns from these how families put things."""

    text: str
    lang: str
    expect: str  # a node id, or "none"
    folder: str  # its folder under examples/ ("heldout2"): a set is left out to measure it


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the engine needs, validated; never changed after loading."""

    directory: Path
    organisation: Organisation
    flows: Mapping[str, FlowFile]
    nodes: Mapping[str, AnyNode]
    node_flow: Mapping[str, str]
    conditions: Mapping[tuple[str, int], Expr]
    fits: Mapping[str, Expr] = field(default_factory=dict)  # an answer's `fits`, parsed
    warnings: tuple[Problem, ...] = field(default=())
    catalogs: Catalogs = field(default_factory=Catalogs)  # translations; German only if empty
    appointments: Appointments | None = None  # None: booking in the chat is not offered
    examples: tuple[Example, ...] = ()

    def __repr__(self) -> str:
        return f"KnowledgeBase({str(self.directory)!r}, {len(self.nodes)} nodes)"

    def resolve(self, target: str) -> str:
        """A target names a node or a flow; a flow means its start node."""
        flow = self.flows.get(target)
        return flow.start if flow is not None else target

    @property
    def reach(self) -> dict[str, str]:
        """Placeholders of the fallback contact, for texts like "Telefon {phone}"."""
        contact = self.organisation.fallback_contact
        return {"phone": f"{{{contact}.phone}}", "email": f"{{{contact}.email}}"}

    def fill(self, text: str, lang: str = SOURCE_LANGUAGE) -> str:
        """The text as a family sees it: {contact.field} placeholders filled with the
        contact data (one edit updates all; prose fields like `transport` translated),
        [[key term]] markers shown as the term."""

        def replace(match: re.Match[str]) -> str:
            contact_id, name = match.groups()
            value = str(getattr(self.organisation.contacts[contact_id], name))
            return self.catalogs.text(lang, f"contacts.{contact_id}.{name}", value).text

        return KEY_TERM.sub(r"\1", PLACEHOLDER.sub(replace, text))

    def render(self, text: str, lang: str, shown_lang: str, *, tail: str = "") -> str:
        """One message as the family `lang` reads it, written in `shown_lang`: filled
        (see `fill`), marked "Noch nicht in Ihrer Sprache:" when that is another language
        (the fallback chain), and with German terms, numbers and addresses isolated in a
        right-to-left layout. `tail` (e.g. the family's own scrubbed words) is added as it
        is: never filled. The one place every flow's texts go through."""
        shown = self.fill(text, shown_lang) + tail
        if shown_lang != lang:
            shown = self.catalogs.gettext(lang, FALLBACK_MARKER) + "\n" + shown
        if is_rtl(lang) or is_rtl(shown_lang):
            shown = isolate_ltr(shown)
        return shown


@dataclass
class _File:
    path: Path
    loaded: LoadedYaml
    model: BaseModel | None = None

    @property
    def name(self) -> str:
        return str(self.path)

    def problem(self, path: YamlPath, message: str, *, key: bool = False) -> Problem:
        where = self.loaded.key_position(path) if key else self.loaded.position(path)
        return Problem(self.name, where.line, where.column, message)


def _validate(file: _File, model: type[BaseModel], problems: list[Problem]) -> None:
    if file.loaded.data is None:
        if not file.loaded.problems:
            problems.append(Problem(file.name, 1, 1, "the file is empty"))
        return
    try:
        file.model = model.model_validate(file.loaded.data)
    except ValidationError as exc:
        for error in exc.errors():
            path = _written_path(file.loaded, error["loc"])
            missing = error["type"] == "missing"
            extra = error["type"] == "extra_forbidden"
            label = ".".join(str(part) for part in path) or "file"
            if missing:
                message = f"{label}: '{error['loc'][-1]}' is required"
            elif extra:
                message = f"{label}: unknown field (check the spelling)"
            else:
                message = f"{label}: {error['msg']}"
            problems.append(file.problem(path, message, key=extra))


def load_model_file(path: Path, model: type[M]) -> tuple[M | None, LoadedYaml, list[Problem]]:
    """Any YAML file validated against `model`, with problems at file:line:column."""
    file = _File(path, load_yaml(path.read_text(encoding="utf-8"), str(path)))
    problems = list(file.loaded.problems)
    _validate(file, model, problems)
    return (file.model if isinstance(file.model, model) else None), file.loaded, problems


def _written_path(loaded: LoadedYaml, loc: tuple[int | str, ...]) -> YamlPath:
    """Pydantic's error location without the union tags it inserts (e.g. 'menu')."""
    path: YamlPath = ()
    for index, part in enumerate(loc):
        candidate = (*path, part)
        is_last = index == len(loc) - 1
        if candidate in loaded.positions or (is_last and not isinstance(part, int)):
            path = candidate
    return path


def edges(node: AnyNode) -> Iterator[tuple[YamlPath, str]]:
    """(field path within the node, target) for every way out of a node."""
    if isinstance(node, MenuNode | AnswerNode | ActionNode | AskNode):
        for index, button in enumerate(node.buttons):
            yield ("buttons", index, "goto"), button.goto
    if isinstance(node, AskNode):
        yield ("next",), node.next
    elif isinstance(node, RouteNode):
        for index, route in enumerate(node.routes):
            yield ("routes", index, "goto"), route.goto
        yield ("otherwise",), node.otherwise


def decided_by(kb: KnowledgeBase, question: str) -> frozenset[str]:
    """The answers a question leads to through its routes and further questions."""
    found: set[str] = set()
    seen: set[str] = set()
    todo = [question]
    while todo:
        node_id = kb.resolve(todo.pop())
        if node_id in seen:
            continue
        seen.add(node_id)
        node = kb.nodes[node_id]
        if isinstance(node, AskNode):
            todo.append(node.next)
        elif isinstance(node, RouteNode):
            todo.extend([route.goto for route in node.routes] + [node.otherwise])
        elif isinstance(node, AnswerNode):
            found.add(node_id)
    return frozenset(found)


def _text_path(field_path: str) -> YamlPath:
    return tuple(int(part) if part.isdigit() else part for part in field_path.split("."))


class _Checker:
    """Collects every problem of one knowledge folder while building its parts."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problems: list[Problem] = []
        self.flow_files: list[_File] = []
        self.node_home: dict[str, _File] = {}
        self.flow_home: dict[str, _File] = {}
        self.flows: dict[str, FlowFile] = {}
        self.nodes: dict[str, AnyNode] = {}
        self.node_flow: dict[str, str] = {}
        self.conditions: dict[tuple[str, int], Expr] = {}
        self.fits: dict[str, Expr] = {}
        self.organisation: Organisation | None = None
        self.appointments: Appointments | None = None

    def run(self) -> KnowledgeBase | None:
        org_file = self.load_organisation()
        self.load_flows()
        self.collect_ids()
        self.build_flows()
        if self.organisation is not None and org_file is not None:
            self.check_organisation(org_file, self.organisation)
        self.check_nodes()
        self.load_appointments()
        examples = self.load_examples()
        if self.organisation is not None and self.nodes and self.complete:
            self.problems += _check_graph(
                self.organisation.root, self.flows, self.nodes, self.node_home
            )
        if self.organisation is None or any(p.severity == "error" for p in self.problems):
            return None
        return KnowledgeBase(
            directory=self.directory,
            organisation=self.organisation,
            flows=MappingProxyType(self.flows),
            nodes=MappingProxyType(self.nodes),
            node_flow=MappingProxyType(self.node_flow),
            conditions=MappingProxyType(self.conditions),
            fits=MappingProxyType(self.fits),
            warnings=tuple(sorted(self.problems)),
            appointments=self.appointments,
            examples=examples,
        )

    def load_examples(self) -> tuple[Example, ...]:
        """examples/**/*.jsonl: one {"text", "lang", "expect"} per line. A broken line or an
        unknown node is a warning (file:line:column) and that line is left out: an example
        only helps, so it never stops the bot."""
        found: list[Example] = []
        base = self.directory / EXAMPLES_DIR
        for path in sorted(base.rglob("*.jsonl")):
            folder = path.parent.relative_to(base).as_posix()
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    example = Example(
                        str(data["text"]), str(data["lang"]), str(data["expect"]), folder
                    )
                except json.JSONDecodeError as exc:
                    self.problems.append(
                        Problem(str(path), number, exc.colno, f"not JSON: {exc.msg}", "warning")
                    )
                    continue
                except (KeyError, TypeError):
                    self.problems.append(
                        Problem(
                            str(path), number, 1, 'needs "text", "lang" and "expect"', "warning"
                        )
                    )
                    continue
                if example.expect != "none" and example.expect not in self.nodes:
                    column = line.find(example.expect) + 1 or 1
                    self.problems.append(
                        Problem(
                            str(path), number, column, f"no node '{example.expect}'", "warning"
                        )
                    )
                    continue
                found.append(example)
        return tuple(found)

    def load_organisation(self) -> _File | None:
        path = self.directory / ORGANISATION_FILE
        if not path.is_file():
            self.problems.append(
                Problem(str(path), 1, 1, "missing: every knowledge folder needs it")
            )
            return None
        file = _File(path, load_yaml(path.read_text(encoding="utf-8"), str(path)))
        self.problems += file.loaded.problems
        _validate(file, Organisation, self.problems)
        if isinstance(file.model, Organisation):
            self.organisation = file.model
        return file

    def load_flows(self) -> None:
        paths = sorted((self.directory / FLOWS_DIR).glob("*.yaml"))
        if not paths:
            self.problems.append(
                Problem(str(self.directory / FLOWS_DIR), 1, 1, "no flow files (*.yaml)")
            )
        for path in paths:
            file = _File(path, load_yaml(path.read_text(encoding="utf-8"), str(path)))
            self.problems += file.loaded.problems
            _validate(file, FlowFile, self.problems)
            self.flow_files.append(file)

    def collect_ids(self) -> None:
        """Ids are global. They are read from every file, valid or not, so that one broken
        file does not make every reference into it look unknown."""
        for file in self.flow_files:
            data = file.loaded.data if isinstance(file.loaded.data, dict) else {}
            flow_id = data.get("flow")
            if isinstance(flow_id, str):
                if flow_id in self.flow_home:
                    first = self.flow_home[flow_id].name
                    self.problems.append(
                        file.problem(("flow",), f"flow id '{flow_id}' also in {first}")
                    )
                else:
                    self.flow_home[flow_id] = file
            node_ids = data.get("nodes")
            for node_id in node_ids if isinstance(node_ids, dict) else {}:
                home = self.node_home.get(node_id)
                if home is None:
                    self.node_home[node_id] = file
                    continue
                where = home.loaded.key_position(("nodes", node_id))
                message = f"duplicate node id '{node_id}' (first in {home.name}:{where.line})"
                self.problems.append(file.problem(("nodes", node_id), message, key=True))
        for flow_id, file in self.flow_home.items():
            if flow_id in self.node_home:
                self.problems.append(
                    file.problem(("flow",), f"flow id '{flow_id}' is also a node id; rename one")
                )

    @property
    def complete(self) -> bool:
        """False when a flow file is not even YAML: its ids are unknown, so reports of
        unknown targets and unreachable nodes would only be noise until it is fixed."""
        return all(file.loaded.data is not None for file in self.flow_files)

    @property
    def known_targets(self) -> set[str]:
        return set(self.node_home) | set(self.flow_home)

    def build_flows(self) -> None:
        for file in self.flow_files:
            if not isinstance(file.model, FlowFile):
                continue
            flow = file.model
            self.flows.setdefault(flow.flow, flow)
            for node_id, node in flow.nodes.items():
                if self.node_home.get(node_id) is file:
                    self.nodes[node_id] = node
                    self.node_flow[node_id] = flow.flow
            if flow.start not in flow.nodes:
                self.problems.append(
                    file.problem(("start",), f"start '{flow.start}' is not a node of this flow")
                )

    def load_appointments(self) -> None:
        """knowledge/appointments.yaml is optional: without it, booking is by phone."""
        path = self.directory / APPOINTMENTS_FILE
        if not path.is_file():
            return
        model, loaded, problems = load_model_file(path, Appointments)
        self.problems += problems
        if model is None:
            return
        file = _File(path, loaded, model)
        for type_id, kind in model.types.items():
            base: YamlPath = ("types", type_id)
            for index, journey in enumerate(kind.journeys):
                if journey not in self.flows:
                    message = f"unknown flow '{journey}'"
                    self.problems.append(file.problem((*base, "journeys", index), message))
            contacts = self.organisation.contacts if self.organisation else {}
            if kind.contact not in contacts:
                message = f"unknown contact '{kind.contact}'"
                self.problems.append(file.problem((*base, "contact"), message))
            documents = self.nodes.get(kind.documents or "")
            if kind.documents and not (isinstance(documents, AnswerNode) and documents.checklist):
                message = f"'{kind.documents}' is not an answer node with a checklist"
                self.problems.append(file.problem((*base, "documents"), message))
            self.check_text(file, (*base, "name"), f"appointments.{type_id}.name", kind.name)
        self.appointments = model

    def check_organisation(self, file: _File, organisation: Organisation) -> None:
        if self.complete and organisation.root not in self.known_targets:
            self.problems.append(file.problem(("root",), f"unknown target '{organisation.root}'"))
        elsewhere = organisation.elsewhere
        if self.complete and elsewhere is not None and elsewhere not in self.known_targets:
            self.problems.append(file.problem(("elsewhere",), f"unknown target '{elsewhere}'"))
        if organisation.fallback_contact not in organisation.contacts:
            self.problems.append(
                file.problem(
                    ("fallback_contact",), f"unknown contact '{organisation.fallback_contact}'"
                )
            )
        self.check_placeholders(file, ("welcome",), organisation.welcome)

    def check_nodes(self) -> None:
        defined_slots = set(SYSTEM_SLOTS).union(
            *(node.filled_slots for node in self.nodes.values() if isinstance(node, AskNode))
        )
        for node_id, node in self.nodes.items():
            file = self.node_home[node_id]
            base: YamlPath = ("nodes", node_id)
            self.checkedges(file, base, node)
            if isinstance(node, MenuNode) and not node.buttons:
                message = f"dead end: menu '{node_id}' has no buttons"
                self.problems.append(file.problem(base, message, key=True))
            if isinstance(node, RouteNode):
                self.check_routes(file, node_id, node, defined_slots)
            if isinstance(node, AnswerNode) and node.fits is not None:
                path: YamlPath = (*base, "fits")
                expr = self.condition(file, path, node.fits, defined_slots)
                if expr is not None:
                    self.fits[node_id] = expr
            if isinstance(node, AnswerNode) and node.instead is not None:
                self.check_instead(file, base, node_id, node)
            for field_path, text in node_texts(node).items():
                self.check_text(
                    file, (*base, *_text_path(field_path)), f"{node_id}.{field_path}", text
                )

    def check_instead(self, file: _File, base: YamlPath, node_id: str, node: AnswerNode) -> None:
        path: YamlPath = (*base, "instead")
        if node.fits is None:
            self.problems.append(file.problem(path, f"'{node_id}' has `instead` but no `fits`"))
        target = node.instead
        if self.complete and not isinstance(self.nodes.get(target or ""), AnswerNode):
            self.problems.append(file.problem(path, f"'{target}' is no answer"))

    def checkedges(self, file: _File, base: YamlPath, node: AnyNode) -> None:
        seen: set[str] = set()
        for field_path, target in edges(node):
            path = (*base, *field_path)
            if self.complete and target not in self.known_targets:
                self.problems.append(file.problem(path, f"unknown target '{target}'"))
            if field_path[0] == "buttons":
                if target in seen:
                    self.problems.append(file.problem(path, f"two buttons lead to '{target}'"))
                seen.add(target)

    def check_routes(
        self, file: _File, node_id: str, node: RouteNode, defined_slots: set[str]
    ) -> None:
        for index, route in enumerate(node.routes):
            path: YamlPath = ("nodes", node_id, "routes", index, "when")
            expr = self.condition(file, path, route.when, defined_slots)
            if expr is not None:
                self.conditions[(node_id, index)] = expr

    def condition(
        self, file: _File, path: YamlPath, text: str, defined_slots: set[str]
    ) -> Expr | None:
        """A route's `when` or an answer's `fits`, parsed; a problem if it cannot be."""
        try:
            expr = parse_condition(text)
        except ConditionError as exc:
            self.problems.append(_condition_problem(file, path, text, exc))
            return None
        for name in sorted(slot_names(expr) - defined_slots):
            message = f"unknown slot '{name}' (no ask node fills it)"
            self.problems.append(file.problem(path, message))
        return expr

    def check_text(self, file: _File, path: YamlPath, label: str, text: str) -> None:
        if not text.strip():
            self.problems.append(file.problem(path, f"missing text in '{label}'"))
            return
        if len(text) > MAX_MESSAGE_CHARS:
            message = f"message has {len(text)} characters; keep it under {MAX_MESSAGE_CHARS}"
            self.problems.append(_as_warning(file.problem(path, message)))
        self.check_placeholders(file, path, text)
        if "[[" in KEY_TERM.sub("", text) or "]]" in KEY_TERM.sub("", text):
            self.problems.append(file.problem(path, f"unbalanced [[key term]] in '{label}'"))

    def check_placeholders(self, file: _File, path: YamlPath, text: str) -> None:
        if self.organisation is None:
            return
        for match in PLACEHOLDER.finditer(text):
            contact_id, field_name = match.groups()
            contact = self.organisation.contacts.get(contact_id)
            if contact is None:
                self.problems.append(file.problem(path, f"unknown contact '{contact_id}'"))
            elif getattr(contact, field_name, None) in (None, ""):
                message = f"contact '{contact_id}' has no '{field_name}'"
                self.problems.append(file.problem(path, message))


def check_knowledge(directory: Path) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Validate a knowledge folder: (the knowledge base or None, every problem found)."""
    checker = _Checker(directory)
    kb = checker.run()
    return kb, sorted(checker.problems)


def _as_warning(problem: Problem) -> Problem:
    return Problem(problem.file, problem.line, problem.column, problem.message, "warning")


def _condition_problem(file: _File, path: YamlPath, source: str, exc: ConditionError) -> Problem:
    where = file.loaded.position(path)
    raw = file.path.read_text(encoding="utf-8").splitlines()[where.line - 1]
    # A quoted condition starts one character after the quote mark.
    quoted = raw[where.column - 1 : where.column] in ("'", '"')
    column = where.column + exc.offset + (1 if quoted else 0)
    return Problem(file.name, where.line, column, f"invalid condition '{source}': {exc}")


def _check_graph(
    root: str,
    flows: Mapping[str, FlowFile],
    nodes: Mapping[str, AnyNode],
    node_file: Mapping[str, _File],
) -> list[Problem]:
    """Unreachable nodes and loops made only of route nodes (they would never stop)."""

    def resolve(target: str) -> str:
        return flows[target].start if target in flows else target

    problems: list[Problem] = []
    reachable: set[str] = set()
    todo = [resolve(root)]
    while todo:
        node_id = todo.pop()
        if node_id in reachable or node_id not in nodes:
            continue
        reachable.add(node_id)
        todo.extend(resolve(target) for _, target in edges(nodes[node_id]))
    for node_id in nodes:
        if node_id not in reachable:
            problems.append(
                node_file[node_id].problem(
                    ("nodes", node_id),
                    f"unreachable: no button, route or flow leads to '{node_id}'",
                    key=True,
                )
            )

    def route_loop(start: str) -> bool:
        seen: set[str] = set()
        todo = [start]
        while todo:
            node_id = todo.pop()
            node = nodes.get(node_id)
            if not isinstance(node, RouteNode):
                continue
            for _, target in edges(node):
                target = resolve(target)
                if target == start:
                    return True
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return False

    for node_id, node in nodes.items():
        if isinstance(node, RouteNode) and route_loop(node_id):
            problems.append(
                node_file[node_id].problem(
                    ("nodes", node_id),
                    f"routes loop back to '{node_id}' without asking anything",
                    key=True,
                )
            )
    return problems


def load_knowledge(directory: Path, translations: Path | None = None) -> KnowledgeBase:
    """The validated knowledge base with the catalogs in `translations` (German only
    without them), or KnowledgeError with every problem."""
    kb, problems = check_knowledge(directory)
    if kb is None:
        raise KnowledgeError(problems)
    if translations is not None:
        kb = dataclasses.replace(kb, catalogs=Catalogs.load(translations))
    return kb


def json_schemas() -> dict[str, Any]:
    """JSON Schemas for editors: one for flow files, one for ki.yaml."""
    return {
        "flow": FlowFile.model_json_schema(),
        "organisation": Organisation.model_json_schema(),
        "appointments": Appointments.model_json_schema(),
    }
