"""Type stubs of the compiled module ``evmatch._evmatch`` (re-exported by ``evmatch``)."""

from collections.abc import Iterable
from typing import Any, Literal, Optional, Union, final

from typing_extensions import Self

__all__ = [
    "InvalidEventError",
    "InvalidEventPatternError",
    "Matcher",
    "__version__",
    "test_event_pattern",
    "validate",
]

__version__: str

#: A pattern or an event: JSON text (``str``, or UTF-8 ``bytes``/``bytearray``), handed to the
#: engine as it is, or a value written as JSON the way ``json.dumps`` would (``dict`` with
#: ``str`` keys, ``list``, ``tuple``, ``str``, ``int``, ``float``, ``bool``, ``None``).
_JsonInput = Union[str, bytes, bytearray, dict[str, Any], list[Any], tuple[Any, ...]]

class InvalidEventPatternError(ValueError):
    """EventBridge refuses the pattern.

    ``str(error)`` is AWS's message, ``Event pattern is not valid. Reason: <reason>``.
    """

    #: The reason alone (AWS's reason string; for text that is not JSON, a parser message).
    reason: str

class InvalidEventError(ValueError):
    """The event cannot be read: not a JSON object (malformed, not UTF-8, another JSON type),
    nested too deeply, too large, or holding a value JSON cannot hold."""

    #: The event's position in a ``matches_many`` batch; ``None`` elsewhere.
    index: Optional[int]

@final
class Matcher:
    """Named EventBridge rules, matched together against each event.

    A name may carry several patterns: it matches when any of them does. A ``Matcher`` may be
    shared by threads: matching never waits (not for other matches, nor for rule changes), each
    match sees one whole rule set, and ``matches_many`` releases the GIL while it matches.
    """

    def __new__(cls, *, validation: Literal["full", "structural"] = "full") -> Self:
        """An empty rule set.

        ``validation="full"`` (the default) checks every byte of every event, as ``json.loads``
        would. ``"structural"`` reads only what the rules need and stops once nothing needed can
        follow: faster, for events known to be well-formed JSON without repeated keys.
        """

    @property
    def validation(self) -> Literal["full", "structural"]: ...
    def add_rule(self, name: str, pattern: _JsonInput) -> None:
        """Adds ``pattern`` under ``name``.

        Raises ``InvalidEventPatternError`` (AWS's message) when EventBridge would refuse it;
        nothing is added then.
        """

    def delete_rule(self, name: str) -> bool:
        """Removes every pattern under ``name``; returns whether there was one."""

    def matches(self, event: _JsonInput) -> list[str]:
        """The names of the rules ``event`` matches, each once, in the order the names were first
        added. Raises ``InvalidEventError`` when the event cannot be read."""

    def matches_many(self, events: Iterable[_JsonInput]) -> list[list[str]]:
        """``[self.matches(e) for e in events]`` in one call, matched with the GIL released.

        Raises ``InvalidEventError`` (with ``index`` set) for the first event that cannot be
        read; ``TypeError`` when ``events`` is a single ``str``, ``bytes`` or ``dict``.
        """

    def __len__(self) -> int:
        """The number of rule names."""

def test_event_pattern(event_pattern: _JsonInput, event: _JsonInput) -> bool:
    """Does ``event_pattern`` match ``event``? ``events.test_event_pattern`` of boto3, offline.

    The pattern is checked first: ``InvalidEventPatternError`` with AWS's message. Then the event
    must be a JSON object holding AWS's envelope fields ``id``, ``account``, ``source``,
    ``time``, ``region`` and ``detail-type``, else ``InvalidEventError("Parameter Event is not
    valid.")``.
    """

def validate(pattern: _JsonInput) -> Optional[str]:
    """``None`` if EventBridge accepts ``pattern``, otherwise AWS's reason for refusing it (the
    text after ``Reason:`` in ``InvalidEventPatternError``'s message)."""
