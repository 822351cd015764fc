"""The TUI at 100,000 orders (not part of the test run):

    .venv/bin/python tests/benchmarks/tui_scale.py

Runs the real app headless (Textual's pilot, 80x24) against the sandbox in a separate
process, and times what an operator waits for: the pending list loaded and drawn,
staging ship for every order, opening the composer, removing one entry, and sending
the 100,000-entry batch. While the batch is in flight a 20 ms timer measures how long
the event loop was ever blocked (a frozen UI), which is the figure that matters there.

Baseline, in the same process: Textual's ``DataTable`` given the same 100,000 rows, to
its first paint; against it, ``queue_vs_datatable`` compares the same work: the queue of
a fresh session (no list fetched) given the same rows already in memory, as the network
pump hands them over (one PendingRecords, then RequestFinished with the answer the client
gave), to its first paint. ``queue_100k_loaded_s`` is the whole start, network included.
Prints a table, then one JSON object as the last line.

Where the time goes: ``CCNOW_PROFILE=stage,remove`` (any of load, stage, open, remove,
send) runs those steps under cProfile and prints their 30 costliest calls, then ccnow_tui's 15,
to stderr.
``CCNOW_STALLS=1`` prints the longest stalls while the batch is in flight, with what the
app was doing then; ``CCNOW_STALLS=stacks`` also samples the UI thread's stack from a
watchdog thread during each stall (innermost ccnow_tui frames first; the sampler costs
the UI some time itself) and times every collection of the garbage collector.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import json
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# The app writes the profile's store: keep it out of the operator's own folders.
_tmp = tempfile.mkdtemp(prefix="ccnow-bench-")
os.environ["XDG_DATA_HOME"] = str(Path(_tmp) / "data")
os.environ["XDG_CONFIG_HOME"] = str(Path(_tmp) / "config")

from bench import N_PENDING, fetch_pending, free_port, start_sandbox  # noqa: E402

from ccnow_tui.client import Credentials, ReceiverClient  # noqa: E402
from ccnow_tui.config.load import ConnectionSettings  # noqa: E402
from ccnow_tui.protocol.redact import Secret  # noqa: E402
from ccnow_tui.tui.app import CcnowApp  # noqa: E402
from ccnow_tui.tui.screens.confirm import ConfirmScreen  # noqa: E402

SIZE = (80, 24)
PROFILED = set(filter(None, os.environ.get("CCNOW_PROFILE", "").split(",")))


@contextlib.contextmanager
def profiled(step: str):
    if step not in PROFILED:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        if os.environ.get("CCNOW_PROFILE_DUMP"):  # for pstats' callers/callees: <dir>/<step>.prof
            profile.dump_stats(os.path.join(os.environ["CCNOW_PROFILE_DUMP"], f"{step}.prof"))
        print(f"--- {step} ---", file=sys.stderr)
        stats = pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative")
        stats.print_stats(30)
        stats.print_stats("ccnow_tui", 15)  # ours alone


class StallSampler:
    """Samples the UI thread's stack while its loop is stalled (see CCNOW_STALLS); the
    samples of each stall are kept together, so the longest stalls can be told apart."""

    def __init__(self, last: list[float]) -> None:
        self.last = last
        self.ui = threading.get_ident()
        self.stalls: list[tuple[float, Counter[str]]] = []  # (the tick it followed, where)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        # The sampler needs the GIL: a stall inside C that holds it (a collection of the
        # cyclic garbage collector) shows here instead.
        self.collections: list[tuple[float, int, int]] = []  # (seconds, generation, collected)
        self._gc_started = 0.0
        gc.callbacks.append(self._gc)

    def _gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.collections.append((time.perf_counter() - self._gc_started, info["generation"], info["collected"]))

    def _run(self) -> None:
        while not self.stop.wait(0.005):
            since = self.last[0]
            if time.perf_counter() - since < 0.03:
                continue
            frame = sys._current_frames().get(self.ui)
            if frame is None:
                continue
            ours = [
                f"{Path(fs.filename).name}:{fs.lineno} {fs.name}"
                for fs in traceback.extract_stack(frame)
                if "ccnow_tui" in fs.filename
            ]
            if not self.stalls or self.stalls[-1][0] != since:
                self.stalls.append((since, Counter()))
            self.stalls[-1][1][" < ".join(reversed(ours[-4:])) or "(textual)"] += 1

    def report(self) -> None:
        gc.callbacks.remove(self._gc)
        print("--- the longest collections of the garbage collector ---", file=sys.stderr)
        for seconds, generation, collected in sorted(self.collections, reverse=True)[:5]:
            print(f"{seconds * 1000:7.1f} ms  generation {generation}, {collected} collected", file=sys.stderr)
        print("--- the longest stalls of the UI thread (5 ms samples) ---", file=sys.stderr)
        for _, where in sorted(self.stalls, key=lambda s: -s[1].total())[:5]:
            print(f"~{where.total() * 5 + 30} ms:", file=sys.stderr)
            for place, n in where.most_common(4):
                print(f"   {n:4d}  {place}", file=sys.stderr)


async def until(pilot, condition, what: str, limit: float = 300.0) -> None:
    deadline = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await pilot.pause(0.01)


async def baseline_datatable(rows: list[tuple[str, str]]) -> float:
    from textual.app import App
    from textual.widgets import DataTable

    class Table(App):
        def compose(self):
            yield DataTable()

    app = Table()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        t = time.perf_counter()
        table.add_columns("order", "status")
        table.add_rows(rows)
        await pilot.pause()  # the first paint with every row in
        return time.perf_counter() - t


async def queue_in_memory(url: str, orders: list, answer) -> float:
    """The queue of a fresh session (its own fetch left out) given 100,000 rows already in
    memory, as network.pump posts them, to its first paint: DataTable's work, ours."""
    from ccnow_tui.tui.messages import PendingRecords, RequestFinished
    from ccnow_tui.tui.request import Request, RequestKind
    from ccnow_tui.tui.screens.queue import QueueScreen

    settings = ConnectionSettings("bench-memory", url, "demo", "", Secret("demo"), 120.0, "bench")
    app = CcnowApp(settings)
    app.refresh_pending = lambda automatic=False: None  # type: ignore[method-assign]  # no fetch
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, QueueScreen) and app.controller is not None, "the queue")
        await pilot.pause()
        request = Request(RequestKind.PENDING)
        t = time.perf_counter()
        app.apply(app.controller.pending_started(request))
        app.post_message(PendingRecords(request, orders, []))
        app.post_message(RequestFinished(request, answer))
        await until(pilot, lambda: app.session.book.last_refresh is not None, "the rows")
        await pilot.pause()  # the first paint with every row in
        elapsed = time.perf_counter() - t
        assert app.session.book.pending_count == N_PENDING
        return elapsed


async def measure_app(url: str) -> tuple[dict, list[tuple[str, str]]]:
    from ccnow_tui.client import RecordChunk
    from ccnow_tui.domain.answers import ReceiverAnswer
    from ccnow_tui.protocol.answer import OrderLine

    settings = ConnectionSettings("bench", url, "demo", "", Secret("demo"), 120.0, "bench")
    out: dict[str, float] = {}
    # The same list read by the client alone (no UI), after one read to warm the server:
    # what the queue's figure is made of besides the UI.
    async with ReceiverClient(url, Credentials("demo", Secret("demo")), timeout=120) as client:
        await fetch_pending(client)
        t = time.perf_counter()
        assert await fetch_pending(client) == N_PENDING
        out["pending_100k_client_only_s"] = time.perf_counter() - t
        # Once more, kept: the rows and the answer the in-memory queue figure is given.
        in_memory: list = []
        answer = None
        async for ev in client.pending(chunked=True):
            if type(ev) is RecordChunk:
                in_memory += [(r.order_id, r.status) for r in ev if type(r) is OrderLine]
            elif isinstance(ev, ReceiverAnswer):
                answer = ev
        assert len(in_memory) == N_PENDING and answer is not None
    out["queue_100k_in_memory_s"] = await queue_in_memory(url, in_memory, answer)
    del in_memory
    t = time.perf_counter()
    app = CcnowApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        with profiled("load"):
            await until(
                pilot, lambda: app.session is not None and app.session.book.last_refresh is not None, "the list"
            )
            await pilot.pause()
        out["queue_100k_loaded_s"] = time.perf_counter() - t
        book, staging = app.session.book, app.session.staging
        assert book.pending_count == N_PENDING, book.pending_count
        rows = [(str(o), book.status[o]) for o in book.rows]

        t = time.perf_counter()
        with profiled("stage"):
            await pilot.press("A", "s")
            await until(pilot, lambda: len(staging) == N_PENDING, "staging")
        out["stage_ship_100k_s"] = time.perf_counter() - t

        t = time.perf_counter()
        with profiled("open"):
            await pilot.press("b")
            await pilot.pause()
        out["composer_open_100k_s"] = time.perf_counter() - t

        # The pilot's own cost for one key (it waits for the app to settle): a key the
        # composer does not bind, timed the same way, in the same run. Both it and the
        # removal are the median of five (one key is a few frames: timer phase is noise).
        baseline = []
        for _ in range(5):
            t = time.perf_counter()
            await pilot.press("x")
            await pilot.pause()
            baseline.append(time.perf_counter() - t)
        out["pilot_key_baseline_s"] = statistics.median(baseline)

        # Inside the app, without the pilot: from the remove action's start to the end of
        # the first frame drawn after the composer rebuilt (ours: the rest is waiting). With
        # Textual's public API: the frame that draws the rebuilt table calls its render_line;
        # a callback given to call_after_refresh then runs once that frame is drawn.
        composer = app.screen
        table = composer.table
        marks: dict[str, float] = {}
        real_remove, real_rebuild, real_line = composer.action_remove, composer._rebuild, table.render_line

        def remove() -> None:
            marks.clear()
            marks["start"] = time.perf_counter()
            real_remove()

        def rebuild() -> None:
            real_rebuild()
            marks.setdefault("rebuilt", time.perf_counter())

        def drawn() -> None:
            marks.setdefault("drawn", time.perf_counter())

        def line(y: int):
            if "rebuilt" in marks and "drawing" not in marks:
                marks["drawing"] = time.perf_counter()
                composer.call_after_refresh(drawn)
            return real_line(y)

        composer.action_remove, composer._rebuild, table.render_line = remove, rebuild, line
        removals, in_app = [], []
        for _ in range(5):
            t = time.perf_counter()
            with profiled("remove"):
                await pilot.press("d")
                await until(pilot, lambda: len(staging) == N_PENDING - 1, "the removal")
                await until(pilot, lambda: not app.screen._rebuild_scheduled, "the composer redrawn")
                await pilot.pause()
            removals.append(time.perf_counter() - t)
            await until(pilot, lambda: "drawn" in marks, "the frame after the removal")
            in_app.append(marks["drawn"] - marks["start"])
            await pilot.press("u")
            await until(pilot, lambda: len(staging) == N_PENDING, "the undo")
            await until(pilot, lambda: not app.screen._rebuild_scheduled, "the composer redrawn")
            await pilot.pause()
        out["composer_remove_one_s"] = statistics.median(removals)
        out["composer_remove_one_net_s"] = out["composer_remove_one_s"] - out["pilot_key_baseline_s"]
        out["composer_remove_one_in_app_s"] = statistics.median(in_app)
        del composer.action_remove, composer._rebuild, table.render_line

        stalls: list[float] = []
        last = [time.perf_counter()]

        phases: list[tuple[float, float, str]] = []  # (when, gap, what the app was doing)

        def tick() -> None:
            now = time.perf_counter()
            stalls.append(now - last[0])
            flight = app.session.in_flight
            answered, total = app.session.progress
            what = (
                "sending"
                if flight is not None and flight.claim is None
                else f"streaming {answered}/{total}"
                if flight is not None and answered < total
                else "recording the answer"
                if flight is not None
                else "answered"
            )
            phases.append((now, now - last[0], what))
            last[0] = now

        t = time.perf_counter()
        await pilot.press("S")
        # A y read before the confirmation is up is ignored on purpose: wait for it.
        await until(
            pilot,
            lambda: isinstance(app.screen, ConfirmScreen) and app.screen.shown_at != float("inf"),
            "the confirmation",
        )
        out["confirm_open_100k_s"] = time.perf_counter() - t
        # Stalls are counted from y on: opening the confirmation is timed above, on its own.
        last[0] = time.perf_counter()
        timer = app.set_interval(0.02, tick)
        sampler = StallSampler(last) if os.environ.get("CCNOW_STALLS") == "stacks" else None
        if sampler is not None:
            sampler.thread.start()
        t = time.perf_counter()
        with profiled("send"):
            await pilot.press("y")
            await until(pilot, lambda: app.session.in_flight is None and len(staging) == 0, "the batch answer")
        out["send_100k_total_s"] = time.perf_counter() - t
        timer.stop()
        if sampler is not None:
            sampler.stop.set()
            sampler.report()
        if os.environ.get("CCNOW_STALLS"):
            print("--- the longest gaps between 20 ms ticks, and when ---", file=sys.stderr)
            for when, gap, what in sorted(phases, key=lambda p: -p[1])[:6]:
                print(f"{gap * 1000:7.1f} ms  at +{when - t:5.2f} s  {what}", file=sys.stderr)
            gaps = sorted(p[1] for p in phases)
            print(
                "gaps (ms): "
                + ", ".join(f"p{q} {gaps[int(len(gaps) * q / 100)] * 1000:.1f}" for q in (50, 75, 90, 95, 99))
                + f"; {len(gaps)} ticks",
                file=sys.stderr,
            )
            by_phase: dict[str, list[float]] = {}
            for _, gap, what in phases:
                by_phase.setdefault(what.split()[0], []).append(gap)
            for what, phase_gaps in by_phase.items():
                phase_gaps.sort()
                p95 = phase_gaps[int(len(phase_gaps) * 0.95)]
                print(f"  {what:<10} {len(phase_gaps):5d} ticks, p95 {p95 * 1000:.1f} ms", file=sys.stderr)
        out["send_100k_worst_stall_s"] = max(stalls)
        stalls.sort()
        out["send_100k_p95_stall_s"] = stalls[int(len(stalls) * 0.95)]
    return out, rows


def main() -> int:
    port = free_port()
    proc = start_sandbox(port)
    try:
        results, rows = asyncio.run(measure_app(f"http://127.0.0.1:{port}/cgi-local/oapi_receive.cgi"))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    results["datatable_100k_first_paint_s"] = asyncio.run(baseline_datatable(rows))
    results["queue_vs_datatable"] = results["queue_100k_in_memory_s"] / results["datatable_100k_first_paint_s"]
    results["queue_100k_beyond_client_s"] = results["queue_100k_loaded_s"] - results["pending_100k_client_only_s"]
    print(f"{'measure':<30} {'value':>10}")
    for key, value in results.items():
        print(f"{key:<30} {value:>10.3f}")
    print(json.dumps({k: round(v, 3) for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
