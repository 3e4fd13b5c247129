"""The whole conformance corpus (``corpus/*.jsonl``) through the Python package.

Each case runs through every way in: the pattern and the event as ``str`` and as UTF-8
``bytes``; ``matches`` and ``matches_many``; ``validate`` and ``add_rule`` for refused patterns;
``test_event_pattern`` when the event carries AWS's envelope; and, where ``json.loads`` keeps the
case's meaning (no duplicate keys, no number beyond binary64), as ``dict``/``list`` values too.
The expected answer is the corpus's, which the native engine passes case for case
(``cargo test -p evmatch --test corpus``): any disagreement fails.
"""

from __future__ import annotations

import pytest

import evmatch
from corpus_cases import Case, as_python, has_envelope, load

CASES = load()
PREFIX = "Event pattern is not valid. Reason: "
#: An event that any valid pattern can be tried on with test_event_pattern.
ENVELOPED = '{"id": "1", "account": "1", "source": "s", "time": "t", "region": "r", "detail-type": "d"}'


def test_corpus_is_whole() -> None:
    counts = {kind: sum(c.expect == kind for c in CASES) for kind in ("match", "no-match", "invalid", "event-error")}
    assert len(CASES) >= 991, counts
    assert all(counts.values()), counts


def _forms(text: str) -> list[object]:
    """The same JSON text as each kind of input, and as a Python value where that keeps its
    meaning."""
    forms: list[object] = [text, text.encode("utf-8"), bytearray(text.encode("utf-8"))]
    exact, value = as_python(text)
    # A str is always JSON text: a JSON string's value cannot be given as a Python value.
    if exact and not isinstance(value, str):
        forms.append(value)
    return forms


def _check_refused(case: Case, pattern: object) -> None:
    reason = evmatch.validate(pattern)
    assert reason is not None, f"{case}: validate accepted {pattern!r}"
    if case.reason is not None and not isinstance(pattern, (dict, list)):
        assert reason == case.reason
    elif case.reason is not None:
        # A Python value: the engine sees json's spelling of it; AWS's reason must still be
        # the one, unless the value itself is what JSON cannot hold.
        assert reason == case.reason, f"{case}: {reason!r}"
    with pytest.raises(evmatch.InvalidEventPatternError) as refused:
        evmatch.Matcher().add_rule("case", pattern)
    assert str(refused.value) == PREFIX + reason
    assert refused.value.reason == reason
    assert isinstance(refused.value, ValueError)
    with pytest.raises(evmatch.InvalidEventPatternError) as refused:
        evmatch.test_event_pattern(pattern, ENVELOPED)
    assert str(refused.value) == PREFIX + reason


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    if case.expect == "invalid":
        for pattern in _forms(case.pattern):
            _check_refused(case, pattern)
        return

    assert case.event is not None
    assert evmatch.validate(case.pattern) is None
    for pattern in _forms(case.pattern):
        matcher = evmatch.Matcher()
        matcher.add_rule("case", pattern)
        for event in _forms(case.event):
            if case.expect == "event-error":
                with pytest.raises(evmatch.InvalidEventError) as refused:
                    matcher.matches(event)
                assert refused.value.index is None
                with pytest.raises(evmatch.InvalidEventError) as refused:
                    matcher.matches_many([ENVELOPED, event])
                assert refused.value.index == 1
                assert str(refused.value).startswith("events[1]: ")
                continue
            expected = ["case"] if case.expect == "match" else []
            assert matcher.matches(event) == expected, f"{case}: event {event!r}"
            assert matcher.matches_many([event, event]) == [expected, expected]
        if has_envelope(case.event):
            hit = evmatch.test_event_pattern(pattern, case.event)
            assert hit is (case.expect == "match")


def test_whole_corpus_in_one_matcher() -> None:
    """Every valid pattern of the corpus in one Matcher, every event through one matches_many
    call: each event must match its own case's rule exactly when the case says so (other rules
    may match it too)."""
    matcher = evmatch.Matcher()
    with_events = [c for c in CASES if c.expect in ("match", "no-match")]
    for case in with_events:
        matcher.add_rule(case.name, case.pattern)
    assert len(matcher) == len(with_events)
    results = matcher.matches_many(c.event for c in with_events)
    wrong = [str(c) for c, names in zip(with_events, results) if (c.name in names) != (c.expect == "match")]
    assert wrong == []
    # One batch answers as one call per event does.
    assert results == [matcher.matches(c.event or "") for c in with_events]
