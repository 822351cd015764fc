"""Each ``--demo`` run starts from a fresh store, as its embedded sandbox does, and two
demos at once never touch each other's store (issue #9, item 9).

The demo is built as ``ccnow-tui --demo`` builds it (``build_app``), run headless against
its real embedded sandbox, and closed the way ``run_tui`` closes it (``close_demo``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tui.helpers import SIZE, started  # tests/tui/helpers.py

from ccnow_tui.protocol import StagedAction
from ccnow_tui.storage.paths import data_dir
from ccnow_tui.storage.store import STORE_NAME, Store
from ccnow_tui.tui import launch
from ccnow_tui.tui.app import build_app


def cli_args(**given) -> argparse.Namespace:
    """The command line's namespace for ``ccnow-tui --demo`` (as tests/tui/test_startup.py builds it)."""
    base = dict(demo=False, fault=[], profile=None, url=None, client_id=None, store_id=None, timeout=None, refresh=None)
    return argparse.Namespace(**{**base, **given})


def runs_root():
    return data_dir() / launch.DEMO_RUNS


async def stage_one(app) -> StagedAction:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("s")
        assert len(app.session.staging.entries) == 1
        return app.session.staging.entries[0]


async def staged_at_start(app) -> tuple:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        return app.session.staging.entries


async def test_each_demo_run_starts_from_a_fresh_store(isolated_dirs):
    first, server = build_app(cli_args(demo=True))
    try:
        first_dir = first.settings.store_dir
        assert first.settings.profile == "demo" and first_dir.name == "demo"
        await stage_one(first)
        assert (first_dir / STORE_NAME).exists()
    finally:
        launch.close_demo(first, server)
    assert not first_dir.exists() and not first_dir.parent.exists()  # gone with its sandbox

    second, server = build_app(cli_args(demo=True))
    try:
        assert second.settings.store_dir != first_dir
        assert await staged_at_start(second) == ()
    finally:
        launch.close_demo(second, server)
    assert list(runs_root().iterdir()) == []
    # The demo never used (nor touched) the profile directory a real "demo" profile would.
    assert not (data_dir() / "profiles" / "demo" / STORE_NAME).exists()


async def test_two_demos_at_once_keep_their_own_work(isolated_dirs):
    first, first_server = build_app(cli_args(demo=True))
    second = second_server = None
    try:
        staged = await stage_one(first)  # its window still open: the run is not closed
        second, second_server = build_app(cli_args(demo=True))
        assert await staged_at_start(second) == ()
        launch.close_demo(second, second_server)
        second = None
        # The first demo's store is untouched by the second starting and ending.
        with Store.open(first.settings.store_dir / STORE_NAME) as store:
            assert [e.action for e in store.snapshot().staged] == [staged]
    finally:
        launch.close_demo(first, first_server)
        if second is not None:
            launch.close_demo(second, second_server)


HOLD_A_RUN = textwrap.dedent("""
    import sys
    from ccnow_tui.tui.launch import DemoRun
    run = DemoRun.start()
    (run.store_dir / "work").write_text("another demo's")
    print(run.store_dir, flush=True)
    sys.stdin.read()  # until the test lets go
    run.end()
""")


async def test_a_demo_in_another_process_is_left_alone_and_a_dead_ones_store_is_removed(isolated_dirs):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_RUN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )  # the same (isolated) data directory
    try:
        other = holder.stdout.readline().strip()
        assert other, "the other demo did not start"
        # A run that died without cleaning up: its lock file is there but let go, and a
        # folder whose lock is gone altogether.
        root = runs_root()
        (root / "deadbeef" / "demo").mkdir(parents=True)
        (root / "deadbeef.lock").write_text("12345\n")
        (root / "orphan" / "demo").mkdir(parents=True)

        app, server = build_app(cli_args(demo=True))
        try:
            assert await staged_at_start(app) == ()
            assert not (root / "deadbeef").exists() and not (root / "deadbeef.lock").exists()
            assert not (root / "orphan").exists()
            assert (Path(other) / "work").read_text() == "another demo's"  # alive: untouched
        finally:
            launch.close_demo(app, server)
    finally:
        holder.communicate("", timeout=30)
    assert holder.returncode == 0 and list(runs_root().iterdir()) == []


def test_run_tui_says_a_demos_work_is_not_kept(isolated_dirs, capsys):
    """``run_tui`` ends the run after the app: the usual "kept ... restored next time" is
    not said of a demo."""

    class StagedThenQuit:
        def __init__(self, settings, **_kwargs) -> None:
            self.settings = settings
            self.exit_message = "Kept in somewhere: 1 staged entry. It is restored next time."

        def run(self, **_kwargs) -> int:  # loop=: run_tui passes the client's LookupLoop
            assert (self.settings.store_dir).is_dir()
            return 0

    assert launch.run_tui(cli_args(demo=True), StagedThenQuit) == 0
    err = capsys.readouterr().err
    assert "restored next time" not in err and "the next --demo starts afresh" in err
    assert list(runs_root().iterdir()) == []
