"""`submit` and `reconcile`: what moves money and goods, and what settles it afterwards.

submit: every row checked, the plan shown, the operator's yes (or --yes, or the count
a large batch needs), the batch claimed in the store before a byte is sent, the
answer recorded. reconcile: the orders of batches of unknown outcome queried and what
evidently happened recorded; nothing sent but queries.
"""

from __future__ import annotations

import sys

from ...words import counted
from ..csv_input import read_submit_file
from ..output import (
    EXIT_NOT_CONFIRMED,
    EXIT_OK,
    EXIT_UNKNOWN,
    EXIT_UNSETTLED,
    Printer,
    UsageError,
    drive,
    err,
    json_line,
    shown,
)
from ..prompts import ask_on_terminal, confirm_submit
from .profile import connection_settings, open_client, open_store

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from decimal import Decimal
    from typing import Any

    from ...domain.answers import ReceiverAnswer
    from ...protocol.batch import Batch


def describe_plan(
    batch: Batch, host: str, client_id: str, unverified: Sequence[Any] = (), max_discount: Decimal | None = None
) -> str:
    counts = batch.counts()
    lines = [
        f"About to send {counted(len(batch), 'entry', 'entries')} for "
        f"{counted(len(batch.order_ids), 'order', 'orders')} to {host} as {client_id}: "
        + ", ".join(f"{k.value} {v}" for k, v in sorted(counts.items())),
    ]
    for n, e in batch.numbered():
        lines.append(f"  {n:>4}. {e.describe()}")
    from ...protocol.batch import discount_lint, tracking_lint

    findings = [*batch.lint(), *tracking_lint(batch.staged)]
    findings += discount_lint(batch.staged, max_discount) if max_discount is not None else []
    for lint in findings:
        lines.append(f"  {lint.severity.value}: {lint.message}")
    for e in unverified:  # every one, by name: each may already have been applied
        lines.append(
            f"  unverified (not in this batch, may already have been applied): {e.action.describe()} "
            f"(batch {e.batch_id}); re-stage or forget it in the TUI composer"
        )
    return "\n".join(lines)


def _secret_in_fields(batch: Batch) -> list[str]:
    """Entries whose consumer-facing text contains the API password (known only now)."""
    from ...protocol.actions import TEXT_FIELDS
    from ...protocol.redact import redact

    out = []
    for n, e in batch.numbered():
        for name in TEXT_FIELDS:
            value = getattr(e, name)
            if value and redact(value) != value:
                out.append(
                    f"entry {n} ({e.kind.value} {e.order_id}): {name} contains the API password; "
                    "it would be sent to the consumer"
                )
    return out


def cmd_submit(args: argparse.Namespace) -> int:
    from ...client import run_network
    from ...domain.staging import Claim, ClaimConflict, judge_answer
    from ...protocol.redact import safe_text
    from ...storage.store import BatchMeta, StoreError

    # The settings first: a password from a variable or a command is known (and masked)
    # before any row is checked, so no message about a row can show it.
    settings = connection_settings(args)
    batch = read_submit_file(args.file, refuse_repeats=not args.allow_repeats)
    client = open_client(args, settings)
    leaks = _secret_in_fields(batch)
    if leaks:
        raise UsageError("\n".join(leaks))
    store = open_store(client.profile)
    try:
        blocked = store.blocked([str(o) for o in batch.order_ids])
        if blocked:
            raise UsageError("nothing sent: " + "; ".join(blocked))
        unverified = store.snapshot().unverified
        print(
            safe_text(
                describe_plan(batch, client.address, client.credentials.client_id, unverified, settings.max_discount),
                newlines=True,
            ),
            file=sys.stderr,
            flush=True,
        )
        # Asked before the event loop runs: ctrl-c at the question interrupts at once.
        if not confirm_submit(batch, args, settings):
            return EXIT_NOT_CONFIRMED
        credentials = client.credentials
        meta = BatchMeta(client.url, client.address, credentials.client_id, credentials.store_id or "", client.profile)
        numbered = [(n, None, 0, e) for n, e in batch.numbered()]
        try:
            batch_id = store.claim(numbered, meta)  # recorded before a byte is sent
        except (ClaimConflict, StoreError) as exc:
            raise UsageError(str(exc)) from None
        claim = Claim(batch_id, batch, store.entry_ids(batch_id))

        async def send() -> ReceiverAnswer:
            async with client:
                return await drive(client.submit(batch, batch_id=batch_id), Printer(args.json, sys.stdout))

        try:
            answer = run_network(send())
        except BaseException:  # Ctrl-C, or a bug: the answer is lost, the batch is unknown
            store.mark_unknown(batch_id, "interrupted while the batch was in flight")
            raise
        settled, other, report = judge_answer(claim, answer)
        try:
            store.settle(batch_id, settled, outcome=answer.outcome.value, message=answer.message, other_lines=other)
        except Exception as exc:  # locked past the busy timeout, disk full, damaged: the batch went out
            return _not_recorded(store, batch_id, exc)
        if report.unknown:
            err(
                f"batch {batch_id}: {counted(len(report.unknown), 'entry', 'entries')} "
                "of OUTCOME UNKNOWN, kept and never re-sent. `ccnow-tui reconcile` (or R in the TUI "
                "composer) queries these orders and records what took effect; `ccnow-tui query ORDER...` "
                "shows one order."
            )
        return answer.exit_code
    finally:
        store.close()


def _not_recorded(store: Any, batch_id: str, exc: Exception) -> int:
    """The batch was sent but the answer could not be recorded: it stays held as of
    unknown outcome (marked so if the store lets us; else the next start finds it in
    flight from a process that is gone and marks it so), and is never re-sent. Exit 4."""
    why = shown(str(exc) or type(exc).__name__, 300, cut=True)
    if "locked" not in why and "busy" not in why:  # a lock would hold this as long again
        try:
            store.mark_unknown(batch_id, f"sent, but the answer could not be recorded ({why})")
        except Exception:  # the store still cannot be written: the next start marks it unknown
            pass
    err(
        f"batch {batch_id} WAS SENT, but its outcome could not be recorded in the store {store.path} ({why}). "
        "The receiver's answer is shown above; the batch is kept as OUTCOME UNKNOWN and never re-sent. Once the "
        "store can be written again, `ccnow-tui reconcile` (or R in the TUI composer) queries its orders and "
        "records what took effect."
    )
    return EXIT_UNKNOWN


def cmd_reconcile(args: argparse.Namespace) -> int:
    """What R does in the composer: query the orders of unknown batches, record what happened."""
    from ...client import run_network
    from ...domain.answers import ReceiverAnswer
    from ...domain.staging import judge_reconciliation
    from ...protocol.orderid import OrderId as _OrderId
    from ...protocol.outcome import Outcome
    from ...storage.store import BatchState, Judged, Verdict

    client = open_client(args)
    store = open_store(client.profile)
    try:
        unknown = [b for b in store.snapshot().held if b.state is BatchState.UNKNOWN]
        if not unknown:
            err("no batch with an unknown outcome: nothing to reconcile")
            return EXIT_OK
        orders = list(dict.fromkeys(e.order_id for b in unknown for e in b.entries))

        async def query() -> ReceiverAnswer:
            async with client:
                answer: ReceiverAnswer | None = None
                async for ev in client.query(orders):
                    if isinstance(ev, ReceiverAnswer):
                        answer = ev
                assert answer is not None
                return answer

        answer = run_network(query())
        if answer.outcome is not Outcome.OK:
            err(f"the query failed ({shown(answer.message)}); every batch stays unknown, nothing re-sent")
            return answer.exit_code if answer.exit_code else EXIT_UNKNOWN
        statuses = answer.statuses()
        plans = []
        for b in unknown:
            missing = [e.order_id for e in b.entries if _OrderId(e.order_id) not in statuses]
            if missing:
                err(f"batch {shown(b.batch_id)}: no status for {', '.join(sorted(set(missing)))}; it stays unknown")
                continue
            plans.append((b, judge_reconciliation(b.entries, statuses)))
        out = sys.stdout
        for b, judged in plans:
            for e, verdict, status, why in judged:
                if args.json:
                    out.write(
                        json_line(
                            {
                                "batch_id": b.batch_id,
                                "order_id": str(e.order_id),
                                "action": e.action.kind.value,
                                "verdict": verdict.value,
                                "status": status,
                                "why": why,
                            }
                        )
                        + "\n"
                    )
                else:
                    out.write(shown(f"{e.order_id} {e.action.kind.value} {verdict.value} ({status}): {why}") + "\n")
        out.flush()
        if not plans:
            return EXIT_UNKNOWN
        if not args.yes:
            confirmed = ask_on_terminal("Record this? [y/N] ")
            if confirmed is None:
                raise UsageError("refusing to record without --yes: there is no terminal to ask for confirmation")
            if not confirmed:
                err("not confirmed: nothing recorded, the batches stay unknown")
                return EXIT_NOT_CONFIRMED
        for b, judged in plans:
            counts = {v: sum(1 for _, x, _, _ in judged if x is v) for v in Verdict}
            summary = ", ".join(f"{n} {v.value}" for v, n in counts.items())
            if store.reconcile(
                b.batch_id,
                [Judged(e.id, v, s, w) for e, v, s, w in judged],
                summary=summary,
                answer_lines=answer.raw_lines,
            ):
                err(f"reconciled {shown(b.batch_id)}: {summary}")
            else:
                err(f"batch {shown(b.batch_id)} was settled meanwhile by another process; left as it is")
        unverified = sum(1 for _, j in plans for _, v, _, _ in j if v is Verdict.UNVERIFIED)
        stuck = sum(1 for _, j in plans for _, v, _, _ in j if v is Verdict.NOT_RESTAGED)
        if unverified:
            err(
                f"{counted(unverified, 'entry is', 'entries are')} unverified: a status cannot show "
                "whether a discount or tracking took effect; check, then re-stage or forget them in the TUI"
            )
        if stuck:
            err(
                f"{counted(stuck, 'entry was', 'entries were')} not re-staged: the order moved on and it cannot "
                "be applied any more; see the lines above"
            )
        if len(plans) < len(unknown):
            return EXIT_UNKNOWN
        return EXIT_UNSETTLED if unverified or stuck else EXIT_OK
    finally:
        store.close()


COMMANDS = {"submit": cmd_submit, "reconcile": cmd_reconcile}
