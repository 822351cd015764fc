"""Start-up and shut-down: no configuration, the password prompt, the staged entries
restored after a crash, a damaged store, quitting with entries staged, the demo, NO_COLOR."""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import replace

from ccnow_tui.domain.staging import StagingArea
from ccnow_tui.protocol import StagedAction
from ccnow_tui.sandbox.faults import parse_fault
from ccnow_tui.storage.paths import profile_dir
from ccnow_tui.storage.store import STORE_NAME, Store
from ccnow_tui.tui.app import CcnowApp, build_app
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.confirm import ConfirmScreen
from ccnow_tui.tui.screens.queue import QueueScreen
from ccnow_tui.tui.screens.setup import PasswordScreen, SetupScreen
from ccnow_tui.tui.widgets.order_table import OrderTable

from .helpers import PASSWORD, SIZE, actions, answer_yes, log_text, screen_text, settle, started, stored, wait_until


def cli_args(**given) -> argparse.Namespace:
    base = dict(demo=False, fault=[], profile=None, url=None, client_id=None, store_id=None, timeout=None)
    return argparse.Namespace(**{**base, **given})


async def test_no_configuration_explains_how_to_configure(isolated_dirs):
    app, server = build_app(cli_args())
    assert server is None
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        text = screen_text(app)
        assert "not set up yet" in text and "config.toml" in text and "--demo" in text
        await pilot.press("escape")  # the first-run form: q would be typed into its field
    assert app.return_code == 0


async def test_missing_password_is_asked_for_masked(settings, sandbox):
    app = CcnowApp(replace(settings, password=None))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PasswordScreen)
        await pilot.press("enter")
        assert "password is required" in screen_text(app)
        await pilot.press(*PASSWORD)
        assert PASSWORD not in screen_text(app)  # Input(password=True) shows dots
        await pilot.press("enter")
        await started(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.session.book.rows == sandbox.book.pending()  # the typed password worked


async def test_a_typed_password_the_receiver_refuses_is_asked_for_again(settings, sandbox):
    app = CcnowApp(replace(settings, password=None))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"wrong-one", "enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PasswordScreen) and app.session is not None,
            "the password prompt again",
        )
        assert "refused it: invalid login" in screen_text(app)
        await pilot.press(*PASSWORD, "enter")
        await wait_until(pilot, lambda: app.session.book.rows == sandbox.book.pending(), "the pending list")
        assert isinstance(app.screen, QueueScreen)
        assert PASSWORD not in screen_text(app) and "wrong-one" not in screen_text(app)


async def test_wrong_password_is_the_receivers_refusal_not_a_crash(settings, sandbox):
    from ccnow_tui.protocol.redact import Secret

    app = CcnowApp(replace(settings, password=Secret("not-the-password")))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert "refused: pending list: invalid login" in log_text(app)
        assert app.session.book.refresh_note == "invalid login"


async def test_draft_is_restored_after_a_crash(make_app, sandbox):
    a, b = sandbox.book.pending()[:2]
    # A previous session staged two entries and died without a word.
    with Store.for_profile("test") as store:
        StagingArea(store).add([StagedAction.make(a, "ship"), StagedAction.make(b, "cancel")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert app.session.staging.entries == (StagedAction.make(a, "ship"), StagedAction.make(b, "cancel"))
        assert "restored from " in log_text(app) and ": 2 staged entries" in log_text(app)
        await pilot.press("b")
        assert isinstance(app.screen, ComposerScreen)
        text = screen_text(app)
        assert f"{a}" in text and "cancel" in text


async def test_a_damaged_store_stops_the_session_with_its_path_and_keeps_the_file(make_app, sandbox):
    # Never moved aside and started afresh: that would hide its unknown batches.
    path = profile_dir("test") / STORE_NAME
    path.write_bytes(b"this is not a database" * 100)
    before = sandbox.requests_seen
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, SetupScreen) and "cannot be used" in screen_text(app),
            "the explanation",
        )
        assert str(path) in app.screen.message  # the path may wrap on screen
        assert "left exactly as it is" in " ".join(screen_text(app).split())
        assert app.session is None
    assert path.read_bytes() == b"this is not a database" * 100
    assert sandbox.requests_seen == before


async def test_quitting_with_a_draft_says_it_is_kept(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("s", "q")
    assert "Kept in " in app.exit_message and ": 1 staged entry. It is restored next time." in app.exit_message
    assert app.session.client._http.is_closed  # the session's one client was closed on exit
    assert actions(stored().staged) == [StagedAction.make(sandbox.book.pending()[0], "ship")]


async def test_quitting_with_a_batch_in_flight_keeps_it_unknown(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("s")
        sandbox.set_faults([parse_fault("slow=2")])
        await pilot.press("S")
        await answer_yes(pilot)
        await wait_until(pilot, lambda: app.session.in_flight is not None, "the batch to leave")
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen) and "in flight" in screen_text(app)
        await answer_yes(pilot)
    held = stored()
    assert held.staged == [] and len(held.held) == 1 and held.held[0].state == "unknown"
    assert "1 batch with unknown outcome" in app.exit_message


async def test_demo_runs_the_embedded_sandbox_with_faults(isolated_dirs):
    app, server = build_app(cli_args(demo=True, fault=["maintenance"]))
    try:
        assert app.settings.profile == "demo" and server.url.startswith("http://127.0.0.1:")
        assert [str(f) for f in server.faults] == ["maintenance"]
        async with app.run_test(size=SIZE) as pilot:
            await started(pilot)
            assert "system down for maintenance" in log_text(app)
            assert app.session.store.path.parent.name == "demo"
            server.server.set_faults([])
            await pilot.press("r")
            await settle(pilot)
            assert app.session.book.pending_count == len(server.server.book.pending()) > 0
    finally:
        server.stop()


async def test_the_demo_sandbox_serves_only_once_the_queue_is_drawn(isolated_dirs):
    """Its socket is bound when the app is built (the session knows the URL); its server
    and order book are made after the queue's first frame, so they never delay it."""
    app, server = build_app(cli_args(demo=True))
    seen_at_start: list[tuple[str, int]] = []
    start = app.after_first_frame

    def start_and_note() -> None:
        table = app.screen.query(OrderTable)
        seen_at_start.append((type(app.screen).__name__, table.first().size.height if table else 0))
        start()

    app.after_first_frame = start_and_note
    try:
        assert server.server is None and app.settings.url == server.url
        async with app.run_test(size=SIZE) as pilot:
            await started(pilot)
            assert seen_at_start and seen_at_start[0][0] == "QueueScreen" and seen_at_start[0][1] > 0
            assert app.session.book.pending_count == len(server.server.book.pending()) > 0
    finally:
        server.stop()


async def test_a_demo_sandbox_that_cannot_start_is_said_in_the_log(isolated_dirs):
    app, server = build_app(cli_args(demo=True))
    server.listener.close()  # the socket it would serve is gone
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: "could not start" in log_text(app), "the log to say it")
            assert "the demo's sandbox receiver could not start" in log_text(app)
            assert "Traceback" not in screen_text(app)
    finally:
        server.stop()


async def test_a_demo_sandbox_that_fails_to_start_refuses_the_first_list_at_once(isolated_dirs, monkeypatch):
    """Its socket bound, its server not made: the socket is closed, so the list the queue
    asked for is refused now (said in the log) rather than left waiting to time out."""
    from ccnow_tui.sandbox import server as server_module

    def no_book(**_):
        raise RuntimeError("no order book")

    monkeypatch.setattr(server_module, "SandboxBook", no_book)
    app, server = build_app(cli_args(demo=True, timeout=600.0))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: "could not start" in log_text(app), "the log to say it")
            assert "no order book" in log_text(app) and server.listener.fileno() == -1
            ended = "error: pending list: "
            await wait_until(pilot, lambda: ended in log_text(app), "the list to end (not a 600 s timeout)")
            assert "refused the connection" in log_text(app).split(ended)[1]
    finally:
        server.stop()


def test_building_the_demo_loads_no_sandbox_server():
    """Parsing ``--demo --fault`` and binding the socket load only the sandbox's light modules."""
    code = (
        "import sys, tempfile, os;"
        "os.environ['XDG_DATA_HOME'] = os.environ['XDG_CONFIG_HOME'] = tempfile.mkdtemp();"
        "from ccnow_tui.cli.parsing import build_parser, merge_options;"
        "from ccnow_tui.tui import launch;"
        "from ccnow_tui.tui.app import CcnowApp;"
        "parser = build_parser(sandbox_arguments=False);"
        "args = parser.parse_args(['--demo', '--fault', 'html']);"
        "merge_options(parser, args);"
        "app, server = launch.build_app(args, CcnowApp);"
        "assert server is not None and server.server is None;"
        "print(sorted(m for m in sys.modules if m.startswith('ccnow_tui.sandbox')));"
        "launch.close_demo(app, server)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "['ccnow_tui.sandbox', 'ccnow_tui.sandbox.address', 'ccnow_tui.sandbox.faults']"


async def test_demo_with_a_fault_on_updates_loads_the_queue_and_loses_the_batch_answer(isolated_dirs):
    app, server = build_app(cli_args(demo=True, fault=["drop-after-apply@updates"]))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await started(pilot)
            book = server.server.book
            assert app.session.book.pending_count == len(book.pending()) > 0
            first = app.session.book.rows[0]
            await pilot.press("s", "S")
            await answer_yes(pilot)
            await settle(pilot)
            assert book.status(first) == "mark_shipped"  # applied, answer dropped
            assert [actions(b.entries) for b in app.session.staging.unknown_batches] == [
                [StagedAction.make(first, "ship")]
            ]
            assert "1 UNKNOWN" in screen_text(app)
    finally:
        server.stop()


async def test_no_color_is_honoured(make_app, sandbox, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert app.no_color
        # Outcomes carry words, not only colours.
        done = sandbox.book.with_status("completed")[0]
        app.session.staging.add([StagedAction.make(done, "ship")])
        await pilot.press("S")
        await answer_yes(pilot)
        await settle(pilot)
        assert "✖ refused" in screen_text(app)


async def test_the_theme_picked_is_kept_for_next_time(make_app, isolated_dirs):
    from ccnow_tui.storage.prefs import prefs_path

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert app.theme != "nord"
        app.theme = "nord"  # what the palette's "Change theme" does
        await pilot.pause()
    assert prefs_path().stat().st_mode & 0o777 == 0o600
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert again.theme == "nord"
    # A damaged preferences file is ignored, not fatal.
    prefs_path().write_text("{not json")
    third = make_app()
    async with third.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert third.theme != "nord" and isinstance(third.screen, QueueScreen)


def test_the_first_log_line_says_where_the_settings_came_from(isolated_dirs, monkeypatch):
    monkeypatch.setenv("CCNOW_URL", "https://receiver.example/cgi")
    monkeypatch.setenv("CCNOW_CLIENT_ID", "C1")
    app, server = build_app(cli_args(timeout=12.0))
    assert server is None
    assert app.notice == "settings: environment; options: --timeout"
