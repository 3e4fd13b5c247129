"""One Matcher shared by threads: matching while rules change, and the GIL released while
``matches_many`` matches."""

from __future__ import annotations

import json
import threading
import time

import evmatch
from evmatch import Matcher


def events(n: int) -> list[bytes]:
    return [json.dumps({"source": "app", "n": i, "detail": {"tag": f"t{i % 10}", "size": i % 1000}}).encode()
            for i in range(n)]


def test_threads_match_while_rules_change() -> None:
    m = Matcher()
    m.add_rule("always", {"source": ["app"]})
    batch = events(500)
    expected_always = [["always"]] * len(batch)
    stop = threading.Event()
    errors: list[BaseException] = []
    seen_flapping = [0]

    def reader() -> None:
        try:
            while not stop.is_set():
                for names in m.matches_many(batch):
                    # "always" is in every rule set a reader can see, and comes first.
                    assert names[0] == "always", names
                    assert names[1:] in ([], ["flapping"]), names
                    seen_flapping[0] += len(names) - 1
                assert m.matches(batch[7])[0] == "always"
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            stop.set()

    def writer() -> None:
        try:
            for i in range(100):
                m.add_rule("flapping", {"detail": {"tag": [{"prefix": "t"}]}})
                m.add_rule("flapping", {"n": [{"numeric": [">=", 0]}]})  # a second pattern, same name
                if i % 2:
                    time.sleep(0)
                assert m.delete_rule("flapping")
                assert len(m) == 1
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            stop.set()

    threads = [threading.Thread(target=reader) for _ in range(3)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    assert errors == []
    assert m.matches_many(batch) == expected_always


def test_many_threads_agree() -> None:
    m = Matcher()
    for tag in range(10):
        m.add_rule(f"tag-{tag}", {"detail": {"tag": [f"t{tag}"]}})
    m.add_rule("big", {"detail": {"size": [{"numeric": [">", 900]}]}})
    batch = events(2000)
    expected = m.matches_many(batch)
    results: list[list[list[str]]] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(5):
            got = m.matches_many(batch)
            with lock:
                results.append(got)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20
    assert all(r == expected for r in results)


def test_matches_many_releases_the_gil() -> None:
    """While one thread is inside matches_many, another runs Python code at (nearly) its free
    speed. Were the GIL held for the whole call, the counting thread could not run during it but
    for the moment it takes the GIL to be handed back (about 5% of a 0.3 s call, measured)."""
    m = Matcher()
    for i in range(100):
        m.add_rule(f"w{i}", {"detail": {"tag": [{"wildcard": f"*{i}*x*"}]}, "n": [{"numeric": [">", i]}]})
    batch = events(10_000)
    # A call long enough to measure: at least 0.3 s.
    while True:
        started = time.perf_counter()
        m.matches_many(batch)
        if time.perf_counter() - started >= 0.3 or len(batch) > 5_000_000:
            break
        batch = batch * 2

    counter = [0]
    running = threading.Event()
    done = threading.Event()

    def count() -> None:
        running.set()
        while not done.is_set():
            counter[0] += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        running.wait()
        # The counting thread's free speed, while this one sleeps.
        before = counter[0]
        started = time.perf_counter()
        time.sleep(0.2)
        free_rate = (counter[0] - before) / (time.perf_counter() - started)
        rates = []
        for _ in range(3):
            before = counter[0]
            started = time.perf_counter()
            m.matches_many(batch)
            rates.append((counter[0] - before) / (time.perf_counter() - started))
    finally:
        done.set()
        t.join()
    assert max(rates) > 0.2 * free_rate, (rates, free_rate)
