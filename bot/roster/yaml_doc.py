"""Reading org.yaml: a strict YAML parse that remembers the line of every field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.roster.entry import Entry, read_entry
from bot.roster.problems import FILE, At, Loc, Problem
from bot.roster.schema import CoachIn, LeaderIn, OrganisationIn, ProgrammeIn, suggest

SECTIONS = ("organisation", "programmes", "coaches", "leaders")
_MAX_NODES = 200_000


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 scalars: 9:30 stays text, `no` is not False, 08 is not octal."""


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag.rsplit(":", 1)[-1] not in ("bool", "int", "float")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:  # e.g. 2026-02-30: let the field check explain it
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def render_path(loc: Loc) -> str:
    """('coaches', 2, 'timezone') -> 'coaches[2].timezone'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class Lines:
    """The line of each field path in one YAML document."""

    lines: dict[Loc, int] = field(default_factory=dict)

    def where(self, loc: Loc) -> str:
        """The path and the line of its nearest known part: 'coaches[2].timezone (line 31)'."""
        line = next(self.lines[loc[:k]] for k in range(len(loc), -1, -1) if loc[:k] in self.lines)
        path = render_path(loc)
        return f"{path} (line {line})" if path else f"line {line}"

    def at(self, *base: str | int) -> At:
        """A placer for the item at `base`."""
        return At(self.where, tuple(base))


def _walk(node: yaml.Node, loc: Loc, lines: Lines, problems: list[Problem]) -> None:
    stack: list[tuple[yaml.Node, Loc]] = [(node, loc)]
    seen: set[int] = set()
    while stack and len(seen) < _MAX_NODES:
        current, here = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        lines.lines.setdefault(here, current.start_mark.line + 1)
        if isinstance(current, yaml.SequenceNode):
            stack.extend((item, (*here, i)) for i, item in enumerate(current.value))
        elif isinstance(current, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key_node, value_node in current.value:
                key = str(key_node.value)
                key_line = key_node.start_mark.line + 1
                if key in first_line:
                    problems.append(
                        Problem(
                            f"{render_path((*here, key)) or key} (line {key_line})",
                            f"duplicate key {key!r} (also on line {first_line[key]}); keep one",
                        )
                    )
                    continue
                first_line[key] = key_line
                lines.lines[(*here, key)] = key_line
                stack.append((value_node, (*here, key)))


def parse_yaml(text: str) -> tuple[Any, Lines, list[Problem]]:
    """The document, its line map, and any syntax problems (then the document is None)."""
    lines = Lines({(): 1})
    problems: list[Problem] = []
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        code = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        return (
            None,
            lines,
            [Problem(f"line {line}", f"not valid YAML: character {code} is not allowed")],
        )
    try:
        node = loader.get_single_node()
        if node is None:
            return None, lines, [Problem(FILE, "the file is empty (expected an organisation YAML)")]
        _walk(node, (), lines, problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else FILE
        detail = ": ".join(str(p) for p in (exc.context, exc.problem) if p)
        return None, lines, [Problem(where, f"not valid YAML: {detail}")]
    except yaml.YAMLError as exc:
        return None, lines, [Problem(FILE, f"not valid YAML: {exc}")]
    finally:
        loader.dispose()
    if data is None:
        problems.append(Problem("line 1", "the file holds no data (expected an organisation YAML)"))
    return data, lines, problems


@dataclass
class OrgFile:
    """The parts of org.yaml as read: every entry, with what of it is valid."""

    organisation: Entry[OrganisationIn]
    programmes: list[Entry[ProgrammeIn]]
    coaches: list[Entry[CoachIn]]
    leaders: list[Entry[LeaderIn]]
    mentioned_coaches: set[str]
    mentioned_programmes: set[str]


def _section(data: dict[str, Any], name: str, lines: Lines, problems: list[Problem]) -> list[Any]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(
            Problem(lines.where((name,)), f"expected a list of {name}, got {type(value).__name__}")
        )
        return []
    return value


def _mentioned(items: list[Any], *keys: str) -> set[str]:
    return {
        str(i[key]).strip().casefold()
        for i in items
        if isinstance(i, dict)
        for key in keys
        if i.get(key)
    }


def read_org_yaml(text: str) -> tuple[OrgFile | None, list[Problem]]:
    """Parse and validate every field of org.yaml, collecting every problem."""
    data, lines, problems = parse_yaml(text)
    if data is None:
        return None, problems
    if not isinstance(data, dict):
        shape = "text" if isinstance(data, str) else type(data).__name__
        return None, [
            *problems,
            Problem(
                "line 1",
                "this does not look like an organisation YAML: expected a mapping with the "
                f"sections {', '.join(SECTIONS)} (got {shape})",
            ),
        ]
    for key in data:
        if key not in SECTIONS:
            hint = suggest(str(key), SECTIONS) or f" (expected {', '.join(SECTIONS)})"
            problems.append(Problem(lines.where((str(key),)), f"unknown section {key!r}{hint}"))
    organisation: Entry[OrganisationIn] = Entry(lines.at("organisation"))
    if "organisation" not in data:
        problems.append(Problem("line 1", "missing required section 'organisation'"))
    else:
        organisation = read_entry(OrganisationIn, data["organisation"], organisation.at, problems)
    raw = {name: _section(data, name, lines, problems) for name in SECTIONS[1:]}
    parsed = OrgFile(
        organisation=organisation,
        programmes=[
            read_entry(ProgrammeIn, item, lines.at("programmes", i), problems)
            for i, item in enumerate(raw["programmes"])
        ],
        coaches=[
            read_entry(CoachIn, item, lines.at("coaches", i), problems)
            for i, item in enumerate(raw["coaches"])
        ],
        leaders=[
            read_entry(LeaderIn, item, lines.at("leaders", i), problems)
            for i, item in enumerate(raw["leaders"])
        ],
        mentioned_coaches=_mentioned(raw["coaches"], "email"),
        mentioned_programmes=_mentioned(raw["programmes"], "slug", "name"),
    )
    return parsed, problems
