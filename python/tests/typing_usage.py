"""Checked by ``mypy --strict`` (tests/test_typing.py), never run: the stubs accept the API's
intended uses and refuse its misuses (each ``type: ignore`` must be needed, or strict mode's
unused-ignore warning fails the check)."""

from __future__ import annotations

from typing import Optional

import evmatch

m: evmatch.Matcher = evmatch.Matcher()
m2 = evmatch.Matcher(validation="structural")
m.add_rule("a", {"source": ["aws.ec2"]})
m.add_rule("b", '{"source": ["aws.ec2"]}')
m.add_rule("c", b'{"source": ["aws.ec2"]}')
deleted: bool = m.delete_rule("a")
names: list[str] = m.matches({"source": "aws.ec2"})
names = m.matches('{"source": "aws.ec2"}')
names = m.matches(b"{}")
batch: list[list[str]] = m.matches_many([b"{}", "{}", {"a": 1}])
batch = m.matches_many(e for e in ["{}"])
count: int = len(m)
hit: bool = evmatch.test_event_pattern('{"source": ["a"]}', "{}")
hit = evmatch.test_event_pattern(event_pattern="{}", event="{}")
reason: Optional[str] = evmatch.validate({"source": "aws.ec2"})
validation: str = m2.validation
version: str = evmatch.__version__

try:
    m.add_rule("x", "{")
except evmatch.InvalidEventPatternError as error:
    why: str = error.reason
    as_value_error: ValueError = error
try:
    m.matches("{")
except evmatch.InvalidEventError as event_error:
    index: Optional[int] = event_error.index

# Misuses.
evmatch.Matcher(validation="partial")  # type: ignore[arg-type]
evmatch.Matcher("full")  # type: ignore[call-arg]
m.add_rule(1, "{}")  # type: ignore[arg-type]
m.add_rule("x", 5)  # type: ignore[arg-type]
m.matches_many(5)  # type: ignore[arg-type]
wrong: str = m.matches("{}")  # type: ignore[assignment]
wrong_reason: str = evmatch.validate("{}")  # type: ignore[assignment]


class Sub(evmatch.Matcher):  # type: ignore[misc]
    pass
