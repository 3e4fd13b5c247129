"""evmatch beside the Python matchers people use today: moto's EventBridge pattern matcher
(``moto.events.models.EventPattern``) and LocalStack's event rule engine
(``localstack.services.events.event_rule_engine``).

Two parts (``scripts/bench-python.sh`` runs both, in a virtual environment of their own):

1. **citylots** — the rule categories of ``benches/rules/`` over citylots2 events (the file
   ``evmatch-bench generate`` writes): events/s for evmatch's ``matches_many`` (events as JSON
   text, as they arrive from a queue or a socket, and as ``dict``s) and for moto and LocalStack
   (``dict``s, already parsed: their parse time is not counted), each on the rules it accepts.
   Every implementation loops over all of a category's rules for every event, as their
   ``PutEvents`` does. Match counts per rule are compared with evmatch's.
2. **corpus** — every case of ``corpus/*.jsonl`` through all three: where moto's or LocalStack's
   answer differs from evmatch's, and which side the corpus (AWS's behaviour) supports.

Plus the cost of evmatch's input conversion: ``dict`` events written by evmatch against
``json.dumps`` first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Optional

import evmatch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python" / "tests"))
from corpus_cases import Case, load, raw_members  # noqa: E402

CATEGORIES = [
    ("EXACT", "exact.json"),
    ("WILDCARD", "wildcard.json"),
    ("PREFIX", "prefix.json"),
    ("PREFIX_EQUALS_IGNORE_CASE", "prefix_equals_ignore_case.json"),
    ("SUFFIX", "suffix.json"),
    ("SUFFIX_EQUALS_IGNORE_CASE", "suffix_equals_ignore_case.json"),
    ("EQUALS_IGNORE_CASE", "equals_ignore_case.json"),
    ("NUMERIC", "numeric.json"),
    ("ANYTHING-BUT", "anything_but.json"),
    ("ANYTHING-BUT-IGNORE-CASE", "anything_but_ignore_case.json"),
    ("ANYTHING-BUT-PREFIX", "anything_but_prefix.json"),
    ("ANYTHING-BUT-SUFFIX", "anything_but_suffix.json"),
    ("ANYTHING-BUT-WILDCARD", "anything_but_wildcard.json"),
    ("COMPLEX_ARRAYS", "complex_arrays.json"),
    ("PARTIAL_COMBO", "partial_combo.json"),
    ("COMBO", "combo.json"),
]


# ---------------------------------------------------------------------------------------------
# The three implementations, behind one interface: compile(name -> pattern text) once, then
# match a batch of events, giving each event's matching rule names.


class Refused(Exception):
    """The implementation refuses the pattern; the message is its reason."""


class Impl:
    name = ""

    def compile(self, pattern: str) -> Any:
        raise NotImplementedError

    def matcher(self, rules: dict[str, Any]) -> Callable[[list[Any]], list[list[str]]]:
        raise NotImplementedError


class Evmatch(Impl):
    name = "evmatch"

    def compile(self, pattern: str) -> Any:
        reason = evmatch.validate(pattern)
        if reason is not None:
            raise Refused(reason)
        return pattern

    def matcher(self, rules: dict[str, Any]) -> Callable[[list[Any]], list[list[str]]]:
        m = evmatch.Matcher()
        for name, pattern in rules.items():
            m.add_rule(name, pattern)
        return m.matches_many


def _reason(error: BaseException) -> str:
    message = str(getattr(error, "message", "") or error)
    prefix = "Event pattern is not valid. Reason: "
    return message[len(prefix):] if message.startswith(prefix) else message


class Moto(Impl):
    """moto 5's ``EventPattern``: ``load`` (json.loads and a shallow check) once per rule, then
    ``matches_event(event_dict)`` per rule and event (which copies the event through
    ``json.loads(json.dumps(event))`` and flattens it)."""

    name = "moto"

    def __init__(self) -> None:
        from moto.events.models import EventPattern

        self.EventPattern = EventPattern

    def compile(self, pattern: str) -> Any:
        try:
            return self.EventPattern.load(pattern)
        except Exception as error:  # noqa: BLE001 - any refusal
            raise Refused(_reason(error)) from error

    def matcher(self, rules: dict[str, Any]) -> Callable[[list[Any]], list[list[str]]]:
        compiled = list(rules.items())

        def match(events: list[Any]) -> list[list[str]]:
            return [[name for name, p in compiled if p.matches_event(event)] for event in events]

        return match


class LocalStack(Impl):
    """LocalStack's ``EventPatternCompiler.compile_event_pattern`` once per rule, then
    ``EventRuleEngine.evaluate_pattern_on_event(compiled, event_dict)`` per rule and event. (Its
    PutEvents calls ``localstack.utils.event_matcher.matches_event``, which compiles the pattern
    again for every event: slower than what is measured here.)"""

    name = "LocalStack"

    def __init__(self) -> None:
        from localstack.services.events.event_rule_engine import EventPatternCompiler, EventRuleEngine

        self.compiler = EventPatternCompiler()
        self.engine = EventRuleEngine()

    def compile(self, pattern: str) -> Any:
        try:
            return self.compiler.compile_event_pattern(pattern)
        except Exception as error:  # noqa: BLE001
            raise Refused(_reason(error)) from error

    def matcher(self, rules: dict[str, Any]) -> Callable[[list[Any]], list[list[str]]]:
        compiled = list(rules.items())
        evaluate = self.engine.evaluate_pattern_on_event

        def match(events: list[Any]) -> list[list[str]]:
            return [[name for name, p in compiled if evaluate(p, event)] for event in events]

        return match


def guarded(match: Callable[[list[Any]], list[list[str]]]) -> Callable[[list[Any]], tuple[list[list[str]], int]]:
    """Matches event by event when the batch raises, counting the events that raise."""

    def run(events: list[Any]) -> tuple[list[list[str]], int]:
        try:
            return match(events), 0
        except Exception:  # noqa: BLE001
            results, errors = [], 0
            for event in events:
                try:
                    results.extend(match([event]))
                except Exception:  # noqa: BLE001
                    results.append([])
                    errors += 1
            return results, errors

    return run


# ---------------------------------------------------------------------------------------------
# citylots


def load_rules(path: Path) -> dict[str, str]:
    """A rules file's patterns as their exact text, in file order."""
    return raw_members(path.read_text(encoding="utf-8"))


def timed_passes(run: Callable[[], Any], passes: int) -> list[float]:
    times = []
    for _ in range(passes):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def citylots(args: argparse.Namespace, impls: list[Impl], report: dict[str, Any]) -> None:
    lines = args.events_file.read_text(encoding="utf-8").splitlines()[: args.events]
    texts = [line for line in lines if line.strip()]
    dicts = [json.loads(t) for t in texts]
    n = len(texts)
    megabytes = sum(len(t) for t in texts) / 1e6
    print(f"\n## citylots: {n:,} events ({megabytes:.1f} MB) from {args.events_file.name}; "
          f"evmatch {args.passes} passes, moto and LocalStack {args.other_passes}; median events/s\n")

    # The cost of the input conversion, on the EXACT rules.
    m = evmatch.Matcher()
    for name, text in load_rules(ROOT / "benches" / "rules" / "exact.json").items():
        m.add_rule(name, text)
    as_bytes = [t.encode() for t in texts]
    conversions = {
        "str (JSON text)": lambda: m.matches_many(texts),
        "bytes (JSON text)": lambda: m.matches_many(as_bytes),
        "dict, written by evmatch": lambda: m.matches_many(dicts),
        "dict, json.dumps first": lambda: m.matches_many([json.dumps(d, separators=(",", ":")) for d in dicts]),
        "json.dumps alone": lambda: [json.dumps(d, separators=(",", ":")) for d in dicts],
        "json.loads alone (str to dict)": lambda: [json.loads(t) for t in texts],
    }
    print("| input form (EXACT rules) | µs per event | events/s |\n|---|---:|---:|")
    report["conversion"] = {}
    for label, run in conversions.items():
        seconds = statistics.median(timed_passes(run, args.passes))
        report["conversion"][label] = seconds / n
        print(f"| {label} | {seconds / n * 1e6:.2f} | {n / seconds:,.0f} |")

    print()
    header = ["category", "rules (evmatch/moto/LocalStack)", "evmatch str", "evmatch dict"]
    header += [i.name for i in impls[1:]] + [f"evmatch dict / {i.name}" for i in impls[1:]]
    print("| " + " | ".join(header) + " |")
    print("|---|---|" + "---:|" * (len(header) - 2))
    report["citylots"] = {"events": n, "megabytes": megabytes, "categories": {}}
    disagreements = []
    for category, file in CATEGORIES:
        if args.categories and category not in args.categories:
            continue
        rules = load_rules(ROOT / "benches" / "rules" / file)
        row: dict[str, Any] = {"rules": len(rules)}
        rates: dict[str, float] = {}
        counts: dict[str, Counter[str]] = {}
        accepted: dict[str, int] = {}
        for impl in impls:
            compiled, refused = {}, {}
            for name, text in rules.items():
                try:
                    compiled[name] = impl.compile(text)
                except Refused as error:
                    refused[name] = str(error)
            accepted[impl.name] = len(compiled)
            run = guarded(impl.matcher(compiled))
            inputs = {"evmatch": [("str", texts), ("dict", dicts)]}.get(impl.name, [("dict", dicts)])
            for form, events in inputs:
                results, errors = run(events)  # warm-up, and the match counts
                passes = args.passes if impl.name == "evmatch" else args.other_passes
                seconds = statistics.median(timed_passes(lambda: run(events), passes))
                key = impl.name if impl.name != "evmatch" else f"evmatch {form}"
                rates[key] = n / seconds
                counts[key] = Counter(name for names in results for name in names)
                row[key] = {"events_per_s": n / seconds, "errors": errors, "refused": refused,
                            "matches": dict(counts[key])}
            for key in [k for k in counts if k == impl.name or k.startswith(f"{impl.name} ")]:
                for name in compiled:
                    if counts[key][name] != counts["evmatch str"][name]:
                        disagreements.append((category, name, key, counts["evmatch str"][name], counts[key][name]))
            for name, why in refused.items():
                disagreements.append((category, name, impl.name, "accepted", f"refused: {why}"))
        report["citylots"]["categories"][category] = row
        cells = [category, "/".join(str(accepted[i.name]) for i in impls)]
        cells += [f"{rates['evmatch str']:,.0f}", f"{rates['evmatch dict']:,.0f}"]
        cells += [f"{rates[i.name]:,.0f}" for i in impls[1:]]
        cells += [f"{rates['evmatch dict'] / rates[i.name]:,.0f}×" for i in impls[1:]]
        print("| " + " | ".join(cells) + " |", flush=True)
    print("\nWhere a rule's match count differs from evmatch's (or a rule is refused):\n")
    if not disagreements:
        print("none")
    else:
        print("| category | rule | implementation | evmatch | theirs |\n|---|---|---|---:|---:|")
        for category, rule, impl_name, ours, theirs in disagreements:
            print(f"| {category} | {rule} | {impl_name} | {ours} | {theirs} |")
    report["citylots"]["disagreements"] = [list(d) for d in disagreements]


# ---------------------------------------------------------------------------------------------
# corpus


def corpus_answer(impl: Impl, case: Case) -> tuple[str, str]:
    """What ``impl`` says to ``case``: ("refused", reason), ("match"|"no-match", ""),
    ("event-error", why) or ("crash", what was raised)."""
    try:
        compiled = impl.compile(case.pattern)
    except Refused as error:
        return "refused", str(error)
    except Exception as error:  # noqa: BLE001
        return "crash", f"compile: {type(error).__name__}: {error}"
    if case.event is None:
        return "accepted", ""
    if impl.name == "evmatch":
        event: Any = case.event
    else:
        # moto and LocalStack take events parsed with json.loads, as their PutEvents does.
        try:
            event = json.loads(case.event)
        except (ValueError, RecursionError) as error:
            return "event-error", f"json.loads: {type(error).__name__}"
        if not isinstance(event, dict):
            return "event-error", "not an object"
    try:
        names = impl.matcher({"case": compiled})([event])[0]
    except evmatch.InvalidEventError as error:
        return "event-error", str(error)
    except Exception as error:  # noqa: BLE001
        return "crash", f"match: {type(error).__name__}: {error}"
    return ("match" if names else "no-match"), ""


def agrees(case: Case, answer: tuple[str, str]) -> bool:
    kind, _ = answer
    if case.expect == "invalid":
        return kind == "refused"
    return kind == case.expect


def corpus(args: argparse.Namespace, impls: list[Impl], report: dict[str, Any]) -> None:
    cases = load()
    answers = {impl.name: [corpus_answer(impl, c) for c in cases] for impl in impls}
    print(f"\n## corpus: {len(cases)} cases through each implementation\n")
    print("| implementation | agrees with the corpus | wrong answer | accepts an invalid pattern | "
          "refuses a valid pattern | accepts an unreadable event | raises | same reason as AWS (of refused with a reason) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    report["corpus"] = {"cases": len(cases), "implementations": {}}
    for impl in impls:
        got = answers[impl.name]
        tally: Counter[str] = Counter()
        reasons_same = reasons_total = 0
        for case, (kind, detail) in zip(cases, got):
            if agrees(case, (kind, detail)):
                tally["agrees"] += 1
                if case.expect == "invalid" and case.reason is not None:
                    reasons_total += 1
                    reasons_same += detail == case.reason
            elif kind == "crash":
                tally["raises"] += 1
            elif case.expect == "invalid":
                tally["accepts an invalid pattern"] += 1
            elif kind == "refused":
                tally["refuses a valid pattern"] += 1
            elif case.expect == "event-error":
                tally["accepts an unreadable event"] += 1
            else:
                tally["wrong answer"] += 1
        report["corpus"]["implementations"][impl.name] = dict(tally)
        print(f"| {impl.name} | {tally['agrees']} | {tally['wrong answer']} | {tally['accepts an invalid pattern']} | "
              f"{tally['refuses a valid pattern']} | {tally['accepts an unreadable event']} | {tally['raises']} | "
              f"{reasons_same}/{reasons_total} |")

    # Every case where another implementation's answer differs from evmatch's.
    ours = answers["evmatch"]
    print("\nWhere moto's or LocalStack's answer differs from evmatch's (`expected` is the corpus, AWS's "
          "behaviour; `supports` says whose answer it is):\n")
    differences = []
    by_topic: dict[str, Counter[str]] = defaultdict(Counter)
    for i, case in enumerate(cases):
        ours_kind = ours[i][0]
        for impl in impls[1:]:
            kind, detail = answers[impl.name][i]
            same = kind == ours_kind or (case.expect == "invalid" and kind == "refused" and ours_kind == "refused")
            if same:
                continue
            if agrees(case, ours[i]):
                supports = "evmatch (departure)" if case.departure else "evmatch"
            else:
                supports = impl.name if agrees(case, (kind, detail)) else "neither"
            differences.append({"case": case.name, "location": case.location, "implementation": impl.name,
                                "expected": case.expect, "evmatch": ours_kind, "theirs": kind,
                                "detail": detail[:100], "supports": supports})
            by_topic[case.name.split("/")[0]][f"{impl.name}"] += 1
    report["corpus"]["differences"] = differences
    supports = Counter((d["implementation"], d["supports"]) for d in differences)
    print("| implementation | differences | the corpus supports evmatch: AWS / event-ruler behaviour | "
          "evmatch: one of its documented departures from event-ruler | supports them | neither |\n"
          "|---|---:|---:|---:|---:|---:|")
    for impl in impls[1:]:
        total = sum(v for (name, _), v in supports.items() if name == impl.name)
        print(f"| {impl.name} | {total} | {supports[(impl.name, 'evmatch')]} | "
              f"{supports[(impl.name, 'evmatch (departure)')]} | {supports[(impl.name, impl.name)]} | "
              f"{supports[(impl.name, 'neither')]} |")
    print("\nBy topic (the case name's first part):\n\n| topic | " + " | ".join(i.name for i in impls[1:]) + " |\n|---|" + "---:|" * (len(impls) - 1))
    for topic in sorted(by_topic):
        print(f"| {topic} | " + " | ".join(str(by_topic[topic][i.name]) for i in impls[1:]) + " |")
    if args.list_differences:
        print("\n| case | implementation | expected | evmatch | theirs | supports | detail |\n|---|---|---|---|---|---|---|")
        for d in differences:
            print(f"| {d['case']} | {d['implementation']} | {d['expected']} | {d['evmatch']} | {d['theirs']} | "
                  f"{d['supports']} | {d['detail'].replace('|', '/')} |")


def combine(paths: list[Path]) -> None:
    """The citylots table over several runs' JSON results: each cell the median of the runs'
    medians."""
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    first = runs[0]
    print(f"# citylots, the median over {len(runs)} runs ({', '.join(p.name for p in paths)}) of each "
          f"run's median events/s; {first['citylots']['events']:,} events; evmatch {first['versions']['evmatch']}, "
          f"moto {first['versions']['moto']}, localstack-core {first['versions']['localstack-core']}, "
          f"Python {first['python']}\n")
    print("| input form (EXACT rules) | µs per event |\n|---|---:|")
    for label in first["conversion"]:
        value = statistics.median(r["conversion"][label] for r in runs)
        print(f"| {label} | {value * 1e6:.2f} |")
    keys = ["evmatch str", "evmatch dict", "moto", "LocalStack"]
    print("\n| category | rules | " + " | ".join(keys) + " | evmatch dict / moto | evmatch dict / LocalStack | "
          "evmatch str / moto | evmatch str / LocalStack |")
    print("|---|---:|" + "---:|" * (len(keys) + 4))
    for category, row in first["citylots"]["categories"].items():
        rate = {k: statistics.median(r["citylots"]["categories"][category][k]["events_per_s"] for r in runs)
                for k in keys}
        cells = [category, str(row["rules"])] + [f"{rate[k]:,.0f}" for k in keys]
        cells += [f"{rate[a] / rate[b]:,.0f}×" for a in ("evmatch dict", "evmatch str") for b in ("moto", "LocalStack")]
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events-file", type=Path, help="citylots2 events, one JSON object per line")
    parser.add_argument("--events", type=int, default=10_000, help="events to use from the file (default 10,000)")
    parser.add_argument("--passes", type=int, default=5, help="timed passes for evmatch (median; default 5)")
    parser.add_argument("--other-passes", type=int, default=2, help="timed passes for moto and LocalStack (default 2)")
    parser.add_argument("--categories", type=lambda s: s.split(","), help="only these categories (A,B,...)")
    parser.add_argument("--skip-citylots", action="store_true")
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--list-differences", action="store_true", help="list every corpus difference")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--combine", type=Path, nargs="+", metavar="JSON",
                        help="only print the citylots table over these runs' --json results (medians)")
    args = parser.parse_args()
    if args.combine:
        combine(args.combine)
        return

    impls: list[Impl] = [Evmatch(), Moto(), LocalStack()]
    import importlib.metadata as metadata

    versions = {name: metadata.version(name) for name in ("evmatch", "moto", "localstack-core")}
    print(f"# evmatch {versions['evmatch']} vs moto {versions['moto']} vs localstack-core "
          f"{versions['localstack-core']} (Python {sys.version.split()[0]})")
    report: dict[str, Any] = {"versions": versions, "python": sys.version.split()[0]}
    if not args.skip_corpus:
        corpus(args, impls, report)
    if not args.skip_citylots:
        if args.events_file is None:
            parser.error("--events-file is needed for the citylots part")
        citylots(args, impls, report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
