"""Hostile inputs give the typed errors (``InvalidEventError``, ``InvalidEventPatternError``),
never a crash, a hang or another exception."""

from __future__ import annotations

import datetime
import decimal
import random
import sys

import pytest

import evmatch
from evmatch import InvalidEventError, InvalidEventPatternError, Matcher

MAX_DEPTH = 1000
MAX_EVENT_BYTES = 16 * 1024 * 1024
MAX_PATTERN_BYTES = 64 * 1024


@pytest.fixture
def matcher() -> Matcher:
    m = Matcher()
    m.add_rule("a", {"a": [{"exists": True}]})
    m.add_rule("deep", {"x": {"y": [1]}})
    return m


def nested_lists(depth: int, leaf: object = 1) -> object:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def nested_dicts(depth: int, leaf: object = 1) -> object:
    value = leaf
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deep_nesting_is_refused(matcher: Matcher, depth: int) -> None:
    for event in ["[" * depth, "[" * depth + "]" * depth, '{"a":' * depth, ("[" * depth).encode(),
                  {"a": nested_lists(depth)}, {"a": nested_dicts(depth)}]:
        with pytest.raises(InvalidEventError, match="nested too deeply"):
            matcher.matches(event)
        with pytest.raises(InvalidEventError, match="nested too deeply"):
            matcher.matches_many([{}, event])
    for pattern in ['{"a":' * depth, {"a": nested_dicts(depth, [1])}, {"a": [nested_lists(depth)]}]:
        # A long text is refused for its size before it is read.
        reason = evmatch.validate(pattern)
        assert reason is not None and ("nested too deeply" in reason or "Pattern is too large" in reason)
        with pytest.raises(InvalidEventPatternError, match="nested too deeply|Pattern is too large"):
            matcher.add_rule("p", pattern)


def test_depth_limit_is_the_engines(matcher: Matcher) -> None:
    """A Python value is refused for depth exactly where its JSON text is."""
    for depth in [MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1]:
        value = {"a": nested_lists(depth - 1)}  # the outer dict is one level
        text = "{" + '"a":' + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "}"
        try:
            by_text = matcher.matches(text)
        except InvalidEventError:
            by_text = None
        try:
            by_value = matcher.matches(value)
        except InvalidEventError:
            by_value = None
        assert by_text == by_value, depth
        assert (by_text is None) == (depth > MAX_DEPTH)


def test_cycles_are_refused(matcher: Matcher) -> None:
    cyclic_list: list[object] = []
    cyclic_list.append(cyclic_list)
    cyclic_dict: dict[str, object] = {}
    cyclic_dict["a"] = cyclic_dict
    for event in [{"a": cyclic_list}, cyclic_dict]:
        with pytest.raises(InvalidEventError, match="nested too deeply"):
            matcher.matches(event)
    with pytest.raises(InvalidEventPatternError, match="nested too deeply"):
        matcher.add_rule("p", cyclic_dict)


def test_huge_numbers(matcher: Matcher) -> None:
    m = Matcher()
    m.add_rule("big", '{"a": [1e400]}')
    m.add_rule("range", {"a": [{"numeric": [">", 0]}]})
    assert m.matches('{"a": 1e400}') == ["big"]  # beyond binary64: compared as text
    assert m.matches('{"a": 1E400}') == []
    assert m.matches({"a": 10**300}) == ["range"]
    assert m.matches({"a": 10**400}) == []  # written out in full: text, no comparable number
    digits = "9" * 100_000
    assert m.matches('{"a": ' + digits + "}") == []
    assert m.matches('{"a": -' + digits + ".5e-99999999}") == []
    # Past Python's limit for int -> str conversion (4300 digits by default): Python's refusal.
    if hasattr(sys, "get_int_max_str_digits") and sys.get_int_max_str_digits():
        with pytest.raises(InvalidEventError, match="integer string conversion"):
            m.matches({"a": 10**5000})
        with pytest.raises(InvalidEventPatternError, match="integer string conversion"):
            m.add_rule("p", {"a": [10**5000]})
    for value in [float("nan"), float("inf"), float("-inf")]:
        with pytest.raises(InvalidEventError, match="Out of range float values are not JSON compliant"):
            m.matches({"a": value})
        with pytest.raises(InvalidEventPatternError, match="Out of range float values are not JSON compliant"):
            m.add_rule("p", {"a": [value]})
    for text in ['{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', '{"a": 1e}', '{"a": 01}', '{"a": .5}']:
        with pytest.raises(InvalidEventError):
            m.matches(text)
    assert len(m) == 2


@pytest.mark.parametrize(
    "event",
    [
        b'{"a": "\xff"}',
        b'{"a": "\xc3"}',
        b'{"a": "\xed\xa0\x80"}',  # an encoded surrogate
        b'{"a": "\xf4\x90\x80\x80"}',  # past U+10FFFF
        b'{"a": "\xc0\xaf"}',  # overlong
        b'{"\xff": 1}',
        b"\xef\xbb\xbf{}",  # a byte order mark is not JSON
        b'{"a": "\\ud800"}',  # a lone surrogate escape
        b'{"a": "x\x00"}',  # a raw control character
    ],
)
def test_invalid_utf8_and_text(matcher: Matcher, event: bytes) -> None:
    with pytest.raises(InvalidEventError, match="invalid JSON at byte"):
        matcher.matches(event)
    with pytest.raises(InvalidEventError):
        matcher.matches_many([event])


def test_lone_surrogates_in_str(matcher: Matcher) -> None:
    for event in ['{"a": "\ud800"}', {"a": "\udfff"}, {"\ud800": 1}]:
        with pytest.raises(InvalidEventError, match="surrogates not allowed"):
            matcher.matches(event)
    for pattern in ['{"a": ["\ud800"]}', {"a": ["\ud800"]}]:
        with pytest.raises(InvalidEventPatternError, match="surrogates not allowed"):
            matcher.add_rule("p", pattern)
    with pytest.raises(ValueError):
        matcher.add_rule("\ud800", {"a": [1]})


class Opaque:
    pass


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        ({1, 2}, "set"),
        (frozenset(), "frozenset"),
        (Opaque(), "Opaque"),
        (object(), "object"),
        (b"bytes inside", "bytes"),
        (bytearray(b"x"), "bytearray"),
        (1 + 2j, "complex"),
        (decimal.Decimal("1.5"), "Decimal"),
        (datetime.date(2024, 1, 1), "date"),
        (range(3), "range"),
        (iter([1]), "list_iterator"),
        (len, "builtin_function_or_method"),
        (Matcher(), "Matcher"),
    ],
)
def test_values_json_cannot_hold(matcher: Matcher, value: object, type_name: str) -> None:
    message = f"Object of type {type_name} is not JSON serializable"
    with pytest.raises(InvalidEventError, match=f"^{message}$"):
        matcher.matches({"a": value})
    with pytest.raises(InvalidEventError, match=f"^events\\[0\\]: {message}$") as refused:
        matcher.matches_many([{"a": [1, value]}])
    assert refused.value.index == 0
    with pytest.raises(InvalidEventPatternError, match=f"Reason: {message}$"):
        matcher.add_rule("p", {"a": [value]})
    assert evmatch.validate({"a": [value]}) == message


@pytest.mark.parametrize("key", [1, 1.5, None, True, ("t",), b"k"])
def test_keys_must_be_str(matcher: Matcher, key: object) -> None:
    with pytest.raises(InvalidEventError, match="^keys must be str, not "):
        matcher.matches({key: 1})
    with pytest.raises(InvalidEventPatternError, match="keys must be str, not "):
        matcher.add_rule("p", {key: [1]})


def test_sizes(matcher: Matcher) -> None:
    big = "x" * MAX_EVENT_BYTES
    for event in ['{"a": "' + big + '"}', ('{"a": "' + big + '"}').encode(), {"a": big}, {"a": [big[:1000]] * 20_000}]:
        with pytest.raises(InvalidEventError, match="too large"):
            matcher.matches(event)
    # Just under the limit is fine.
    fits = '{"a": "' + "x" * (MAX_EVENT_BYTES - 10) + '"}'
    assert matcher.matches(fits) == ["a"]
    assert matcher.matches({"a": "x" * (MAX_EVENT_BYTES - 10)}) == ["a"]
    for pattern in ['{"a": ["' + "x" * MAX_PATTERN_BYTES + '"]}', {"a": ["x" * MAX_PATTERN_BYTES]}]:
        with pytest.raises(InvalidEventPatternError, match="Pattern is too large"):
            matcher.add_rule("p", pattern)


def test_random_bytes_and_mutations(matcher: Matcher) -> None:
    """Random bytes and byte-level mutations of a real event: a list of names or
    InvalidEventError, nothing else."""
    rng = random.Random(18)
    base = b'{"a": [1, {"x": {"y": 1}}, "s\\u00e9"], "x": {"y": 1.5e3}, "b": null, "c": [true, false]}'
    events = [bytes(rng.randrange(256) for _ in range(rng.randrange(40))) for _ in range(2000)]
    for _ in range(3000):
        mutated = bytearray(base)
        for _ in range(rng.randrange(1, 4)):
            mutated[rng.randrange(len(mutated))] = rng.choice(b'{}[]",:\\0123456789.eE-+ \xff\x00abtrufnl')
        events.append(bytes(mutated))
    outcomes = 0
    for event in events:
        try:
            names = matcher.matches(event)
            assert set(names) <= {"a", "deep"}
        except InvalidEventError:
            pass
        outcomes += 1
        try:
            matcher.matches_many([event, event])
        except InvalidEventError as error:
            assert error.index == 0
    assert outcomes == len(events)


def test_random_patterns() -> None:
    """Random pattern texts: accepted or refused with AWS's message, nothing else."""
    rng = random.Random(1818)
    pieces = ['{', '}', '[', ']', ',', ':', '"a"', '"b.c"', '"prefix"', '"suffix"', '"numeric"', '"anything-but"',
              '"exists"', '"cidr"', '"wildcard"', '"equals-ignore-case"', '"$or"', '"*"', '"10.0.0.0/8"', '">"',
              '"<="', "1", "-1.5e3", "true", "null", '"x*y"', '""']
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 16)))
        reason = evmatch.validate(text)
        try:
            Matcher().add_rule("r", text)
            assert reason is None
        except InvalidEventPatternError as error:
            assert str(error) == f"Event pattern is not valid. Reason: {reason}"
