"""Load a configuration document from YAML, keeping the line of every value so errors can name it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharekit.config.model import (
    FederationPolicySpec,
    GrantSpec,
    ObjectSpec,
    RecipientSpec,
    ShareConfig,
    ShareSpec,
    ViewSpec,
    semantic_issues,
)

Path_ = tuple[Any, ...]
MAX_NODES = 200_000  # alias bombs expand to millions of nodes; a real share config has a few thousand


@dataclass(frozen=True)
class Issue:
    """One problem in the document: where (line, dotted path) and what."""

    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path + ': ' if self.path else ''}{self.message}"


class ConfigError(ValueError):
    """The document is invalid; nothing has been applied."""

    def __init__(self, issues: list[Issue], source: str = "<config>") -> None:
        self.issues = issues
        self.source = source
        count = f" ({len(issues)} problems)" if len(issues) > 1 else ""
        details = "; ".join(str(i) for i in issues[:10]) + ("; ..." if len(issues) > 10 else "")
        super().__init__(f"{source}: invalid share configuration{count}: {details}")


@dataclass
class Document:
    """A validated configuration plus where each of its parts came from."""

    config: ShareConfig
    source: str = "<config>"
    lines: dict[Path_, int] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)  # a notebook's content_file → its bytes

    def line_of(self, path: Path_) -> int | None:
        spelled = tuple("objects" if part == "tables" else part for part in path)  # a share's objects: alias
        for end in range(len(path), -1, -1):
            for candidate in (path[:end], spelled[:end]):
                if candidate in self.lines:
                    return self.lines[candidate]
        return None

    def issue(self, path: Path_, message: str) -> Issue:
        return Issue(self.line_of(path), dotted(path), message)


def dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _build(loader: Any, node: Any, path: Path_, lines: dict[Path_, int], budget: list[int]) -> Any:
    import yaml

    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError([Issue(node.start_mark.line + 1, dotted(path), "document too large (alias expansion?)")])
    lines.setdefault(path, node.start_mark.line + 1)
    if len(path) > 50:
        raise ConfigError([Issue(node.start_mark.line + 1, dotted(path[:3]) + "...", "document nested too deeply "
                                 "(a recursive alias?)")])
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise ConfigError([Issue(key_node.start_mark.line + 1, dotted(path), "mapping keys must be plain text")])
            if key in result:
                raise ConfigError([Issue(key_node.start_mark.line + 1, dotted(path + (key,)), f"duplicate key {key!r}")])
            lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, path + (key,), lines, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (index,), lines, budget) for index, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_yaml(text: str, source: str = "<config>") -> tuple[Any, dict[Path_, int]]:
    import yaml

    lines: dict[Path_, int] = {}
    try:
        loader = yaml.SafeLoader(text)  # the reader already refuses control characters here
    except yaml.YAMLError as err:
        raise ConfigError([Issue(None, "", f"YAML error: {err}")], source) from err
    try:
        node = loader.get_single_node()
        data = None if node is None else _build(loader, node, (), lines, [MAX_NODES])
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError([Issue(line, "", f"YAML syntax error: {err.problem or err.context}")], source) from err
    except yaml.YAMLError as err:
        raise ConfigError([Issue(None, "", f"YAML error: {err}")], source) from err
    except RecursionError as err:
        raise ConfigError([Issue(None, "", "document nested too deeply")], source) from err
    except ConfigError as err:
        raise ConfigError(err.issues, source) from None
    finally:
        loader.dispose()
    return data, lines


def _message(error: Any, loc: Path_) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        expected = _expected_fields(loc)
        hint = difflib.get_close_matches(str(loc[-1]), expected, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else (f"; expected one of {', '.join(expected)}" if expected else "")
        return f"unknown field {loc[-1]!r}{extra}"
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"{error.get('input')!r} is not allowed here; expected {expected}"
    message = str(error.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _expected_fields(loc: Path_) -> list[str]:
    names = [p for p in loc[:-1] if isinstance(p, str)]
    owner: type[Any] = ShareConfig
    tables = {"shares": ShareSpec, "recipients": RecipientSpec, "grants": GrantSpec, "views": ViewSpec,
              "tables": ObjectSpec, "objects": ObjectSpec, "federation_policies": FederationPolicySpec}
    if names:
        owner = tables.get(names[-1], owner)
    return sorted(owner.model_fields)


def _data_path(data: Any, loc: Path_) -> Path_:
    """Keep the parts of a pydantic error location that are real keys/indexes of the YAML data."""
    path: list[Any] = []
    current = data
    for part in loc:
        if part == "tables" and isinstance(current, dict) and "tables" not in current and "objects" in current:
            part = "objects"  # a share's objects: is validated as tables:
        if isinstance(current, dict) and part in current or isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str) and not part.startswith(("function-", "list[")):
            path.append(part)  # a missing or unknown field: the parent mapping's line is the best we know
            current = None
    return tuple(path)


def _read_contents(document: Document, base_dir: Path) -> list[Issue]:
    """Read every notebook's ``content_file`` (relative to the document) now, so a missing file is a config error
    naming its line before any write."""
    problems = []
    for s_index, share in enumerate(document.config.shares):
        for o_index, obj in enumerate(share.tables):
            if obj.content_file is None or obj.content_file in document.contents:
                continue
            path = ("shares", s_index, "tables", o_index, "content_file")
            try:
                document.contents[obj.content_file] = (base_dir / obj.content_file).read_bytes()
            except OSError as err:
                problems.append(document.issue(path, f"cannot read {obj.content_file}: {err.strerror or err}"))
    return problems


def validate(data: Any, lines: dict[Path_, int] | None = None, source: str = "<config>",
             base_dir: Path | None = None) -> Document:
    """Validate plain data (as from YAML) into a Document, or raise ConfigError listing every problem.
    ``base_dir``: where a notebook's ``content_file`` is found (default: the working directory)."""
    from pydantic import ValidationError

    lines = lines or {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([Issue(lines.get(()), "", "the document must be a mapping with shares/recipients/grants/views")],
                          source)
    try:
        config = ShareConfig.model_validate(data)
    except ValidationError as err:
        document = Document(ShareConfig(), source, lines)
        issues = []
        for error in err.errors():
            loc = _data_path(data, tuple(error.get("loc", ())))
            issues.append(document.issue(loc, _message(error, loc)))
        raise ConfigError(issues, source) from None
    document = Document(config, source, lines)
    problems = [document.issue(path, message) for path, message in semantic_issues(config)]
    problems += _read_contents(document, base_dir or Path.cwd())
    if problems:
        raise ConfigError(problems, source)
    return document


def loads(text: str, source: str = "<config>", base_dir: Path | None = None) -> Document:
    data, lines = parse_yaml(text, source)
    return validate(data, lines, source, base_dir)


def load(path: str | Path) -> Document:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError([Issue(None, "", f"cannot read {file}: {err}")], str(file)) from err
    return loads(text, str(file), file.parent)
