"""The Python API's edge cases: names, rules, inputs of every kind, errors, the module itself."""

from __future__ import annotations

import collections
import enum
import importlib.resources
import json

import pytest

import evmatch
from evmatch import InvalidEventError, InvalidEventPatternError, Matcher

PREFIX = "Event pattern is not valid. Reason: "
EC2 = {"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "running"}]}}
ENVELOPE = {"id": "1", "account": "123456789012", "source": "aws.ec2", "time": "2024-01-01T00:00:00Z",
            "region": "us-east-1", "detail-type": "EC2 Instance State-change Notification"}


def test_readme_example() -> None:
    m = Matcher()
    m.add_rule("stopped-ec2", {"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "running"}]}})
    assert m.matches('{"source": "aws.ec2", "detail": {"state": "stopped"}}') == ["stopped-ec2"]
    assert m.matches({"source": "aws.ec2", "detail": {"state": "running"}}) == []
    assert evmatch.validate({"source": "aws.ec2"}) == '"source" must be an object or an array'


def test_module() -> None:
    assert evmatch.__version__ == "0.1.0"
    assert sorted(evmatch.__all__) == sorted(
        ["InvalidEventError", "InvalidEventPatternError", "Matcher", "__version__", "test_event_pattern", "validate"])
    assert Matcher.__module__ == "evmatch"
    assert InvalidEventPatternError.__module__ == "evmatch"
    assert issubclass(InvalidEventPatternError, ValueError)
    assert issubclass(InvalidEventError, ValueError)
    assert not issubclass(InvalidEventError, InvalidEventPatternError)
    files = importlib.resources.files("evmatch")
    assert files.joinpath("py.typed").is_file()
    assert files.joinpath("_evmatch.pyi").is_file()


def test_empty_matcher() -> None:
    m = Matcher()
    assert len(m) == 0
    assert not m
    assert m.matches("{}") == []
    assert m.matches_many([]) == []
    assert m.delete_rule("nothing") is False
    assert repr(m) == "<evmatch.Matcher: 0 rules>"
    assert m.validation == "full"


def test_names_order_and_repeats() -> None:
    m = Matcher()
    m.add_rule("b", {"a": [1]})
    m.add_rule("a", {"a": [{"numeric": [">", 0]}]})
    m.add_rule("b", {"a": [2]})  # a second pattern under "b"
    m.add_rule("", {"a": [{"exists": True}]})
    m.add_rule("ünï-🦀", {"a": [2]})
    assert len(m) == 4
    assert repr(m) == "<evmatch.Matcher: 4 rules>"
    assert m.matches('{"a": 1}') == ["b", "a", ""]
    assert m.matches('{"a": 2}') == ["b", "a", "", "ünï-🦀"]
    assert m.matches('{"a": -1}') == [""]
    assert m.delete_rule("b") is True
    assert m.delete_rule("b") is False
    assert m.matches('{"a": 2}') == ["a", "", "ünï-🦀"]
    assert len(m) == 3
    m.add_rule("b", {"a": [1]})  # added again: now last in order
    assert m.matches('{"a": 1}') == ["a", "", "b"]


def test_refused_pattern_adds_nothing() -> None:
    m = Matcher()
    with pytest.raises(InvalidEventPatternError) as refused:
        m.add_rule("r", '{"a": [{"numeric": [">", 5, "<", 1]}]}')
    assert str(refused.value) == PREFIX + "Bottom must be less than top"
    assert refused.value.reason == "Bottom must be less than top"
    assert refused.value.args == (PREFIX + "Bottom must be less than top",)
    assert len(m) == 0


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ({"source": "aws.ec2"}, '"source" must be an object or an array'),
        ('{"source": "aws.ec2"}', '"source" must be an object or an array'),
        (b'{"source": "aws.ec2"}', '"source" must be an object or an array'),
        ([{"a": [1]}], "Filter is not an object"),
        (5, "Filter is not an object"),
        (None, "Filter is not an object"),
        ({}, "Empty objects are not allowed"),
        ({"a": []}, "Empty arrays are not allowed"),
        ({"a": [{"wildcard": "a**"}]}, "Consecutive wildcard characters at pos 2"),
        ({"a": [{"bogus": 1}]}, "Unrecognized match type bogus"),
        ({"a": [{"numeric": [">", float("nan")]}]}, "Out of range float values are not JSON compliant: nan"),
        ({"a": [{1, 2}]}, "Object of type set is not JSON serializable"),
        ({1: ["a"]}, "keys must be str, not int"),
        (b'{"a": ["\xff"]}', "invalid UTF-8 at byte 8"),
    ],
)
def test_refusals(pattern: object, reason: str) -> None:
    assert evmatch.validate(pattern) == reason  # type: ignore[arg-type]
    with pytest.raises(InvalidEventPatternError) as refused:
        Matcher().add_rule("r", pattern)  # type: ignore[arg-type]
    assert str(refused.value) == PREFIX + reason
    assert refused.value.reason == reason


def test_syntax_errors_are_pattern_errors() -> None:
    for text in ["", "{", '{"a": [1]} x', "not json", '{"a": [1],}']:
        reason = evmatch.validate(text)
        assert reason
        with pytest.raises(InvalidEventPatternError, match="^Event pattern is not valid. Reason: "):
            Matcher().add_rule("r", text)


def test_valid_patterns() -> None:
    for pattern in [EC2, json.dumps(EC2), json.dumps(EC2).encode(), bytearray(json.dumps(EC2).encode())]:
        assert evmatch.validate(pattern) is None  # type: ignore[arg-type]


def test_argument_types() -> None:
    m = Matcher()
    with pytest.raises(TypeError):
        m.add_rule(1, EC2)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        m.add_rule(b"name", EC2)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        m.delete_rule(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        m.add_rule("r")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Matcher("full")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="validation"):
        Matcher(validation="partial")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Matcher(validation=1)  # type: ignore[arg-type]
    assert Matcher(validation="structural").validation == "structural"
    assert Matcher(validation="full").validation == "full"


def test_event_kinds() -> None:
    m = Matcher()
    m.add_rule("ec2", EC2)
    text = '{"source": "aws.ec2", "detail": {"state": "stopped"}}'
    for event in [text, text.encode(), bytearray(text.encode()), json.loads(text),
                  collections.OrderedDict(json.loads(text))]:
        assert m.matches(event) == ["ec2"]  # type: ignore[arg-type]
    for event in ["[]", b"[]", [], [1], 5, None, "null", '"text"', True]:
        with pytest.raises(InvalidEventError, match="^event is not a JSON object$") as refused:
            m.matches(event)  # type: ignore[arg-type]
        assert refused.value.index is None


class Colour(enum.IntEnum):
    RED = 7


class Name(str):
    pass


@pytest.mark.parametrize(
    ("value", "pattern_value", "hit"),
    [
        (1, 1, True),
        (1.0, 1, True),
        (3e2, 300, True),
        (-0.0, 0, True),
        (1.5, 1.5, True),
        (0.1, 0.1, True),
        (1e300, 1e300, True),
        (1e-7, 1e-7, True),
        (2**63, 9223372036854775808, True),
        (-(2**63) - 1, -9223372036854775809, True),
        (10**30, 10**30, True),
        (True, True, True),
        (True, 1, False),
        (False, 0, False),
        (1, True, False),
        (None, None, True),
        (0, None, False),
        ("5", 5, False),
        (Colour.RED, 7, True),
        (Name("x"), "x", True),
        ('quo"te\\back\nslash\x00\x1f\t', 'quo"te\\back\nslash\x00\x1f\t', True),
        ("café ☕ 🦀", "café ☕ 🦀", True),
        ("\u2028", "\u2028", True),
    ],
)
def test_values_are_written_as_json(value: object, pattern_value: object, hit: bool) -> None:
    m = Matcher()
    m.add_rule("r", {"a": [pattern_value]})
    assert m.matches({"a": value}) == (["r"] if hit else [])
    # The same as json.dumps' text of the same value.
    assert m.matches(json.dumps({"a": value})) == (["r"] if hit else [])


def test_arrays_and_tuples() -> None:
    m = Matcher()
    m.add_rule("r", {"a": {"b": ["x"], "c": [1]}})
    event = {"a": [{"b": "x", "c": 2}, {"b": "y", "c": 1}]}
    assert m.matches(event) == []  # array consistency: b and c from one element
    assert m.matches({"a": ({"b": "x", "c": 1},)}) == ["r"]
    assert m.matches({"a": [[{"b": "x", "c": 1}]]}) == ["r"]


def test_matches_many() -> None:
    m = Matcher()
    m.add_rule("ec2", EC2)
    m.add_rule("any", {"source": [{"prefix": ""}]})
    stopped = {"source": "aws.ec2", "detail": {"state": "stopped"}}
    running = json.dumps({"source": "aws.ec2", "detail": {"state": "running"}})
    other = b'{"source": "aws.s3"}'
    expected = [["ec2", "any"], ["any"], ["any"], []]
    for events in ([stopped, running, other, {}], (stopped, running, other, {}),
                   (e for e in [stopped, running, other, {}])):
        assert m.matches_many(events) == expected  # type: ignore[arg-type]
    assert m.matches_many([running] * 1000) == [["any"]] * 1000
    for single in ["{}", b"{}", {}, bytearray(b"{}")]:
        with pytest.raises(TypeError, match="iterable of events"):
            m.matches_many(single)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        m.matches_many(5)  # type: ignore[arg-type]
    with pytest.raises(InvalidEventError) as refused:
        m.matches_many([stopped, "{", b"[]"])
    assert refused.value.index == 1
    assert str(refused.value).startswith("events[1]: invalid JSON")
    with pytest.raises(InvalidEventError) as refused:
        m.matches_many([stopped, {"a": object()}])
    assert refused.value.index == 1
    assert str(refused.value) == "events[1]: Object of type object is not JSON serializable"

    def failing():  # type: ignore[no-untyped-def]
        yield stopped
        raise KeyError("from the iterable")

    with pytest.raises(KeyError):
        m.matches_many(failing())


def test_structural_validation() -> None:
    m = Matcher(validation="structural")
    m.add_rule("r", {"a": ["x"]})
    assert m.matches('{"a": "x", "b": garbage}') == ["r"]
    with pytest.raises(InvalidEventError):
        Matcher().matches('{"a": "x", "b": garbage}')


def test_test_event_pattern() -> None:
    event = dict(ENVELOPE, detail={"state": "stopped"})
    assert evmatch.test_event_pattern(json.dumps(EC2), json.dumps(event)) is True
    assert evmatch.test_event_pattern(EC2, event) is True
    assert evmatch.test_event_pattern(EC2, dict(event, detail={"state": "running"})) is False
    # The envelope: every one of AWS's six fields must be there.
    for field in ["id", "account", "source", "time", "region", "detail-type"]:
        missing = {k: v for k, v in event.items() if k != field}
        with pytest.raises(InvalidEventError) as refused:
            evmatch.test_event_pattern(EC2, missing)
        assert str(refused.value) == "Parameter Event is not valid."
    for bad in ["", "{", "[]", b"\xff", {"a": {1}}]:
        with pytest.raises(InvalidEventError, match="^Parameter Event is not valid.$"):
            evmatch.test_event_pattern(EC2, bad)  # type: ignore[arg-type]
    # The pattern is checked first.
    with pytest.raises(InvalidEventPatternError) as refused:
        evmatch.test_event_pattern('{"source": "aws.ec2"}', "{")
    assert str(refused.value) == PREFIX + '"source" must be an object or an array'
    # Keyword arguments, as in boto3 (lower-case).
    assert evmatch.test_event_pattern(event_pattern=EC2, event=event) is True


def test_exceptions_can_be_raised_and_caught_as_value_errors() -> None:
    try:
        Matcher().matches("{")
    except ValueError as error:
        assert isinstance(error, InvalidEventError)
    else:
        pytest.fail("no error")


def test_floats_are_written_exactly() -> None:
    """Random finite doubles (random bit patterns): a dict's float is the same number as
    json.dumps' text of it, for literals in patterns and values in events alike."""
    import random
    import struct

    rng = random.Random(18)
    m = Matcher()
    values = [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e16, 1e21, 1e-7, 0.1, 1 / 3]
    while len(values) < 3000:
        x = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if x == x and abs(x) != float("inf"):
            values.append(x)
    for i, x in enumerate(values):
        m.add_rule(f"dict-{i}", {"a": [x]})
        m.add_rule(f"text-{i}", json.dumps({"a": [x]}))
    events = [{"a": x} for x in values]
    results = m.matches_many(events)
    assert results == m.matches_many(json.dumps(e) for e in events)
    for i, (x, names) in enumerate(zip(values, results)):
        assert f"dict-{i}" in names and f"text-{i}" in names, (x, names)
