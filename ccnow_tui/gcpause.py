"""Pausing the cyclic garbage collector while many long-lived objects are made at once.

Only the two user interfaces use it, at their boundary (the command line's ``drive``, the
TUI's network pump, big stagings and first load): the core never touches the collector
(docs/scale.md, tests/test_scale_room.py).

Loading the store's entries, or reading an answer, at the stress size (docs/scale.md)
creates hundreds of thousands of tuples that all survive; each allocation threshold crossed then runs a
collection that scans them again, which doubled the load time (measured with
tests/benchmarks/store_bench.py).

When a big pause ends (:data:`FREEZE_FROM` objects made), what it made is frozen
(``gc.freeze``): exempt from collections, so a full collection after a big answer does
not scan hundreds of thousands of objects again, each a stall of 0.1-0.3 s of the UI
(tests/benchmarks/tui_scale.py, CCNOW_STALLS=stacks). Reference counting still frees
what is dropped; only cyclic garbage waits, until :func:`collect_frozen`, which the app
runs when the operator is idle, or after a few minutes at the latest (then the survivors
are frozen again).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

# Objects a pause must have made (net of those freed) to be frozen at its end: a big
# list or answer. A small pause (one entry's snapshot) leaves them to the collections.
FREEZE_FROM = 20_000

_lock = threading.Lock()
_pauses = 0
_frozen_since_collect = False  # objects were frozen that a collection has not looked at
_first_frozen = 0.0  # time.monotonic() of the first freeze since the last collect_frozen


@contextmanager
def collector_paused() -> Iterator[None]:
    """Nestable, and safe across threads: the collector is back on when the last pause ends
    (and stays off if someone else had turned it off)."""
    global _pauses, _frozen_since_collect, _first_frozen
    with _lock:
        if _pauses == 0 and not gc.isenabled():
            owned = False
        else:
            owned = True
            _pauses += 1
            gc.disable()
    try:
        yield
    finally:
        if owned:
            with _lock:
                _pauses -= 1
                if _pauses == 0:
                    if gc.get_count()[0] >= FREEZE_FROM:
                        gc.freeze()  # what the pause made lives long: never scanned again by a collection
                        if not _frozen_since_collect:
                            _first_frozen = time.monotonic()
                        _frozen_since_collect = True
                    gc.enable()


def collect_frozen() -> bool:
    """A full collection over everything frozen since the last one, then freeze the
    survivors again. One stall (about 0.2 s at the stress size): run it when the
    operator is idle. False when nothing was frozen since the last one (nothing done)."""
    global _frozen_since_collect
    with _lock:
        if not _frozen_since_collect or _pauses:
            return False
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _frozen_since_collect = False
        return True


def collection_due() -> bool:
    """Objects were frozen that no collection has looked at since (:func:`collect_frozen`)."""
    return _frozen_since_collect


def frozen_for() -> float:
    """Seconds since the first freeze no collection has looked at (0: none)."""
    return time.monotonic() - _first_frozen if _frozen_since_collect else 0.0
