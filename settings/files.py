"""Read the project's input files so that no input can hurt: every problem is one `ConfigError` line.

Stack files, `Pulumi.yaml` and the policy config (`policy/config/<stack>.json`) are user input. Reading them:

* size: at most MAX_FILE_BYTES (64 KiB) are read; a larger input is refused before it is parsed (a stack file
  is a few KiB);
* encoding: UTF-8 only. A UTF-16/UTF-32 byte-order mark, a byte that is not UTF-8 and a NUL character are
  each refused with the line they are on;
* YAML (stack files, Pulumi.yaml): walked event by event before anything is built, so the walk stops at the
  first problem: anchors and aliases (an alias bomb expands a few lines into gigabytes; a Pulumi stack file
  has no use for them), merge keys (`<<`), non-string keys, duplicate keys at any level (both lines; the last
  would silently win), nesting deeper than MAX_DEPTH, more than MAX_YAML_NODES values (the walk and the
  build cost per value: this bounds both), non-finite numbers (.nan, .inf) and integer literals longer than
  MAX_INT_DIGITS. Only then is the document built, by PyYAML's safe loader (libyaml when present);
* JSON (policy config): duplicate keys (both lines), NaN/Infinity and numbers that overflow a double,
  integers beyond ±2^53 (the pack receives its config as a protobuf Struct, whose numbers are doubles) and
  nesting deeper than MAX_DEPTH are refused, naming the key.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from settings.schema import PROJECT, ConfigError, clip, show

# A stack file is ~4 KiB (secrets add ~0.2 KiB each), Pulumi.yaml ~16 KiB, a policy config ~3 KiB. 64 KiB of
# the densest YAML (flow lists, ~30k events) parses and is built in ~0.2 s with libyaml, ~0.8 s without.
MAX_FILE_BYTES = 64 * 1024
MAX_DEPTH = 20  # a stack file nests 3 levels (config → key → list or secure:), a policy config 4
# Parsing and building cost per node, not per byte: 64 KiB of flow lists is ~30k nodes (~2.5 s in pure-Python
# PyYAML). Pulumi.yaml has ~850 nodes, a stack file ~140; 5,000 bounds any YAML input to ~0.1 s (libyaml).
MAX_YAML_NODES = 5000  # scalars, lists, mappings (and aliases) of one file
MAX_INT_DIGITS = 40  # YAML integers: no setting needs more; Python refuses > 4,300 digits with a traceback
MAX_JSON_INT = 2**53  # the largest integer a double (protobuf Struct number) holds exactly

# libyaml's parser keeps its state on the heap and is ~15× faster; PyYAML's pure-Python one is the fallback.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_BYTE_ORDER_MARKS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"

Path_ = Sequence[str | int]  # where a value sits: mapping keys and sequence indexes from the document root


def _line_col(text: str | bytes, offset: int) -> tuple[int, int]:
    newline = "\n" if isinstance(text, str) else b"\n"
    line = text.count(newline, 0, offset) + 1  # type: ignore[arg-type]
    return line, offset - (text.rfind(newline, 0, offset) + 1) + 1  # type: ignore[arg-type]


def read_text(path: Path, shown: str) -> str:
    """The file as text, or ConfigError: missing, unreadable, too large, not UTF-8, UTF-16/32, NUL."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)  # never more, whatever the file is (/dev/zero included)
    except FileNotFoundError:
        raise ConfigError(shown, None, "file not found") from None
    except OSError as e:
        raise ConfigError(shown, None, f"cannot read: {e.strerror or e}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(shown, None, f"larger than {MAX_FILE_BYTES // 1024} KiB, the most a config file may be")
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            raise ConfigError(
                shown, None, f"is {encoding} (it starts with a {encoding} byte-order mark); save it as UTF-8"
            )
    nul = data.find(b"\x00")
    if nul >= 0:  # before decoding: UTF-16 without a byte-order mark is mostly NULs, not always invalid UTF-8
        line, col = _line_col(data, nul)
        raise ConfigError(
            shown,
            None,
            f"NUL byte at line {line}, column {col}: UTF-16 without a byte-order mark, or not a text file; "
            "save it as UTF-8",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line, col = _line_col(data, e.start)
        raise ConfigError(
            shown, None, f"not UTF-8: byte 0x{data[e.start]:02X} at line {line}, column {col}; save the file as UTF-8"
        ) from None


def _describe(path: Path_) -> str:
    """`config.summit-resilience:x[0]`-style location, each key clipped to one short line."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + clip(part, 60))
    return out or "(document)"


def _error(shown: str, path: Path_, message: str) -> ConfigError:
    """A problem at `path`. Under `config.summit-resilience:KEY` it is reported like every other key error
    (file: summit-resilience:KEY: …); elsewhere the path leads the message."""
    if len(path) >= 2 and path[0] == "config" and isinstance(path[1], str) and path[1].startswith(f"{PROJECT}:"):
        rest = path[2:]
        inner = "".join(f"item {p}: " if isinstance(p, int) else f"{clip(p, 60)}: " for p in rest)
        return ConfigError(shown, path[1][len(PROJECT) + 1 :], inner + message)
    return ConfigError(shown, None, f"{_describe(path)}: {message}" if path else message)


# --- YAML ---------------------------------------------------------------------------------------------------


@dataclass
class _Frame:
    mapping: bool
    keys: dict[str, int] = field(default_factory=dict)  # key → line, of this mapping
    expect_key: bool = True
    key: str = ""  # the key whose value is being read
    index: int = 0  # the sequence item being read

    @property
    def position(self) -> str | int:
        return self.key if self.mapping else self.index


def _yaml_problem(shown: str, e: yaml.YAMLError, text: str) -> ConfigError:
    if isinstance(e, yaml.reader.ReaderError):  # a character YAML does not allow (control characters)
        # PyYAML counts characters; libyaml counts the bytes of the UTF-8 text it was handed.
        offset = e.position if _LOADER is yaml.SafeLoader else len(text.encode()[: e.position].decode(errors="ignore"))
        line, col = _line_col(text, offset)
        return ConfigError(
            shown, None, f"malformed YAML: line {line}, column {col}: character U+{e.character:04X} is not allowed"
        )
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        return ConfigError(shown, None, f"malformed YAML: {where}{e.problem}")
    return ConfigError(shown, None, f"malformed YAML: {e}")


def _position(event: yaml.Event) -> tuple[int, int]:
    """1-based line and column where an event starts (the parser always marks events)."""
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def _check_scalar(shown: str, event: yaml.ScalarEvent, path: Path_, resolver: yaml.resolver.Resolver) -> None:
    tag = event.tag if event.tag not in (None, "!") else resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
    line = _position(event)[0]
    if tag == _INT_TAG and len(event.value) > MAX_INT_DIGITS:
        raise _error(shown, path, f"integer of {len(event.value)} characters (line {line}) is out of range")
    if tag == _FLOAT_TAG:
        try:
            number = yaml.constructor.SafeConstructor().construct_yaml_float(yaml.ScalarNode(tag, event.value))
        except ValueError:
            return  # not a number after all: the loader reports it
        if not math.isfinite(number):
            raise _error(shown, path, f"non-finite number {event.value} (line {line}); write a finite number")


def _walk_yaml(text: str, shown: str) -> None:
    """Refuse, at the first offending event, what a config file must not contain (see the module doc)."""
    stack: list[_Frame] = []
    resolver = yaml.resolver.Resolver()

    def here() -> list[str | int]:
        return [f.position for f in stack]

    def value_done() -> None:
        if stack:
            top = stack[-1]
            if top.mapping:
                top.expect_key = True
            else:
                top.index += 1

    nodes = 0
    for event in yaml.parse(text, Loader=_LOADER):
        line, column = _position(event)
        at = f"line {line}, column {column}"
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise ConfigError(
                    shown, None, f"{at}: more than {MAX_YAML_NODES} YAML values; a config file has a few hundred"
                )
        if isinstance(event, yaml.AliasEvent) or (isinstance(event, yaml.NodeEvent) and event.anchor is not None):
            what = "alias *" if isinstance(event, yaml.AliasEvent) else "anchor &"
            name = clip(event.anchor or "", 40)
            raise ConfigError(
                shown,
                None,
                f"{at}: YAML {what}{name}: anchors and aliases are not accepted in config files (write the value out)",
            )
        top = stack[-1] if stack else None
        is_key = top is not None and top.mapping and top.expect_key
        if isinstance(event, yaml.ScalarEvent):
            if is_key:
                assert top is not None
                key = event.value
                if key == "<<" and event.implicit[0]:
                    raise ConfigError(
                        shown, None, f"{at}: YAML merge key <<: not accepted in config files (write the keys out)"
                    )
                if key in top.keys:
                    first = top.keys[key]
                    if len(stack) == 1 and key == "config":
                        raise ConfigError(
                            shown,
                            None,
                            f"a second top-level config: block at line {line} (the first is at line {first}) would "
                            "silently replace the first; merge them into one",
                        )
                    raise _error(
                        shown,
                        [*here()[:-1], key],
                        f"set twice (lines {first} and {line}); the last would silently win, keep one",
                    )
                top.keys[key], top.key, top.expect_key = line, key, False
            else:
                _check_scalar(shown, event, here(), resolver)
                value_done()
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if is_key:
                kind = "mapping" if isinstance(event, yaml.MappingStartEvent) else "sequence"
                raise ConfigError(shown, None, f"{at}: a key must be a string, not a {kind}")
            if len(stack) >= MAX_DEPTH:
                raise ConfigError(shown, None, f"{at}: nested deeper than {MAX_DEPTH} levels")
            stack.append(_Frame(mapping=isinstance(event, yaml.MappingStartEvent)))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
            value_done()


def load_yaml(path: Path, shown: str) -> Any:
    """A YAML config file as plain Python values, or ConfigError (one line naming file, line or key)."""
    text = read_text(path, shown)
    try:
        _walk_yaml(text, shown)
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as e:
        raise _yaml_problem(shown, e, text) from None


# --- JSON ---------------------------------------------------------------------------------------------------


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class _Refused:
    """A number JSON parsed but the config may not hold; found with its key after parsing."""

    text: str
    reason: str


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _constant(text: str) -> _Refused:  # NaN, Infinity, -Infinity: Python's json accepts them, JSON does not
    return _Refused(text, "is not a JSON number; write a finite number")


def _float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else _Refused(text, "overflows a double; write a finite number")


def _int(text: str) -> int | _Refused:
    if len(text) > 20 or abs(int(text)) > MAX_JSON_INT:
        return _Refused(clip(text, 30), "is beyond ±2^53, which the pack's config (doubles) cannot hold exactly")
    return int(text)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')


def _json_duplicate(text: str) -> tuple[list[str | int], str, int, int] | None:
    """The first key set twice in one object, in document order, with its path and both lines — a token walk
    of the text, run only after the parser found a duplicate (json gives hooks no positions)."""
    frames: list[_Frame] = []
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        top = frames[-1] if frames else None
        if tok in "{[":
            frames.append(_Frame(mapping=tok == "{"))
        elif tok in "}]":
            if frames:
                frames.pop()
        elif tok == ":":
            if top is not None:
                top.expect_key = False
        elif tok == ",":
            if top is not None:
                if top.mapping:
                    top.expect_key = True
                else:
                    top.index += 1
        elif top is not None and top.mapping and top.expect_key:
            key, line = json.loads(tok), _line_col(text, m.start())[0]
            if key in top.keys:
                return [f.position for f in frames[:-1]], key, top.keys[key], line
            top.keys[key], top.key = line, key
    return None


def _nodes(doc: Any) -> Iterator[tuple[list[str | int], Any]]:
    """Every value with its path, iteratively (a deep document cannot exhaust the stack)."""
    todo: list[tuple[list[str | int], Any]] = [([], doc)]
    while todo:
        path, value = todo.pop()
        yield path, value
        if isinstance(value, dict):
            todo.extend(([*path, k], v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            todo.extend(([*path, i], v) for i, v in reversed(list(enumerate(value))))


def load_json(path: Path, shown: str) -> Any:
    """A JSON config file as plain Python values, or ConfigError (one line naming file and key)."""
    text = read_text(path, shown)
    try:
        doc = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_constant, parse_float=_float, parse_int=_int
        )
    except _DuplicateKey as e:
        found = _json_duplicate(text)
        if found is None:
            raise ConfigError(shown, None, f"key {show(e.key)} is set twice in one object; keep one") from None
        where, key, first, second = found
        at = f"{_describe(where)}: " if where else ""
        raise ConfigError(
            shown,
            None,
            f"{at}key {show(key)} set twice (lines {first} and {second}); the last would silently win, keep one",
        ) from None
    except RecursionError:
        raise ConfigError(shown, None, f"malformed JSON: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as e:  # JSONDecodeError: "Expecting value: line 1 column 2 (char 1)"
        raise ConfigError(shown, None, f"malformed JSON: {e}") from None
    for where, value in _nodes(doc):
        if len(where) > MAX_DEPTH:
            raise ConfigError(shown, None, f"{_describe(where[:3])}…: nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, _Refused):
            raise _error(shown, where, f"{value.text} {value.reason}")
    return doc
