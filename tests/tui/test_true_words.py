"""Words that say what happened (issue 14 §3): "not sent" is never "refused", a status that
cannot prove an adjust or a track says "unverified", library errors in the operator's
words, and a screen that shows a request is alive."""

from __future__ import annotations

from ccnow_tui.protocol import StagedAction

from .helpers import SIZE, answer_yes, log_text, screen_text, settle, started, stored, toasts


def refused_words(text: str) -> bool:
    """ "refused" said of an entry or a batch ("refused the connection" is a reason, not that)."""
    return "refused" in text.replace("refused the connection", "")


async def test_a_batch_that_never_reached_the_receiver_is_not_sent_never_refused(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        await pilot.press("s")
        sandbox.stop()  # nothing listens on the port any more: the connection is refused
        await pilot.press("S")
        await answer_yes(pilot)
        await settle(pilot)
        staging = app.session.staging
        # Staged again, marked as never sent, with the reason; nothing held.
        assert staging.entries == (StagedAction.make(a, "ship"),) and not staging.held
        remark = staging.remark_at(0)
        assert remark.startswith("not sent: ") and "refused the connection" in remark and not refused_words(remark)
        [entry] = stored().staged
        assert entry.remark == remark
        log = log_text(app)
        assert "batch not sent" in log and "marked not sent" in log
        assert not [line for line in app.log_buffer.lines if line.kind.value == "refused"]
        assert "refused entr" not in log and "All connection attempts failed" not in log and "Errno" not in log
        # The queue's row says what happened to the ship: not sent.
        row = next(line for line in screen_text(app).splitlines() if str(a) in line)
        assert "not sent" in row and not refused_words(row), row
        # The composer says it too, and never "receiver said".
        await pilot.press("b")
        text = screen_text(app)
        assert "not sent" in text and "receiver said" not in text
        # History: the batch and its entry are "not sent".
        await pilot.press("h")
        await settle(pilot)
        text = screen_text(app)
        assert "not sent" in text and "unreachable" not in text and not refused_words(text)
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "ship: not sent" in text and not refused_words(text)


async def test_after_reconcile_an_adjust_or_track_a_status_cannot_prove_is_unverified_never_refused(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        pending = sandbox.book.pending()[0]
        done = sandbox.book.with_status("completed")[0]
        staging = app.session.staging
        staging.add(
            [
                StagedAction.make(pending, "adjust", amount="2.50"),
                StagedAction.make(done, "adjust", amount="3"),
                StagedAction.make(done, "track", trackname="UPS", tracknumber="1Z9"),
            ]
        )
        # A batch whose answer was lost (claimed, then kept unknown): R reconciles it.
        claim = staging.claim(staging.batch(), app.session.batch_meta())
        staging.mark_unknown(claim.batch_id, "test: the answer was lost")
        await pilot.press("b", "R")
        await settle(pilot)
        lines = [(line.kind.value, line.text) for line in app.log_buffer.lines]
        about = [
            (kind, text)
            for kind, text in lines
            if text.startswith((f"{pending} adjust", f"{done} adjust", f"{done} track"))
        ]
        assert len(about) == 3, lines
        assert all(kind == "unverified" and "unverified" in text for kind, text in about), about
        assert not [text for kind, text in lines if kind == "refused" or refused_words(text)]
        assert f"{done} adjust: unverified, not re-staged" in log_text(app)


def header_text(app) -> str:
    from ccnow_tui.tui.widgets.header import HeaderBar

    return str(app.screen.query_one(HeaderBar).render())


async def test_while_a_batch_is_out_the_header_shows_it_is_alive(make_app, sandbox):
    from ccnow_tui.sandbox.faults import parse_fault
    from ccnow_tui.tui.screens.confirm import ConfirmScreen

    from .helpers import wait_until

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("s")
        sandbox.set_faults([parse_fault("slow=3@updates")])
        await pilot.press("S")
        await answer_yes(pilot)
        await wait_until(
            pilot,
            lambda: app.session.in_flight is not None and not isinstance(app.screen, ConfirmScreen),
            "the batch to leave",
        )
        first = header_text(app)
        assert "sending 0/1…" in first
        # The same screen, nothing pressed: the spinner and the seconds move by themselves.
        await wait_until(
            pilot, lambda: app.session.in_flight is None or header_text(app) != first, "the header to move", tries=2000
        )
        assert app.session.in_flight is not None, "the batch was answered before the header moved"
        second = header_text(app)
        assert "sending 0/1…" in second and second != first
        await settle(pilot)


async def test_while_a_refresh_is_out_the_header_shows_it_is_alive(make_app, sandbox):
    from ccnow_tui.sandbox.faults import parse_fault

    from .helpers import wait_until

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        sandbox.set_faults([parse_fault("slow=3@reads")])
        await pilot.press("r")
        await wait_until(pilot, lambda: app.session.book.loading, "the refresh to start")
        first = header_text(app)
        assert "loading…" in first
        await wait_until(
            pilot, lambda: not app.session.book.loading or header_text(app) != first, "the header to move", tries=2000
        )
        assert app.session.book.loading, "the list came before the header moved"
        assert "loading…" in header_text(app)
        await settle(pilot)


async def test_incomplete_says_what_it_means_and_when_the_last_full_list_came(make_app, sandbox):
    from ccnow_tui.sandbox.faults import parse_fault
    from ccnow_tui.tui.model import clock

    app = make_app()
    async with app.run_test(size=(160, 30)) as pilot:
        await started(pilot)
        full = app.session.book.last_complete
        assert full is not None
        sandbox.set_faults([parse_fault("http500@reads")])
        await pilot.press("r")
        await settle(pilot)
        assert f"INCOMPLETE: refresh failed, last full list {clock(full)}" in header_text(app)


async def test_a_result_that_only_goes_to_the_log_is_also_a_toast_when_the_log_is_hidden(
    make_app, sandbox, tmp_path, monkeypatch
):
    from .helpers import wait_until

    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        a = app.session.book.rows[0]
        await pilot.press("C")  # the log is shown: the log line says it
        await pilot.pause()
        assert f"copied order number {a}" in log_text(app)
        assert not any("copied" in t for t in toasts(app))
        await pilot.press("l", "C")  # hidden: a toast says it too
        await wait_until(pilot, lambda: any(f"copied order number {a}" in t for t in toasts(app)), "the toast")
        # History's x: the file's path.
        await pilot.press("s")
        await pilot.press("S")
        await answer_yes(pilot)
        await settle(pilot)
        await pilot.press("h", "x")
        await wait_until(
            pilot, lambda: any("written to" in t and "ccnow-history-" in t for t in toasts(app)), "the export's toast"
        )


async def test_a_toast_about_an_unknown_batch_goes_when_it_is_reconciled(make_app, sandbox):
    from ccnow_tui.sandbox.faults import parse_fault

    from .helpers import wait_until

    app = make_app(timeout=1.0)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        await pilot.press("s")
        sandbox.set_faults([parse_fault("drop-after-apply:1@updates")])
        await pilot.press("S")
        await answer_yes(pilot)
        await settle(pilot)
        [unknown] = app.session.staging.unknown_batches
        await wait_until(pilot, lambda: any("OUTCOME UNKNOWN" in t for t in toasts(app)), "the toast")
        app.notify("something else entirely", timeout=60)
        await pilot.pause()
        await pilot.press("b", "R")
        await settle(pilot)
        assert not app.session.staging.unknown_batches, unknown.batch_id
        await wait_until(pilot, lambda: not any("OUTCOME UNKNOWN" in t for t in toasts(app)), "the toast to go")
        assert "something else entirely" in toasts(app)  # other toasts stay
