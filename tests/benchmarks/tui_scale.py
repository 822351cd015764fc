"""The TUI at 100,000 orders (not part of the test run):

    .venv/bin/python tests/benchmarks/tui_scale.py

Runs the real app headless (Textual's pilot, 80x24) against the sandbox in a separate
process, and times what an operator waits for: the pending list loaded and drawn,
staging ship for every order, opening the composer, removing one entry, and sending
the 100,000-entry batch. While the batch is in flight a 20 ms timer measures how long
the event loop was ever blocked (a frozen UI), which is the figure that matters there.

Baseline, in the same process: Textual's ``DataTable`` given the same 100,000 rows, to
its first paint. Prints a table, then one JSON object as the last line.

Where the time goes: ``CCNOW_PROFILE=stage,remove`` (any of load, stage, open, remove,
send) runs those steps under cProfile and prints their 30 costliest calls to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# The app writes the profile's store: keep it out of the operator's own folders.
_tmp = tempfile.mkdtemp(prefix="ccnow-bench-")
os.environ["XDG_DATA_HOME"] = str(Path(_tmp) / "data")
os.environ["XDG_CONFIG_HOME"] = str(Path(_tmp) / "config")

from bench import N_PENDING, free_port, start_sandbox  # noqa: E402

from ccnow_tui.config import ConnectionSettings  # noqa: E402
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
        print(f"--- {step} ---", file=sys.stderr)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(30)


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


async def measure_app(url: str) -> tuple[dict, list[tuple[str, str]]]:
    settings = ConnectionSettings("bench", url, "demo", "", Secret("demo"), 120.0, "bench")
    out: dict[str, float] = {}
    t = time.perf_counter()
    app = CcnowApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        with profiled("load"):
            await until(pilot, lambda: app.session is not None and app.session.book.last_refresh is not None,
                        "the list")
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
        # composer does not bind, timed the same way, in the same run.
        t = time.perf_counter()
        await pilot.press("x")
        await pilot.pause()
        out["pilot_key_baseline_s"] = time.perf_counter() - t

        t = time.perf_counter()
        with profiled("remove"):
            await pilot.press("d")
            await until(pilot, lambda: len(staging) == N_PENDING - 1, "the removal")
            await until(pilot, lambda: not app.screen._rebuild_scheduled, "the composer redrawn")
            await pilot.pause()
        out["composer_remove_one_s"] = time.perf_counter() - t
        out["composer_remove_one_net_s"] = out["composer_remove_one_s"] - out["pilot_key_baseline_s"]
        await pilot.press("u")
        await until(pilot, lambda: len(staging) == N_PENDING, "the undo")

        stalls: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            stalls.append(now - last[0])
            last[0] = now

        await pilot.press("S")
        # A y read before the confirmation is up is ignored on purpose: wait for it.
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.shown_at != float("inf"),
                    "the confirmation")
        timer = app.set_interval(0.02, tick)
        t = time.perf_counter()
        with profiled("send"):
            await pilot.press("y")
            await until(pilot, lambda: app.session.in_flight is None and len(staging) == 0, "the batch answer")
        out["send_100k_total_s"] = time.perf_counter() - t
        timer.stop()
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
    results["queue_vs_datatable"] = results["queue_100k_loaded_s"] / results["datatable_100k_first_paint_s"]
    print(f"{'measure':<30} {'value':>10}")
    for key, value in results.items():
        print(f"{key:<30} {value:>10.3f}")
    print(json.dumps({k: round(v, 3) for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
