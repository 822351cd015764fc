"""Pausing the cyclic garbage collector while many long-lived objects are made at once.

Loading 100,000 entries from the store, or a 100,000-line answer, creates hundreds of
thousands of tuples that all survive; each allocation threshold crossed then runs a
collection that scans them again, which doubled the load time (measured with
tests/benchmarks/store_bench.py). Nothing made while paused forms reference cycles.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0


@contextmanager
def collector_paused() -> Iterator[None]:
    """Nestable, and safe across threads: the collector is back on when the last pause ends
    (and stays off if someone else had turned it off)."""
    global _pauses
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
                    gc.enable()
