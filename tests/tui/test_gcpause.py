"""The collector's pauses: what a big pause made is frozen when it ends (no later
collection scans it again; a small one is left to the collections), nested pauses end
once, and the cyclic garbage a pause froze is collected by collect_frozen, which the app
runs when the operator is idle."""

from __future__ import annotations

import gc
import threading
import weakref

from ccnow_tui.gcpause import FREEZE_FROM, collect_frozen, collection_due, collector_paused, frozen_for


class Node:
    """Something the cyclic collector has to find: it refers to itself."""

    def __init__(self) -> None:
        self.me = self


def test_what_a_pause_made_is_frozen_and_the_collector_is_back_on():
    collect_frozen()
    before = gc.get_freeze_count()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the outer pause ends it
            kept = [(i, str(i)) for i in range(2 * FREEZE_FROM)]
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(kept)
    assert collection_due() and frozen_for() > 0


def test_a_small_pause_is_left_to_the_collections():
    collect_frozen()
    before = gc.get_freeze_count()
    with collector_paused():
        node = Node()
    gone = weakref.ref(node)
    del node
    assert gc.get_freeze_count() == before and not collection_due() and frozen_for() == 0
    gc.collect()
    assert gone() is None


def test_frozen_cyclic_garbage_waits_for_collect_frozen_then_goes():
    collect_frozen()
    with collector_paused():
        node = Node()
        made = [(i,) for i in range(2 * FREEZE_FROM)]  # a big pause
    gone = weakref.ref(node)
    del node, made
    gc.collect()
    assert gone() is not None  # frozen: a collection does not look at it
    assert collect_frozen() is True
    assert gone() is None
    assert not collection_due() and collect_frozen() is False  # nothing new frozen: nothing done


def test_collect_frozen_waits_while_a_pause_is_open_elsewhere():
    collect_frozen()
    with collector_paused():
        made = [(i,) for i in range(2 * FREEZE_FROM)]
    del made
    inside, leave = threading.Event(), threading.Event()

    def pause_in_a_thread() -> None:
        with collector_paused():
            inside.set()
            leave.wait(10)

    worker = threading.Thread(target=pause_in_a_thread)
    worker.start()
    inside.wait(10)
    try:
        assert collect_frozen() is False  # another thread is making objects: not now
        assert collection_due()
    finally:
        leave.set()
        worker.join(10)
    assert collect_frozen() is True


def test_a_collector_turned_off_by_someone_else_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
