"""Match JSON events against AWS EventBridge event patterns, with EventBridge's exact semantics.

>>> import evmatch
>>> m = evmatch.Matcher()
>>> m.add_rule("stopped-ec2", {"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "running"}]}})
>>> m.matches('{"source": "aws.ec2", "detail": {"state": "stopped"}}')
['stopped-ec2']
>>> evmatch.validate({"source": "aws.ec2"})
'"source" must be an object or an array'

Every answer comes from the evmatch engine (Rust); see the stubs (``_evmatch.pyi``) for the API.
"""

from ._evmatch import (
    InvalidEventError,
    InvalidEventPatternError,
    Matcher,
    __version__,
    test_event_pattern,
    validate,
)

__all__ = [
    "InvalidEventError",
    "InvalidEventPatternError",
    "Matcher",
    "__version__",
    "test_event_pattern",
    "validate",
]
