"""The conformance corpus (``corpus/*.jsonl``, see ``corpus/README.md``), read as the Rust loader
(``corpus/src/lib.rs``) reads it: a case's pattern and event are the *raw text* of their values as
written in the line, so duplicate keys, number spellings (``3.0e2``) and numbers beyond binary64
(``1e400``) survive; a JSON string in either place stands for its content as raw text.

The benchmark (``python/bench/``) uses this module too.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

CORPUS_DIR = Path(os.environ.get("EVMATCH_CORPUS", Path(__file__).resolve().parents[2] / "corpus"))

ENVELOPE = ("id", "account", "source", "time", "region", "detail-type")


@dataclass(frozen=True)
class Case:
    name: str
    location: str
    pattern: str
    event: Optional[str]
    #: "match", "no-match", "invalid" or "event-error"
    expect: str
    #: AWS's reason for "invalid" (None: any reason, for malformed JSON)
    reason: Optional[str]
    #: why the expectation holds, when it is not obvious
    note: Optional[str] = None

    @property
    def departure(self) -> bool:
        """Does the case record one of evmatch's documented departures from event-ruler (the
        README's "Where we differ from event-ruler"), rather than AWS's or event-ruler's
        behaviour?"""
        return self.note is not None and "departure" in self.note.lower()

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"


_WHITESPACE = " \t\r\n"


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WHITESPACE:
        i += 1
    return i


def _value_end(text: str, i: int) -> int:
    """The index just past the JSON value that starts at ``text[i]`` (delimited, not checked)."""
    c = text[i]
    if c == '"':
        j = i + 1
        while text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        return j + 1
    if c in "{[":
        depth = 0
        j = i
        while True:
            ch = text[j]
            if ch == '"':
                j = _value_end(text, j)
                continue
            if ch in "{[":
                depth += 1
            elif ch in "}]":
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
    j = i
    while j < len(text) and text[j] not in ",}]" + _WHITESPACE:
        j += 1
    return j


def raw_members(line: str) -> dict[str, str]:
    """The top-level members of a JSON object line, each value as its raw text."""
    members: dict[str, str] = {}
    i = _skip_ws(line, 0)
    if line[i] != "{":
        raise ValueError("a case is a JSON object")
    i = _skip_ws(line, i + 1)
    while line[i] != "}":
        key, i = json.decoder.scanstring(line, i + 1)  # type: ignore[attr-defined]
        i = _skip_ws(line, i)
        if line[i] != ":":
            raise ValueError(f"expected ':' at {i}")
        i = _skip_ws(line, i + 1)
        end = _value_end(line, i)
        members[key] = line[i:end]
        i = _skip_ws(line, end)
        if line[i] == ",":
            i = _skip_ws(line, i + 1)
    return members


def _text_of(raw: Optional[str]) -> Optional[str]:
    """A JSON string stands for its content; anything else is itself (as the Rust loader, whose
    serde_json refuses strings with lone surrogates: those stay raw)."""
    if raw is None:
        return None
    if raw.startswith('"'):
        try:
            text = json.loads(raw)
            text.encode("utf-8")
            return text
        except (ValueError, UnicodeEncodeError):
            return raw
    return raw


def load() -> list[Case]:
    """Every case of every ``*.jsonl`` file, files in name order."""
    cases = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            members = raw_members(line)
            reason = members.get("reason")
            note = members.get("note")
            case = Case(
                name=json.loads(members["name"]),
                location=f"{path.name}:{number}",
                pattern=_text_of(members["pattern"]) or "",
                event=_text_of(members.get("event")),
                expect=json.loads(members["expect"]),
                reason=json.loads(reason) if reason is not None else None,
                note=json.loads(note) if note is not None else None,
            )
            if case.expect not in ("match", "no-match", "invalid", "event-error"):
                raise ValueError(f"{case}: unknown expect {case.expect!r}")
            if case.event is None and case.expect != "invalid":
                raise ValueError(f"{case}: no event")
            cases.append(case)
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise ValueError("a corpus case name is used twice")
    return cases


class _Lossy(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _Lossy("duplicate keys")
    return dict(pairs)


def _exact_float(text: str) -> float:
    """The float of ``text`` if it reads back as the same number: the engine compares a number
    that binary64 does not hold as written (``1e400``, ``0.1000000000000000055511151231257827``)
    as text, and a float would lose that."""
    value = float(text)
    if math.isinf(value) or Decimal(repr(value)) != Decimal(text):
        raise _Lossy("a number binary64 does not hold")
    return value


def _no_constant(text: str) -> Any:
    raise _Lossy(text)


def as_python(text: str) -> tuple[bool, Any]:
    """``(True, value)`` when ``json.loads`` turns ``text`` into a Python value that means the same
    thing to a matcher (no duplicate keys, no number beyond binary64, no text after the value);
    ``(False, None)`` otherwise."""
    try:
        return True, json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_exact_float,
            parse_constant=_no_constant,
        )
    except (_Lossy, ValueError, RecursionError):
        return False, None


def has_envelope(event: str) -> bool:
    """Is ``event`` a JSON object holding AWS's six envelope fields (test_event_pattern accepts it)?"""
    try:
        value = json.loads(event)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, dict) and all(key in value for key in ENVELOPE)
