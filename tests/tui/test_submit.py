"""Sending: the confirmation, results streaming into the log, refusals with the receiver's
words, every sandbox fault reaching the UI as the right outcome, unknown batches kept and
never re-sent, and reconciliation."""

from __future__ import annotations

import pytest

from ccnow_tui.protocol import StagedAction
from ccnow_tui.sandbox.faults import parse_fault
from ccnow_tui.tui.messages import AnswerRecords, BatchProgress, RequestFinished, RequestKind
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.confirm import ConfirmScreen

from .helpers import SIZE, actions, answer_yes, log_text, screen_text, settle, started, stored, wait_until


async def send(pilot) -> None:
    await pilot.press("S")
    assert isinstance(pilot.app.screen, ConfirmScreen), "S must ask first"
    await answer_yes(pilot)
    await settle(pilot)


async def test_confirm_says_what_happens_and_only_y_sends(make_app, sandbox):
    seen_messages = []
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=seen_messages.append) as pilot:
        await started(pilot)
        a, b = sandbox.book.pending()[:2]
        await pilot.press("t", "U", "P", "S", "tab", "1", "Z", "enter")
        await pilot.press("space", "j", "space", "s")
        before = sandbox.requests_seen
        await pilot.press("S")
        assert isinstance(app.screen, ConfirmScreen)
        text = screen_text(app)
        host = sandbox.url.split("/")[2]
        assert "3 entries for 2 orders" in text and "ship    2" in text and "track   1" in text
        assert host in text and "shop" in text
        await pilot.press("n")
        assert sandbox.requests_seen == before and len(app.session.staging) == 3

        await send(pilot)
        assert sandbox.requests_seen == before + 1
        assert sandbox.book.status(a) == "mark_shipped" and sandbox.book.status(b) == "mark_shipped"
        assert sandbox.book.record(a).tracking[0].number == "1Z"
        # Applied entries left the store, on screen and on disk.
        assert app.session.staging.entries == ()
        assert stored().staged == [] and stored().held == []
        log = log_text(app)
        assert f"applied: {a} track+ship → mark_shipped" in log and f"applied: {b} ship → mark_shipped" in log
        assert "batch applied: 3 applied, 0 refused, 0 unknown" in log
        # Lines were logged as they were parsed: records before the final answer.
        kinds = [
            type(m)
            for m in seen_messages
            if isinstance(m, (AnswerRecords, RequestFinished)) and m.request.kind is RequestKind.SUBMIT
        ]
        assert kinds[0] is AnswerRecords and kinds[-1] is RequestFinished
        lines = [line.text for line in app.log_buffer.lines]
        assert lines.index(next(t for t in lines if t.startswith(f"{b} ship"))) < lines.index(
            next(t for t in lines if t.startswith("batch applied"))
        )
        progress = [m for m in seen_messages if isinstance(m, BatchProgress)]
        assert progress and (progress[-1].answered, progress[-1].total) == (2, 2)
        # The queue shows the new status; the journal event is there after the reload.
        await wait_until(pilot, lambda: a in app.session.book.events, "journal events")
        assert app.session.book.status[a] == "mark_shipped"


async def test_refusal_stays_staged_with_the_receivers_words(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        ok = sandbox.book.pending()[0]
        done = sandbox.book.with_status("completed")[0]
        app.session.staging.add([StagedAction.make(ok, "ship"), StagedAction.make(done, "ship")])
        await send(pilot)
        log = log_text(app)
        assert f"refused: {done} refused by the receiver: order_not_pending" in log
        assert "some entries refused" in log
        assert app.session.staging.entries == (StagedAction.make(done, "ship"),)
        await pilot.press("b")
        assert "order_not_pending" in screen_text(app)


async def test_ui_stays_responsive_while_a_batch_is_in_flight(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a, b = sandbox.book.pending()[:2]
        await pilot.press("s")
        sandbox.set_faults([parse_fault("slow=1")])
        await pilot.press("S")
        await answer_yes(pilot)
        await wait_until(pilot, lambda: app.session.in_flight is not None, "the batch to leave")
        assert "sending 0/1" in screen_text(app)
        await pilot.press("down", "s")  # staging still works meanwhile
        await pilot.press("S")  # but a second batch is refused while one is in flight
        assert not isinstance(app.screen, ConfirmScreen)
        await settle(pilot)
        assert app.session.in_flight is None
        assert app.session.staging.entries == (StagedAction.make(b, "ship"),)
        assert sandbox.book.status(a) == "mark_shipped"


async def test_a_protocol_refusal_keeps_everything_staged(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        await pilot.press("s")
        sandbox.set_faults([parse_fault("maintenance")])
        await send(pilot)
        log = log_text(app)
        assert "refused: batch refused, nothing applied" in log and "system down for maintenance" in log
        assert app.session.staging.entries == (StagedAction.make(a, "ship"),)
        assert not app.session.staging.unknown_batches
        assert sandbox.book.status(a) == "pending"


NOT_PROTOCOL = {"http500": "HTTP 500", "html": "HTML"}


@pytest.mark.parametrize("fault", sorted(NOT_PROTOCOL))
async def test_an_answer_that_is_not_the_protocol_is_unknown_never_nothing_applied(make_app, sandbox, fault):
    # A CGI script that dies half-way through a batch answers like this: only reconciling
    # can tell what happened. Here the receiver applied nothing, so R stages it again.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        await pilot.press("s")
        sandbox.set_faults([parse_fault(fault)])
        await send(pilot)
        sandbox.set_faults([])
        log = log_text(app)
        assert "unknown: batch OUTCOME UNKNOWN" in log and NOT_PROTOCOL[fault] in log
        staging = app.session.staging
        assert staging.entries == () and actions(staging.unknown_batches[0].entries) == [StagedAction.make(a, "ship")]
        await pilot.press("b", "R")
        await settle(pilot)
        assert staging.entries == (StagedAction.make(a, "ship"),) and not staging.held
        assert sandbox.book.status(a) == "pending"


UNKNOWN = ["slow=3", "drop-after-apply", "truncate"]


@pytest.mark.parametrize("fault", UNKNOWN)
async def test_lost_answers_are_unknown_kept_and_never_resent(make_app, sandbox, fault):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        # Short for the batch's answer, once the list is in: --timeout bounds a whole read,
        # retries included, and a busy machine may take longer for the first list.
        app.session.client.timeout = 0.5
        a, b = sandbox.book.pending()[:2]
        await pilot.press("space", "j", "space", "s")
        sandbox.set_faults([parse_fault(fault)])
        await send(pilot)
        sandbox.set_faults([])
        log = log_text(app)
        assert "unknown: batch OUTCOME UNKNOWN" in log and "kept as unknown batch" in log
        staging = app.session.staging
        [unknown] = staging.unknown_batches
        if fault == "truncate":  # the first line made it: that entry is applied, the other unknown
            assert f"applied: {a} ship → mark_shipped" in log
            assert actions(unknown.entries) == [StagedAction.make(b, "ship")]
        else:
            assert actions(unknown.entries) == [StagedAction.make(a, "ship"), StagedAction.make(b, "ship")]
        assert staging.entries == ()
        assert stored().held[0].batch_id == unknown.batch_id
        # Shown as such in the composer; S has nothing to send; nothing goes out by itself.
        seen = sandbox.requests_seen
        row = next(line for line in screen_text(app).splitlines() if str(b) in line)
        assert "UNKNOWN" in row  # on the queue row too, not only in the composer
        await pilot.press("b")
        assert "OUTCOME UNKNOWN" in screen_text(app)
        await pilot.press("S")
        assert not isinstance(app.screen, ConfirmScreen)
        await settle(pilot)
        assert sandbox.requests_seen == seen
        # Reconcile: one query; the sandbox did apply both, so nothing is re-staged.
        await pilot.press("R")
        await settle(pilot)
        assert sandbox.requests_seen == seen + 1
        assert not staging.unknown_batches and staging.entries == ()
        assert "took effect (now mark_shipped)" in log_text(app)
        assert isinstance(app.screen, ComposerScreen)


async def test_reconcile_restages_what_did_not_happen(make_app, sandbox):
    """An unknown batch whose orders are still pending comes back to staging, marked."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        app.session.staging.add([StagedAction.make(a, "ship")])
        # Quit-while-in-flight path: the batch is claimed, then kept unknown without being sent.
        staging = app.session.staging
        claim = staging.claim(staging.batch(), app.session.batch_meta())
        staging.mark_unknown(claim.batch_id, "test: never sent")
        await pilot.press("b", "R")
        await settle(pilot)
        assert app.session.staging.entries == (StagedAction.make(a, "ship"),)
        assert "did not happen" in app.session.staging.remark_at(0)
        assert "re-staged" in log_text(app)
        history = list(app.session.store.journal())
        assert history[-1]["event"] == "reconciled" and history[-1]["outcome"] == "reconciled"


@pytest.mark.parametrize("faults", ["first-error", "first-error,per-entry-reversed", "late-error", "pending-list"])
async def test_an_answer_that_cannot_prove_a_discount_never_stages_it_again(make_app, sandbox, faults):
    # A receiver that gave the discount and then refused the tracking (or answered with a
    # late error, or its pending list): nothing may say "refused" and offer the adjust again.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        adjust = StagedAction.make(a, "adjust", amount="5.00")
        track = StagedAction.make(a, "track", trackname="UPS", tracknumber="1Z999AA1")
        app.session.staging.add([adjust, track])
        sandbox.set_faults([parse_fault(f) for f in faults.split(",")])
        await send(pilot)
        sandbox.set_faults([])
        given = [k for _, k, _ in sandbox.book.applied()]
        assert given == {"pending-list": [], "late-error": ["adjust", "track"]}.get(faults, ["adjust"])
        log = log_text(app)
        assert "unknown: batch OUTCOME UNKNOWN" in log
        assert not [line for line in log.splitlines() if line.startswith("refused")]  # no line says refused
        if faults == "first-error":  # the order's error line, logged as it came, says it once
            assert f"unknown: {a} adjust+track unknown: receiver said:" in log and f"{a} adjust: " not in log
        staging = app.session.staging
        [unknown] = staging.unknown_batches
        assert actions(unknown.entries) == [adjust, track] and staging.entries == ()
        seen = sandbox.requests_seen
        await pilot.press("b", "S")
        assert not isinstance(app.screen, ConfirmScreen)  # nothing to send
        await pilot.press("R")
        await settle(pilot)
        assert sandbox.requests_seen == seen + 1  # one query, nothing re-sent
        assert staging.entries == () and {e.action for e in staging.unverified} == {adjust, track}
        assert "unverified" in log_text(app)
        assert [k for _, k, _ in sandbox.book.applied()] == given
