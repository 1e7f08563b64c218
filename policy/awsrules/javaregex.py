"""The regular expressions of AWS API models, translated from Java syntax to the `regex` module's.

AWS validates request members service-side with `java.util.regex` and whole-value semantics: a member fails with
"Member must satisfy regular expression pattern: [\\w+=,.@-]+" when any part of the value falls outside the pattern
(an IAM role name with a space is refused although "my" matches). So a pattern here must match the whole value
(`fullmatch`), whether or not the model anchors it with ^…$.

What differs between Java and Python/`regex`, and what `translate` does about it:

* `\\w \\d \\s` (and `\\W \\D \\S`) are ASCII-only in Java unless the pattern sets UNICODE_CHARACTER_CLASS; in Python
  they are Unicode. They become explicit ASCII sets. (`regex.ASCII` is no answer: it makes `\\p{L}` ASCII-only too.)
* `\\p{Alpha}`, `\\p{Punct}`, … are Java's US-ASCII POSIX classes; `regex` reads them as Unicode properties. They
  become explicit ASCII sets. `\\p{IsX}` → `\\p{X}`, `\\p{InX}` → `\\p{Block=X}`; `\\p{javaX}` is not translated.
* `.` excludes every Java line terminator (`\\n \\r \\x85 \\u2028 \\u2029`), not only `\\n`, unless DOTALL is set.
* `\\x{h…h}`, `\\0ooo`, `\\cX`, `\\e`, `\\h`, `\\v`, `\\R`, `\\z`, `\\Z`, `\\Q…\\E` are spelled the way `regex` knows;
  `\\u` plus four hex digits too, an escaped surrogate pair (`\\uD800\\uDC00`) as the one code point Java reads it as.
* Inline flags mid-pattern (`…(?i)…`, as in AWS Budgets' BudgetName) scope to the end of their group in Java;
  `regex` VERSION1 behaves the same, and its nested classes and `&&` intersection are Java's too. Inside a class,
  VERSION1's other set operators (`||`, `~~`, `--`) are literal characters in Java, so `|`, `~` and doubled `-`
  are escaped; a `-` right after a shorthand class (`[\\w-_]`) is a literal in Java and is escaped as well.
* `(?U)` (Unicode character classes), `(?x)` (comments mode) and `\\p{javaX}` raise UnsupportedPattern: the
  caller records the member as "pattern not checked" instead of guessing.
"""

from __future__ import annotations

import threading
from typing import Any

import regex

FLAGS = regex.V1
MATCH_TIMEOUT_S = 0.05  # a pathological pattern/value pair is recorded as unchecked, never allowed to stall a preview
# The timeout is wall time: on a loaded machine an ordinary match can lose its 50 ms to the scheduler, and the
# count of unchecked values would then differ between two runs of the same tree. A timed-out match gets one
# longer try, so only a pair that really backtracks (seconds, not milliseconds) is reported unchecked.
MATCH_RETRY_TIMEOUT_S = 1.0

_LINE_TERMINATORS = r"\n\r\x85\u2028\u2029"
_SHORTHAND = {"w": "a-zA-Z0-9_", "d": "0-9", "s": r" \t\n\x0B\f\r"}
_HORIZONTAL = r" \t\xA0\u1680\u180E\u2000-\u200A\u202F\u205F\u3000"
_VERTICAL = r"\n\x0B\f\r\x85\u2028\u2029"
# java.util.regex.Pattern: POSIX character classes (US-ASCII only).
_POSIX = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": r"\x00-\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": r"\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E",
    "Graph": r"\x21-\x7E",
    "Print": r"\x20-\x7E",
    "Blank": r" \t",
    "Cntrl": r"\x00-\x1F\x7F",
    "XDigit": "0-9a-fA-F",
    "Space": r" \t\n\x0B\f\r",
}


class UnsupportedPattern(ValueError):
    """A model pattern that cannot be translated faithfully."""


def _hex(code: int) -> str:
    return f"\\x{code:02X}" if code < 0x100 else (f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}")


def _literal(text: str, in_class: bool) -> str:
    if in_class:
        return "".join(ch if ch.isalnum() else _hex(ord(ch)) for ch in text)
    return regex.escape(text)


def _set(contents: str, negated: bool, in_class: bool) -> str:
    """A set of characters, as a class of its own, or as the contents of the enclosing class."""
    if in_class and not negated:
        return contents
    return f"[{'^' if negated else ''}{contents}]"  # VERSION1: a nested class inside a class is a union


def _property(name: str, negated: bool, in_class: bool) -> str:
    if name in _POSIX:
        return _set(_POSIX[name], negated, in_class)
    if name.startswith("java"):
        raise UnsupportedPattern(f"Java-only character property \\p{{{name}}}")
    if name.startswith("In") and len(name) > 2:
        name = f"Block={name[2:]}"
    elif name.startswith("Is") and len(name) > 2:
        name = name[2:]
    return f"\\{'P' if negated else 'p'}{{{name}}}"


def translate(pattern: str) -> str:
    """The `regex` (VERSION1) spelling of a Java pattern. Raises UnsupportedPattern."""
    dotall = False
    for m in regex.finditer(r"\(\?([a-zA-Z-]+)[:)]", pattern):
        flags = m.group(1).split("-")[0]
        if "U" in flags:
            raise UnsupportedPattern("UNICODE_CHARACTER_CLASS flag (?U)")
        if "x" in flags:
            raise UnsupportedPattern("COMMENTS flag (?x)")
        dotall = dotall or "s" in flags
    out: list[str] = []
    depth = 0  # character class nesting
    i, n = 0, len(pattern)
    after_set = False  # inside a class, the previous item was a shorthand/property set (a following "-" is literal)
    while i < n:
        ch = pattern[i]
        was_set, after_set = after_set, False
        if ch == "\\":
            if i + 1 >= n:
                raise UnsupportedPattern("trailing backslash")
            esc = pattern[i + 1]
            i += 2
            in_class = depth > 0
            if esc in "wdsWDS":
                out.append(_set(_SHORTHAND[esc.lower()], esc.isupper(), in_class))
                after_set = in_class
            elif esc in "pP":
                if i < n and pattern[i] == "{":
                    end = pattern.find("}", i)
                    if end < 0:
                        raise UnsupportedPattern("unclosed \\p{")
                    name, i = pattern[i + 1 : end], end + 1
                elif i < n:
                    name, i = pattern[i], i + 1
                else:
                    raise UnsupportedPattern("incomplete \\p")
                out.append(_property(name, esc == "P", in_class))
                after_set = in_class
            elif esc in "hH":
                out.append(_set(_HORIZONTAL, esc == "H", in_class))
                after_set = in_class
            elif esc in "vV":
                out.append(_set(_VERTICAL, esc == "V", in_class))
                after_set = in_class
            elif esc == "R" and not in_class:
                out.append(r"(?:\r\n|[\n\x0B\f\r\x85\u2028\u2029])")
            elif esc == "z" and not in_class:
                out.append(r"\Z")
            elif esc == "Z" and not in_class:
                out.append(f"(?=[{_LINE_TERMINATORS}]?\\Z)")
            elif esc == "Q":
                end = pattern.find("\\E", i)
                text, i = (pattern[i:], n) if end < 0 else (pattern[i:end], end + 2)
                out.append(_literal(text, in_class))
            elif esc == "x" and i < n and pattern[i] == "{":
                end = pattern.find("}", i)
                if end < 0:
                    raise UnsupportedPattern("unclosed \\x{")
                try:
                    code = int(pattern[i + 1 : end], 16)
                except ValueError:
                    raise UnsupportedPattern(f"bad \\x{{{pattern[i + 1 : end]}}}") from None
                out.append(_hex(code))
                i = end + 1
            elif esc == "0":
                digits = ""
                while i < n and len(digits) < 3 and pattern[i] in "01234567":
                    digits += pattern[i]
                    i += 1
                if not digits or int(digits, 8) > 0o377:
                    raise UnsupportedPattern("bad octal escape")
                out.append(_hex(int(digits, 8)))
            elif esc == "c":
                if i >= n:
                    raise UnsupportedPattern("incomplete \\c")
                out.append(_hex(ord(pattern[i]) ^ 64))
                i += 1
            elif esc == "e":
                out.append(r"\x1B")
            elif esc == "u" and regex.fullmatch(r"[0-9a-fA-F]{4}", pattern[i : i + 4]):
                code, i = int(pattern[i : i + 4], 16), i + 4
                low = regex.match(r"\\u([dD][c-fC-F][0-9a-fA-F]{2})", pattern[i:])
                if 0xD800 <= code <= 0xDBFF and low:  # Java reads an escaped surrogate pair as one code point
                    code, i = 0x10000 + ((code - 0xD800) << 10) + int(low.group(1), 16) - 0xDC00, i + 6
                out.append(_hex(code))
            else:
                out.append("\\" + esc)
            continue
        if depth > 0:
            if ch == "[":
                depth += 1
                out.append(ch)
            elif ch == "]":
                depth -= 1
                out.append(ch)
            elif ch in "|~":
                out.append("\\" + ch)
            elif ch == "-" and (was_set or (i + 1 < n and pattern[i + 1] == "-") or (out and out[-1] == r"\-")):
                out.append(r"\-")
            else:
                out.append(ch)
            i += 1
            continue
        if ch == "[":
            depth += 1
            out.append(ch)
            if i + 1 < n and pattern[i + 1] == "^":
                out.append("^")
                i += 1
        elif ch == "." and not dotall:
            out.append(f"[^{_LINE_TERMINATORS}]")
        elif ch == "(" and pattern.startswith("(?", i):
            m = regex.match(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])", pattern[i:])
            if m:  # inline flags: Java's d (UNIX_LINES) and u (UNICODE_CASE) have no counterpart worth keeping
                on = m.group(1).replace("d", "").replace("u", "")
                off = (m.group(2) or "").replace("d", "").replace("u", "")
                spelled = f"(?{on}{'-' + off if off else ''}{m.group(3)}"
                out.append(spelled if (on or off or m.group(3) == ":") else "")
                i += len(m.group(0))
                continue
            out.append(ch)
        else:
            out.append(ch)
        i += 1
    if depth:
        raise UnsupportedPattern("unclosed character class")
    return "".join(out)


class PatternCache:
    """Compiled model patterns, each translated and compiled once per process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._compiled: dict[str, Any] = {}
        self.unsupported: dict[str, str] = {}  # pattern -> why it is not checked

    def get(self, pattern: str) -> Any | None:
        """The compiled pattern, or None when it cannot be checked (the reason is in `unsupported`)."""
        try:
            return self._compiled[pattern]
        except KeyError:
            pass
        with self._lock:
            if pattern not in self._compiled:
                try:
                    self._compiled[pattern] = regex.compile(translate(pattern), FLAGS)
                except (UnsupportedPattern, regex.error) as e:
                    self._compiled[pattern] = None
                    self.unsupported[pattern] = str(e)
            return self._compiled[pattern]


def full_match(compiled: Any, value: str) -> bool | None:
    """Whether the whole value matches; None when matching timed out (recorded as unchecked)."""
    for timeout in (MATCH_TIMEOUT_S, MATCH_RETRY_TIMEOUT_S):
        try:
            return compiled.fullmatch(value, timeout=timeout) is not None
        except TimeoutError:
            continue
    return None


PATTERNS = PatternCache()
