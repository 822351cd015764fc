"""What a command says and how it ends: its exit codes, the usage error, and every line
it prints (stdout records and stderr messages), masked and escaped on the way out.

The receiver's words and the store's may echo anything, the password and terminal
controls included: they leave through shown(), err() or json_line() (or, for text of
several lines, the protocol's safe_text() that all three use), never printed raw.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up
if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from typing import Any, TextIO

    from ..client import ClientEvent
    from ..domain.answers import ReceiverAnswer
    from ..protocol.orderid import OrderId

# 1 (some entries refused), 3 (refused, not sent) and 4 (unknown) are Outcome.exit_code's
# (EXIT_UNKNOWN is Outcome.UNKNOWN.exit_code, written out so as not to load the protocol
# for --help; tests/test_startup_imports.py checks the two agree).
EXIT_OK, EXIT_USAGE, EXIT_UNKNOWN = 0, 2, 4
EXIT_NOT_CONFIRMED = 5  # the operator answered no (or nothing): nothing sent, nothing recorded
EXIT_UNSETTLED = 6  # reconcile recorded, but entries are unverified or cannot be re-staged: a person must look
EXIT_INTERNAL = 70


class UsageError(Exception):
    """Bad input from the user: exit 2, nothing sent."""


def shown(text: object, limit: int | None = None, *, cut: bool = False) -> str:
    """Text from the network or the store, as it may be printed: secrets masked (before
    any cutting), then control characters escaped, on one line. Every such text goes
    through here (or through err(), which does the same) on its way out."""
    from ..protocol.redact import safe_text

    return safe_text(text, limit, cut=cut)


def err(msg: str) -> None:
    """A message on stderr. Masked and escaped like shown(); its own line breaks stay, so
    text from the network must be put in with shown() (one line) first."""
    from ..protocol.redact import safe_text

    print(f"ccnow-tui: {safe_text(msg, newlines=True)}", file=sys.stderr, flush=True)


def json_line(obj: dict[str, object]) -> str:
    """One JSON Lines record: every string masked (before json.dumps changes its form),
    and nothing a terminal acts on: C0 and DEL, C1, and bidi controls as \\u escapes."""
    import json

    from ..protocol.redact import redact

    def mask(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value)
        if isinstance(value, dict):
            return {k: mask(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [mask(v) for v in value]
        return value

    return redact(json.dumps(mask(obj), ensure_ascii=True))


class Printer:
    """Results on stdout, one line (or JSON object) per order, as they stream in."""

    def __init__(self, as_json: bool, out: TextIO) -> None:
        from ..protocol import answer

        self._answer = answer  # its record types, for record()
        self.as_json = as_json
        self.out = out
        self.closed = False  # the reader went away (`| head`): the answer is still read and recorded

    # The receiver's words (statuses, messages, lines not understood) may echo anything,
    # the password and terminal controls included: each goes out through shown() or
    # json_line(), masked first, cut after.

    def record(self, rec: Any) -> None:
        a = self._answer
        if isinstance(rec, a.OrderLine):
            self._emit(rec.order_id, {"status": rec.status}, f"{rec.order_id} {shown(rec.status)}")
        elif isinstance(rec, a.OrderError):
            self._emit(rec.order_id, {"error": rec.message}, f"{rec.order_id} error_message {shown(rec.message)}")
        elif isinstance(rec, a.MessageLine):
            err(f"receiver: message {shown(rec.text)}")
        elif isinstance(rec, a.ErrorMessage):
            err(f"receiver: error_message {shown(rec.text)}")
        elif isinstance(rec, a.Unparsed):
            err(f"not understood ({shown(rec.reason)}): {shown(rec.raw, 200, cut=rec.reason == a.LONG_REASON)}")

    def unknown(self, order_id: OrderId, why: str) -> None:
        self._emit(order_id, {"status": "unknown", "error": why}, f"{order_id} unknown")

    def _emit(self, order_id: OrderId, fields: dict[str, object], text: str) -> None:
        if self.as_json:
            self._write(json_line({"order_id": str(order_id), **fields}) + "\n")
        else:
            self._write(shown(text) + "\n")

    def _write(self, text: str) -> None:
        if self.closed:
            return
        try:
            self.out.write(text)
        except BrokenPipeError:
            self._close()

    def flush(self) -> None:
        if not self.closed:
            try:
                self.out.flush()
            except BrokenPipeError:
                self._close()

    def _close(self) -> None:
        # A batch in flight must still be read to its end and recorded: stop printing,
        # not reading. stdout goes to devnull so the interpreter's last flush is quiet.
        self.closed = True
        if self.out is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


async def drive(events: AsyncIterator[ClientEvent], printer: Printer, *, read_only: bool = False) -> ReceiverAnswer:
    """Print records as they come; for reads, per attempt, since a retry voids a cut-off one.

    Returns the client's final answer.
    """
    from ..client import Retrying
    from ..domain.answers import ReceiverAnswer
    from ..gcpause import collector_paused
    from ..protocol.outcome import EntryOutcome

    answer: ReceiverAnswer | None = None
    held: list[ClientEvent] = []
    # The command line's boundary pauses the collector while an answer streams in, as the
    # TUI's network pump does: the client and the parser never touch it (docs/scale.md).
    with collector_paused():
        async for ev in events:
            if isinstance(ev, ReceiverAnswer):
                answer = ev
            elif isinstance(ev, Retrying):
                held.clear()
                err(f"attempt {ev.attempt} failed ({shown(ev.reason)}); retrying in {ev.delay:.1f} s")
            elif read_only:
                held.append(ev)
            else:
                printer.record(ev)
    assert answer is not None
    for rec in held:
        printer.record(rec)
    seen_unknown: set[OrderId] = set()
    for r in answer.entries:
        if r.outcome is EntryOutcome.UNKNOWN and r.entry.order_id not in seen_unknown:
            seen_unknown.add(r.entry.order_id)
            printer.unknown(r.entry.order_id, r.message)
    printer.flush()
    err(f"{answer.outcome.label}: {shown(answer.message)}")
    return answer
