"""Command line: the TUI (default), the scripting commands and the sandbox receiver.

The scripting commands and the sandbox import no textual, so cron jobs start fast; the
TUI is imported only when it is asked for.

Start-up is paid on every call of a script, so this module imports at load time only
what parsing the command line needs: each command imports the rest (the network stack,
the store, the protocol, csv, json) in its own function. `--help`, `init`, `journal` and
`staged` never load httpx or asyncio (tests/test_startup_imports.py checks it).
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .argtypes import number
from .words import counted

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up
if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence
    from decimal import Decimal
    from pathlib import Path
    from typing import Any, TextIO

    from .client import ClientEvent, ReceiverAnswer, ReceiverClient
    from .config import ConnectionSettings
    from .protocol.actions import StagedAction
    from .protocol.batch import Batch
    from .protocol.orderid import OrderId
    from .storage.store import Store

# 1 (some entries refused), 3 (refused, not sent) and 4 (unknown) are Outcome.exit_code's
# (EXIT_UNKNOWN is Outcome.UNKNOWN.exit_code, written out so as not to load the protocol
# for --help; tests/test_startup_imports.py checks the two agree).
EXIT_OK, EXIT_USAGE, EXIT_UNKNOWN = 0, 2, 4
EXIT_NOT_CONFIRMED = 5  # the operator answered no (or nothing): nothing sent, nothing recorded
EXIT_UNSETTLED = 6  # reconcile recorded, but entries are unverified or cannot be re-staged: a person must look
EXIT_INTERNAL = 70
CSV_COLUMNS = ("order_id", "action", "notes", "amount", "trackname", "tracknumber")


class UsageError(Exception):
    """Bad input from the user: exit 2, nothing sent."""


# -- argument parsing --------------------------------------------------------------------

# Options that may come before the command (where the top-level usage shows them) or after
# it, with the same meaning. argparse lets a subparser's copy of an option overwrite the
# top-level one (or its default overwrite a value given before the command), so the copy
# before the command is kept under PRE + name and _merge_options() puts the two together.
PRE = "pre_"
CONNECTION_OPTIONS = ("profile", "url", "client_id", "store_id", "timeout")
FLAGS = {
    "profile": "--profile",
    "url": "--url",
    "client_id": "--client-id",
    "store_id": "--store-id",
    "timeout": "--timeout",
    "demo": "--demo",
    "refresh": "--refresh",
    "fault": "--fault",
}
# The options before the command each command takes (None: no command, the TUI).
TAKES: dict[str | None, frozenset[str]] = {
    None: frozenset(FLAGS),
    **{c: frozenset(CONNECTION_OPTIONS) for c in ("pending", "query", "submit", "reconcile")},
    "journal": frozenset({"profile"}),
    "stage": frozenset({"profile"}),  # offline: the store only, no receiver, no password
    "staged": frozenset({"profile"}),
    "init": frozenset(),
    "sandbox": frozenset({"client_id", "store_id", "fault"}),  # the account it accepts; its faults
}
_HELP = {
    "profile": "profile from config.toml (default: default_profile)",
    "url": "receiver URL",
    "client_id": "account login id (x_clientid)",
    "store_id": "linked store account (x_storeid)",
    "timeout": "seconds the whole exchange with the receiver may take (default 30)",
}


def _connection_options(*, before: bool, names: Sequence[str] = CONNECTION_OPTIONS) -> argparse.ArgumentParser:
    """The connection options, for the top-level parser (``before``) or a command's."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("connection (override config.toml and CCNOW_* variables)")
    for name in names:
        g.add_argument(
            FLAGS[name],
            dest=PRE + name if before else name,
            metavar=name.upper(),
            help=_HELP[name],
            # Not given after the command: absent, so it cannot hide a value given before.
            default=None if before else argparse.SUPPRESS,
            type=_positive_float if name == "timeout" else str,
        )
    return p


MIN_REFRESH = 5.0  # seconds: a live queue, without hammering the receiver


_SECONDS = "{text!r} is not a number of seconds"
_positive_float = number(float, lambda v: v > 0, "{text!r} must be greater than 0", _SECONDS)
_refresh_seconds = number(
    float,
    lambda v: v == 0 or MIN_REFRESH <= v <= 3600,
    f"{{text!r}}: 0 (only on r), or {MIN_REFRESH:g} to 3600 seconds",
    _SECONDS,
)


def _fault_spec(text: str) -> str:
    """Checked here so a typo is a usage error; the TUI parses it again when it starts."""
    from .sandbox.faults import parse_fault

    try:
        parse_fault(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _count(text: str) -> int:
    """``--confirm-count``: a whole number of orders."""
    if not text.strip().isdecimal():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of entries (0, 1, 2, ...)")
    return int(text.strip())


def build_parser(*, sandbox_arguments: bool = True) -> argparse.ArgumentParser:
    """The command line's parser. Without ``sandbox_arguments`` the `sandbox` command is
    listed but takes no options: main() asks for that when the word ``sandbox`` is not on
    the command line (argparse takes a command only as written, never abbreviated), so
    that no other command loads the sandbox server to describe its options."""
    conn = _connection_options(before=False)
    parser = argparse.ArgumentParser(
        prog="ccnow-tui",
        parents=[_connection_options(before=True)],
        description="Terminal client for the CCNow Order Update API. With no command, starts the TUI. "
        "Options shown before COMMAND may also follow it, with the same meaning.",
        epilog="Exit codes: 0 all applied (or staged); 1 some entries refused (`stage --skip-rejected`: some "
        "rows rejected, the rest staged); 2 usage or input error, nothing sent; "
        "(`stage`: nothing staged; `submit`: identical rows without --allow-repeats, or a batch over the "
        "profile's limits with --yes and no --confirm-count); "
        "3 refused in the protocol's words (error_message), or the request never left, or a read got no "
        "protocol answer: nothing applied; 4 outcome unknown (answer lost, late, too big or not the protocol), "
        "nothing re-sent; 5 not confirmed at the question (or --confirm-count is not the number of entries the "
        "batch sends that change orders), nothing sent or recorded; 6 `reconcile` recorded its result, but some "
        "entries are unverified (a discount or tracking a status cannot prove) or not re-staged (the order moved "
        "on): check them.",
    )
    parser.add_argument("--version", action="version", version=f"ccnow-tui {__version__}")
    parser.add_argument(
        "--demo",
        dest=PRE + "demo",
        action="store_true",
        help="run the TUI against the embedded sandbox (no account needed)",
    )
    parser.add_argument(
        "--refresh",
        dest=PRE + "refresh",
        type=_refresh_seconds,
        metavar="SECONDS",
        help=f"TUI: fetch the pending list again every SECONDS (at least {MIN_REFRESH:g}; default: only on r, "
        "or every 15 with --demo)",
    )
    parser.add_argument(
        "--fault",
        dest=PRE + "fault",
        action="append",
        default=None,
        metavar="FAULT",
        type=_fault_spec,
        help="with --demo (or before `sandbox`): inject a sandbox fault, KIND[=VALUE][:COUNT][@updates|@reads]; "
        "KIND is maintenance, slow=S, drop-after-apply, http500, html, truncate, http=CODE, garbage, upper, "
        "empty, gzip, gzip-bad or drip=S (e.g. drop-after-apply@updates)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("pending", parents=[conn], help="list pending orders")
    p.add_argument("--json", action="store_true", help="JSON Lines on stdout")

    p = sub.add_parser("query", parents=[conn], help="status of one or more orders")
    p.add_argument("orders", nargs="+", metavar="ORDER", help="order number, 396101142 or 396-10-1142")
    p.add_argument("--json", action="store_true", help="JSON Lines on stdout")

    p = sub.add_parser(
        "submit",
        parents=[conn],
        help="send a batch of actions from a CSV file",
        description="CSV header: order_id,action,notes,amount,trackname,tracknumber (columns after action "
        "optional). Without --yes, asks y/N on the terminal (never on stdout; keys typed before the question "
        "shows do not answer it); no terminal: refuses. A batch with more cancel and discount entries than the "
        "profile's confirm_over (10 unless it says otherwise), or whose discounts add up to more than its "
        "confirm_discount_over (500.00 US dollars unless it says otherwise), asks instead for the number of "
        "entries it sends that change orders (y does not send it), and --yes alone does not send it: give "
        "--confirm-count N, N being that number. Identical rows (same order, action and fields) are refused "
        "unless --allow-repeats says they are meant.",
    )
    p.add_argument("file", metavar="FILE", help="CSV file, or - for standard input")
    p.add_argument(
        "--yes",
        action="store_true",
        help="send without asking (not a batch over confirm_over cancel and discount entries or "
        "confirm_discount_over dollars of discount: that one needs --confirm-count)",
    )
    p.add_argument(
        "--confirm-count",
        type=_count,
        metavar="N",
        help="send without asking only if the batch sends exactly N entries that change orders (all but "
        "query; else nothing is sent, exit 5); required to send a batch over confirm_over or "
        "confirm_discount_over without the question",
    )
    p.add_argument(
        "--allow-repeats",
        action="store_true",
        help="send identical rows (same order, action and fields) as they are, each one applied (a "
        "discount written twice is given twice); without it they are refused, exit 2",
    )
    p.add_argument("--json", action="store_true", help="JSON Lines on stdout")

    p = sub.add_parser(
        "reconcile",
        parents=[conn],
        help="settle batches whose outcome is unknown (what R does in the TUI)",
        description="Queries the orders of every batch whose outcome is unknown and records what evidently "
        "happened: ship/cancel that took effect, what is staged again (did not happen), and discounts or "
        "tracking a status cannot prove (unverified: re-stage or forget them in the TUI). Nothing is sent "
        "but queries. Exit 0: every entry settled (took effect, or staged again); 6: recorded, but some entries "
        "are unverified or not re-staged (the order moved on); 4: some batches stay unknown.",
    )
    p.add_argument("--yes", action="store_true", help="record the result without asking")
    p.add_argument("--json", action="store_true", help="JSON Lines on stdout, one per entry")

    p = sub.add_parser(
        "journal",
        parents=[_connection_options(before=False, names=("profile",))],
        help="the audit trail: every batch sent from this profile and its outcome",
    )
    p.add_argument("orders", nargs="*", metavar="ORDER", help="only these orders")
    p.add_argument(
        "--since",
        metavar="WHEN",
        type=_since,
        help="only lines since WHEN: 2026-11-27, 2026-11-27T14:00, or 30m / 12h / 7d ago",
    )
    p.add_argument("--json", action="store_true", help="JSON Lines on stdout")

    profile_only = _connection_options(before=False, names=("profile",))
    p = sub.add_parser(
        "stage",
        parents=[profile_only],
        help="stage entries from a CSV for review in the TUI, without sending",
        description="Adds the file's entries to the profile's staged entries, as one change, for a person to "
        "review and send in the TUI's composer (b). Nothing is sent and no receiver is contacted; no password is "
        "asked for, but one a variable or a command gives is read first, and a note or tracking field holding it "
        "is refused. The file is the `submit` CSV, or with --labels a label tool's export (each row stages "
        "track, then ship). Every row is checked first; any problem: all are reported, nothing is staged (exit 2).",
    )
    p.add_argument("file", metavar="FILE", help="CSV file, or - for standard input")
    p.add_argument(
        "--labels",
        action="store_true",
        help="FILE is a label export (order number, carrier, tracking number; columns found by header)",
    )
    p.add_argument(
        "--order-column",
        metavar="COLUMN",
        help="with --labels: the column holding the order number, by header name or number (1 is the "
        "first); default: found by header name, else by cells holding order numbers",
    )
    p.add_argument(
        "--carrier-column",
        metavar="COLUMN",
        help="with --labels: the column holding the carrier (header name or number); default: found by "
        "header name or by cells naming carriers, else each carrier is guessed from its tracking "
        "number's format",
    )
    p.add_argument(
        "--number-column",
        metavar="COLUMN",
        help="with --labels: the column holding the tracking number (header name or number)",
    )
    p.add_argument(
        "--carrier",
        metavar="NAME",
        help="with --labels: this carrier for every row (instead of the carrier column or a guess)",
    )
    p.add_argument("--track-only", action="store_true", help="with --labels: stage track only, no ship")
    p.add_argument(
        "--skip-rejected",
        action="store_true",
        help="with --labels: stage the accepted rows even if some are rejected (they are listed; exit 1)",
    )

    p = sub.add_parser(
        "staged",
        parents=[profile_only],
        help="list what is staged in the profile's store, and what is held or unverified",
    )
    p.add_argument("--json", action="store_true", help="JSON Lines on stdout")

    sub.add_parser("init", help="create config.toml (mode 0600) with an example profile")

    p = sub.add_parser("sandbox", help="run the sandbox receiver (a local test server)")
    if sandbox_arguments:
        from .sandbox.command import add_sandbox_arguments

        add_sandbox_arguments(p)
    # "Not given" must show, so that --client-id/--store-id given before `sandbox` count
    # (run_sandbox applies its defaults to None).
    p.set_defaults(client_id=None, store_id=None)
    return parser


def _merge_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """One value per option, whichever side of the command it was given on.

    An option the command does not take, or one given on both sides with different
    values, is a usage error (exit 2): never silently dropped.
    """
    command = args.command
    takes = TAKES.get(command, frozenset())
    for name, flag in FLAGS.items():
        before = getattr(args, PRE + name)
        delattr(args, PRE + name)
        after = getattr(args, name, None)
        given_before = before not in (None, False, [])
        given_after = after not in (None, False, [])
        if given_before and name not in takes:
            if name == "refresh":
                parser.error("--refresh is for the TUI (no COMMAND)")
            if name == "demo":
                parser.error(f"--demo starts the TUI; it does not go with `{command}`")
            if name == "fault":
                parser.error("--fault goes with --demo (or use `ccnow-tui sandbox --fault ...`)")
            parser.error(f"{flag} does not apply to `{command}`")
        if given_before and command == "sandbox" and name == "fault":
            from .sandbox.faults import parse_fault

            before = [parse_fault(f) for f in before]  # as the sandbox's own --fault gives them
        if given_before and given_after and before != after:
            parser.error(f"{flag} is given before and after `{command}` with different values")
        value = after if given_after else before
        if name == "fault":
            value = list(value or [])
        elif name == "demo":
            value = bool(value)
        setattr(args, name, value)
    if command is None:
        if args.fault and not args.demo:
            parser.error("--fault goes with --demo (or use `ccnow-tui sandbox --fault ...`)")
        if args.demo:
            for name in ("profile", "url", "client_id", "store_id"):
                if getattr(args, name) is not None:
                    parser.error(f"{FLAGS[name]} does not go with --demo (it uses its own embedded receiver)")


# -- shared plumbing ---------------------------------------------------------------------


def shown(text: object, limit: int | None = None, *, cut: bool = False) -> str:
    """Text from the network or the store, as it may be printed: secrets masked (before
    any cutting), then control characters escaped, on one line. Every such text goes
    through here (or through err(), which does the same) on its way out."""
    from .protocol.redact import safe_text

    return safe_text(text, limit, cut=cut)


def err(msg: str) -> None:
    """A message on stderr. Masked and escaped like shown(); its own line breaks stay, so
    text from the network must be put in with shown() (one line) first."""
    from .protocol.redact import safe_text

    print(f"ccnow-tui: {safe_text(msg, newlines=True)}", file=sys.stderr, flush=True)


def json_line(obj: dict[str, object]) -> str:
    """One JSON Lines record: every string masked (before json.dumps changes its form),
    and nothing a terminal acts on: C0 and DEL, C1, and bidi controls as \\u escapes."""
    import json

    from .protocol.redact import redact

    def mask(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value)
        if isinstance(value, dict):
            return {k: mask(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [mask(v) for v in value]
        return value

    return redact(json.dumps(mask(obj), ensure_ascii=True))


CONTROLLING_TERMINAL = "/dev/tty"


def has_terminal() -> bool:
    try:
        os.close(os.open(CONTROLLING_TERMINAL, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC))
    except OSError:
        return False
    return True


def ask_on_terminal(question: str) -> bool | None:
    """Ask on the controlling terminal (never stdout, which may be a file or a pipe, and
    whatever stdin is: `submit -` reads the batch from it). True for y/yes; None when the
    process has no terminal to ask on (cron, CI, setsid)."""
    reply = read_on_terminal(question)
    return None if reply is None else reply.strip().lower() in ("y", "yes")


def read_on_terminal(question: str) -> str | None:
    """The line typed on the controlling terminal after ``question`` ("" at end of input);
    None when the process has no terminal to ask on."""
    try:
        fd = os.open(CONTROLLING_TERMINAL, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        # Keys typed before the question showed do not answer it (`y` typed ahead while
        # the plan was still being printed): what the terminal holds unread goes.
        _discard_typed_ahead(fd)
        os.write(fd, question.encode("utf-8"))
        reply = b""
        while not reply.endswith(b"\n") and len(reply) < 4096:
            piece = os.read(fd, 4096)
            if not piece:  # end of input (ctrl-d): no
                os.write(fd, b"\n")
                break
            reply += piece
    except OSError:
        return None
    finally:
        os.close(fd)
    return reply.decode("utf-8", "replace")


def _discard_typed_ahead(fd: int) -> None:
    import termios

    try:
        termios.tcflush(fd, termios.TCIFLUSH)
    except termios.error:  # not a terminal after all: nothing typed ahead to discard
        pass


def _since(text: str) -> str:
    """``--since``: an ISO date or time (local unless it says), or an age like 30m, 12h, 7d.

    A time that cannot be one (an age reaching back before year 1, a date the local
    clock cannot convert) is an input error naming the value, never a traceback."""
    import re
    from datetime import UTC, datetime, timedelta

    value = text.strip()
    units = {"m": 60, "h": 3600, "d": 86400}
    try:
        if value[-1:] in units and re.fullmatch(r"[0-9]+", value[:-1]):
            when = datetime.now(UTC) - timedelta(seconds=int(value[:-1]) * units[value[-1]])
        else:
            try:
                when = datetime.fromisoformat(value)
            except ValueError:
                raise argparse.ArgumentTypeError(
                    f"{text!r} is not a time: use 2026-11-27, 2026-11-27T14:00, or 30m / 12h / 7d"
                ) from None
            if when.tzinfo is None:
                when = when.astimezone()  # local time, as the operator reads a clock
        return when.astimezone(UTC).isoformat(timespec="milliseconds")
    except (OverflowError, ValueError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: a time from year 1 to 9999 in UTC (an age of at most "
            f"{(datetime.now(UTC) - datetime.min.replace(tzinfo=UTC)).days - 1} days)"
        ) from None


def connection_settings(args: argparse.Namespace) -> ConnectionSettings:
    from .config import ConfigError, load_config, resolve_connection

    overrides = {
        "url": getattr(args, "url", None),
        "client_id": getattr(args, "client_id", None),
        "store_id": getattr(args, "store_id", None),
        "timeout": getattr(args, "timeout", None),
    }
    try:
        return resolve_connection(load_config(), args.profile, os.environ, overrides)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


_OPENED_STORES: list[Path] = []  # the store files this process opened, for messages about them


def open_store(profile: str) -> Store:
    from .storage.store import Store, StoreError

    try:
        store = Store.for_profile(profile)
    except (StoreError, OSError) as exc:
        raise UsageError(str(exc)) from None
    _OPENED_STORES.append(store.path)
    return store


def store_problem(exc: BaseException) -> str:
    """The message for ``exc`` when it is the store's (a row or table no ccnow-tui writes,
    a file SQLite cannot read or write), naming the store file; "" otherwise."""
    store_module = sys.modules.get("ccnow_tui.storage.store")
    sqlite3 = sys.modules.get("sqlite3")
    path = _OPENED_STORES[-1] if _OPENED_STORES else "of this profile"
    if store_module is not None and isinstance(exc, store_module.CorruptRow):
        damaged: str = store_module.damaged(path, str(exc))  # a module from sys.modules is Any to mypy
        return damaged
    if store_module is not None and isinstance(exc, store_module.StoreError):
        return str(exc)
    if sqlite3 is not None and isinstance(exc, sqlite3.Error):
        return f"the store {path} could not be read or written ({exc})"
    return ""


def open_client(args: argparse.Namespace, settings: ConnectionSettings | None = None) -> ReceiverClient:
    """Build a ReceiverClient from config, environment and options (password never on argv)."""
    from .client import ClientConfigError, ReceiverClient
    from .protocol.redact import Secret

    if settings is None:
        settings = connection_settings(args)
    password = settings.password
    if password is None:
        if not has_terminal():  # getpass asks on the terminal, whatever stdin is
            raise UsageError(
                f"no API password for profile {settings.profile!r}: set password_command or password_env "
                "in config.toml, or CCNOW_PASSWORD"
            )
        import getpass

        password = Secret(getpass.getpass(f"API password for {settings.client_id} ({settings.profile}): "))
    try:
        return ReceiverClient.from_settings(settings, password)
    except ClientConfigError as exc:
        raise UsageError(str(exc)) from None


def parse_order_ids(values: Sequence[str]) -> list[OrderId]:
    from .protocol.orderid import InvalidOrderId, OrderId

    out, bad = [], []
    for v in values:
        try:
            out.append(OrderId.parse(v))
        except InvalidOrderId as exc:
            bad.append(str(exc))
    if bad:
        raise UsageError("; ".join(bad))
    return out


def read_batch_csv(name: str, stream: TextIO, *, refuse_repeats: bool = False) -> Batch:
    """Validate every row before anything is sent; all problems are reported at once.

    ``refuse_repeats`` (``submit`` without --allow-repeats): identical entries (same
    order, action and fields) are an input error naming their lines; each would be
    applied, a discount as many times as it is repeated.

    Read strictly: a quote that is never closed would otherwise take every line after
    it into one field (a cancel sent with the next rows as its note, those rows lost).
    """
    import csv

    from .labels import csv_problem
    from .protocol.actions import ActionError, StagedAction
    from .protocol.batch import Batch, Severity

    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise UsageError(f"{name}: empty file (expected header {','.join(CSV_COLUMNS)})") from None
    except csv.Error as exc:
        raise UsageError(f"{name}: line 1: {csv_problem(exc, reader.line_num > 1)}") from None
    header = [h.strip().lower().lstrip("\ufeff") for h in header]
    known = all(h in CSV_COLUMNS for h in header) and len(set(header)) == len(header)
    if header[:2] != ["order_id", "action"] or not known:
        raise UsageError(
            f"{name}: line 1: header is {','.join(header)!r}; expected order_id,action "
            f"followed by any of notes,amount,trackname,tracknumber"
        )
    entries: list[StagedAction] = []
    lines: list[int] = []  # where each entry's row starts
    problems: list[str] = []
    start = reader.line_num + 1  # where the next row starts (a quoted field may span lines)
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                problems.append(f"{name}: line {line}: {len(row)} columns, header has {len(header)}")
                continue
            values = dict(zip(header, row, strict=False))  # a short row leaves the last columns empty
            try:
                entries.append(
                    StagedAction.make(
                        values.get("order_id", ""),
                        values.get("action", ""),
                        notes=values.get("notes", ""),
                        amount=values.get("amount") or None,
                        trackname=values.get("trackname", ""),
                        tracknumber=values.get("tracknumber", ""),
                    )
                )
                lines.append(line)
            except ActionError as exc:
                problems.append(f"{name}: line {line}: {exc}")
    except csv.Error as exc:
        problems.append(f"{name}: line {start}: {csv_problem(exc, reader.line_num > start)}")
    # The rows' own problems and the conflicts between the valid rows (ship and cancel on
    # one order), reported together: one run shows everything to fix.
    batch = Batch(entries)
    problems += [f"{name}: {lint.message}" for lint in batch.lint() if lint.severity is Severity.ERROR]
    if refuse_repeats:
        problems += _repeats(name, entries, lines)
    if problems:
        raise UsageError("\n".join(problems))
    return batch


REPEATS_SHOWN = 20  # repeated rows named one by one; the count says the rest


def _repeats(name: str, entries: Sequence[StagedAction], lines: Sequence[int]) -> list[str]:
    """Every row that repeats an earlier one exactly, named with both lines; [] if none."""
    first: dict[StagedAction, int] = {}
    repeats: list[str] = []
    for entry, line in zip(entries, lines, strict=True):
        if entry in first:
            repeats.append(f"{name}: line {line}: the same entry as line {first[entry]} ({entry.describe()})")
        else:
            first[entry] = line
    if not repeats:
        return []
    more = [f"... and {len(repeats) - REPEATS_SHOWN} more"] if len(repeats) > REPEATS_SHOWN else []
    return [
        *repeats[:REPEATS_SHOWN],
        *more,
        f"{name}: {counted(len(repeats), 'row repeats', 'rows repeat')} an entry exactly (same order, action and "
        "fields); each copy would be applied (a discount as many times as it is written): nothing sent. If they "
        "are meant, --allow-repeats sends them",
    ]


class Printer:
    """Results on stdout, one line (or JSON object) per order, as they stream in."""

    def __init__(self, as_json: bool, out: TextIO) -> None:
        from .protocol import answer

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


async def _drive(events: AsyncIterator[ClientEvent], printer: Printer, *, read_only: bool = False) -> ReceiverAnswer:
    """Print records as they come; for reads, per attempt, since a retry voids a cut-off one.

    Returns the client's final answer.
    """
    from .client import ReceiverAnswer, Retrying
    from .protocol.outcome import EntryOutcome

    answer: ReceiverAnswer | None = None
    held: list[ClientEvent] = []
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


async def _with_client(
    args: argparse.Namespace,
    make_events: Callable[[ReceiverClient], AsyncIterator[ClientEvent]],
    printer: Printer,
    settings: ConnectionSettings | None = None,
) -> int:
    client = open_client(args, settings)
    async with client:
        return (await _drive(make_events(client), printer, read_only=True)).exit_code


def cmd_pending(args: argparse.Namespace) -> int:
    from .client import run_network

    return run_network(_with_client(args, lambda c: c.pending(), Printer(args.json, sys.stdout)))


def cmd_query(args: argparse.Namespace) -> int:
    from .client import run_network

    settings = connection_settings(args)  # a password from a variable or a command: masked in what follows
    ids = parse_order_ids(args.orders)
    return run_network(_with_client(args, lambda c: c.query(ids), Printer(args.json, sys.stdout), settings))


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
    from .protocol.batch import discount_lint, tracking_lint

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


def read_input_text(file: str) -> tuple[str, str]:
    """``(name, text)`` of FILE (``-``: stdin), read as bytes and decoded here (a file or
    stdin alike), so text that is not UTF-8 is an input error naming the line, whatever
    the locale makes of stdin."""
    if file == "-":
        name = "<stdin>"
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:  # stdin replaced by a text stream (tests, embedding)
            return name, sys.stdin.read()
        data = raw.read()
    else:
        name = file
        from pathlib import Path

        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise UsageError(f"{name}: {exc.strerror or exc}") from None
    try:
        return name, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"{name}: line {line}: not UTF-8 text (byte {exc.start}: {exc.reason}); save the file as UTF-8"
        ) from None


def read_submit_file(args: argparse.Namespace) -> Batch:
    import io

    name, text = read_input_text(args.file)
    return read_batch_csv(name, io.StringIO(text, newline=""), refuse_repeats=not args.allow_repeats)


def _secret_in_fields(batch: Batch) -> list[str]:
    """Entries whose consumer-facing text contains the API password (known only now)."""
    from .protocol.redact import redact

    out = []
    for n, e in batch.numbered():
        for name in ("notes", "trackname", "tracknumber"):
            value = getattr(e, name)
            if value and redact(value) != value:
                out.append(
                    f"entry {n} ({e.kind.value} {e.order_id}): {name} contains the API password; "
                    "it would be sent to the consumer"
                )
    return out


def confirm_submit(batch: Batch, args: argparse.Namespace, settings: Any) -> bool:
    """Whether to send ``batch``: y on the terminal, or --yes; when it goes over the
    profile's limits (more than ``confirm_over`` cancel and discount entries, or discounts
    adding up to more than ``confirm_discount_over`` dollars), the number of entries it
    sends that change orders, typed or given as --confirm-count (as the TUI asks). False
    (said on stderr): nothing is sent, exit 5. No terminal to ask on, or --yes alone for
    such a batch: a UsageError (exit 2)."""
    totals = batch.totals
    number = totals.changing_entries
    what = "the number of entries this batch sends that change orders"
    if args.confirm_count is not None:  # a script's number: checked whatever the batch's size
        if args.confirm_count != number:
            err(f"not confirmed: --confirm-count {args.confirm_count} is not {what} ({number}): nothing sent")
            return False
        return True
    over = totals.over_limits(settings.confirm_over, settings.confirm_discount_over)
    if not over:
        if args.yes:
            return True
        confirmed = ask_on_terminal("Send this batch? [y/N] ")
        if confirmed is None:
            raise UsageError("refusing to send without --yes: there is no terminal to ask for confirmation")
        if not confirmed:
            err("not confirmed: nothing sent")
        return confirmed
    large = f"{' and '.join(over)} (profile {settings.profile!r})"
    if args.yes:
        raise UsageError(
            f"nothing sent: {large}; --yes alone does not send it: add --confirm-count {number} "
            "(the number of entries it sends that change orders)"
        )
    reply = read_on_terminal(
        f"{large[0].upper()}{large[1:]}.\nTo send it, type {number}, the number of entries "
        "it sends that change orders (y does not send it): "
    )
    if reply is None:
        raise UsageError(
            f"refusing to send: {large}, and there is no terminal to ask for the number of entries it "
            f"sends that change orders: give --confirm-count {number}"
        )
    typed = reply.strip()
    if typed == str(number):
        return True
    if typed.lower() in ("y", "yes"):
        err(f"not confirmed: y does not send this batch, {what} ({number}) does: nothing sent")
    else:
        err(f"not confirmed: {shown(typed, 40, cut=True) or 'nothing'} is not {what} ({number}): nothing sent")
    return False


def cmd_submit(args: argparse.Namespace) -> int:
    from .client import run_network
    from .protocol.redact import safe_text
    from .staging import Claim, ClaimConflict, judge_answer
    from .storage.store import BatchMeta, StoreError

    # The settings first: a password from a variable or a command is known (and masked)
    # before any row is checked, so no message about a row can show it.
    settings = connection_settings(args)
    batch = read_submit_file(args)
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
                return await _drive(client.submit(batch, batch_id=batch_id), Printer(args.json, sys.stdout))

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
    from .client import ReceiverAnswer, run_network
    from .protocol.orderid import OrderId as _OrderId
    from .protocol.outcome import Outcome
    from .staging import judge_reconciliation
    from .storage.store import BatchState, Judged, Verdict

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


def offline_profile(requested: str | None, *, configured: bool = False) -> str:
    """The profile a command that needs no connection (journal, stage, staged) works on.

    A profile with a store on this machine is taken as it is, without its settings (the
    demo's, or one whose config moved); otherwise it is chosen as the other commands
    choose it (--profile, CCNOW_* variables, default_profile). ``configured``: with no
    profile and no CCNOW_* variable, say that nothing is configured (as `pending` does)
    rather than use the environment's profile."""
    from .config import ConfigError, load_config, profile_name
    from .storage.paths import profile_dir
    from .storage.store import STORE_NAME

    if requested and (profile_dir(requested, create=False) / STORE_NAME).exists():
        return requested
    try:
        return profile_name(load_config(), requested, os.environ if configured else None)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def know_password_offline(profile: str, *, quiet: bool = False) -> None:
    """Learn ``profile``'s password when a variable or a command gives it (a typed one is
    never asked for here): from then on every message masks it and no note or tracking
    field holding it is accepted. A source that fails is said on stderr (unless
    ``quiet``), and the command goes on without it: these commands need no password."""
    from .config import ConfigError, load_config, offline_password

    try:
        offline_password(load_config(), profile)
    except ConfigError as exc:
        if not quiet:
            err(
                f"{exc}: so notes and tracking fields were not checked for the API password (the TUI checks them "
                "again and never sends one holding it)"
            )


LABEL_COLUMN_OPTIONS = {"order": "--order-column", "carrier": "--carrier-column", "number": "--number-column"}


def read_label_actions(
    name: str,
    text: str,
    *,
    ship: bool,
    skip_rejected: bool,
    columns: dict[str, str] | None = None,
    carrier: str | None = None,
) -> tuple[list[StagedAction], int]:
    """The entries a label export plans (``track``, then ``ship`` unless not ``ship``), and
    how many rows were rejected. Statuses are not known offline: no pending check.

    ``columns``: role (order, carrier, number) -> the column the operator named (header
    name or 1-based number); ``carrier``: one carrier for every row. The columns used,
    and how each row's carrier was found and its number rewritten, are said on stderr.

    A problem with the file itself (a quote never closed, no column for the order or the
    number, a column named that is not the file's) is a UsageError whatever
    ``skip_rejected`` says; so is any rejected row without it, and a file of which no row
    is accepted."""
    from .labels import (
        CarrierFrom,
        Role,
        RowVerdict,
        column_named,
        plan_import,
        read_label_file,
        with_carrier,
        with_mapping,
    )

    file = read_label_file(text, name)
    if file.header and (columns or carrier):
        chosen: dict[str, int] = {}
        bad: list[str] = []
        for role, given in (columns or {}).items():
            try:
                chosen[role] = column_named(file.header, given)
            except ValueError as exc:
                bad.append(f"{name}: {LABEL_COLUMN_OPTIONS[role]} {shown(given, 40)!r}: {exc}")
        try:
            file = with_carrier(with_mapping(file, **chosen), carrier)
        except ValueError as exc:
            bad.append(f"--carrier: {exc}")
        if bad:
            raise UsageError("\n".join(bad))
    plan = plan_import(file, known_status=None, ship=ship)
    if plan.problems:
        options = ", ".join(LABEL_COLUMN_OPTIONS.values())
        raise UsageError(
            "\n".join(
                [
                    *plan.problems,
                    f"{name}: name the columns with {options} "
                    "(a header name, or a number: 1 is the first column); nothing staged",
                ]
            )
        )
    for role in Role:
        index = file.mapping.column(role)
        if role is Role.CARRIER and file.carrier is not None:
            where = f"{file.carrier!r} for every row (--carrier)"
        elif index is None:
            where = "no column: guessed from each tracking number's format"
        else:
            how = file.found_by(role)
            where = f"column {index + 1} {shown(file.header[index], 40)!r} ({how.value if how else 'as given'})"
        err(f"{name}: {role.label}: {where}")
    rejected = [f"{name}: line {row.line}: {row.reason}" for row in plan.rejected_rows()]
    if any(row.verdict is RowVerdict.NO_CARRIER for row in plan.rows):
        rejected.append(
            f"{name}: rows without a carrier: give --carrier NAME to set one for every row, or --carrier-column COLUMN"
        )
    if rejected and (not skip_rejected or not plan.accepted):
        why = (
            "no row was accepted"
            if skip_rejected
            else f"{counted(plan.rejected, 'row was', 'rows were')} rejected (--skip-rejected stages the others)"
        )
        raise UsageError("\n".join([*rejected, f"{name}: {why}; nothing staged"]))
    for line in rejected:
        err(f"rejected, not staged: {line}")
    guessed = [row for row in plan.rows if row.accepted and row.carrier_from is CarrierFrom.GUESSED]
    if guessed:
        err(
            f"{name}: carrier guessed from the tracking number's format for {counted(len(guessed), 'row', 'rows')} "
            f"(lines {_lines(guessed)}); --carrier NAME sets one instead"
        )
    for row in plan.rows:
        track = row.entries[0] if row.entries else None
        if track is not None and row.changes:
            err(
                f"{name}: line {row.line}: tracking number written as {shown(track.trackname, 40)} writes it: "
                f"{shown(track.tracknumber, 60)} ({', '.join(row.changes)})"
            )
        for remark in row.remarks:
            err(f"{name}: line {row.line}: {shown(remark)}")
    return list(plan.entries), plan.rejected


def _lines(rows: Sequence[Any], shown_at_most: int = 10) -> str:
    lines = [str(row.line) for row in rows]
    more = f" and {len(lines) - shown_at_most} more" if len(lines) > shown_at_most else ""
    return ", ".join(lines[:shown_at_most]) + more


LINT_SHOWN = 20  # findings `stage` prints about the orders it staged; the composer shows all


def _max_discount_of(profile: str) -> Decimal:
    """The profile's max_discount, for the lint of what ``stage`` staged (the default when
    the profile is not in config.toml: settings from the environment, a demo's store)."""
    from .config import DEFAULT_MAX_DISCOUNT, load_config

    chosen = load_config().profiles.get(profile)
    return chosen.max_discount if chosen is not None else DEFAULT_MAX_DISCOUNT


def cmd_stage(args: argparse.Namespace) -> int:
    """Stage a file's entries in the profile's store, for review in the TUI; nothing is sent.

    The password is read first when a variable or a command gives it (``CCNOW_PASSWORD``,
    ``password_env``, ``password_command``): every message about the file masks it, and a
    note or tracking field holding it is refused (nothing staged). A password that would be
    typed is not asked for: such a field then reaches the store unrecognized, and the TUI,
    which has the password, shows the entry as a lint error and never claims a batch
    holding it (StagingArea); submit refuses it too."""
    import io
    import sqlite3

    from .protocol.batch import Severity
    from .staging import StagingArea
    from .storage.store import StoreError

    columns = {
        role: value
        for role, value in (
            ("order", args.order_column),
            ("carrier", args.carrier_column),
            ("number", args.number_column),
        )
        if value is not None
    }
    if not args.labels and (args.track_only or args.skip_rejected or columns or args.carrier is not None):
        raise UsageError("--track-only, --skip-rejected, --carrier and the --*-column options go with --labels")
    if args.carrier is not None and "carrier" in columns:
        raise UsageError("--carrier sets one carrier for every row; it does not go with --carrier-column")
    profile = offline_profile(args.profile, configured=True)
    know_password_offline(profile)  # before the file is read: its messages mask it
    name, text = read_input_text(args.file)
    rejected = 0
    if args.labels:
        actions, rejected = read_label_actions(
            name,
            text,
            ship=not args.track_only,
            skip_rejected=args.skip_rejected,
            columns=columns,
            carrier=args.carrier,
        )
    else:
        actions = list(read_batch_csv(name, io.StringIO(text, newline="")).staged)  # file order, as typed
    if not actions:
        raise UsageError(f"{name}: no entries in the file; nothing staged")
    store = open_store(profile)
    try:
        # An entry identical to one staged already (or earlier in the file) would send the
        # same thing twice: it is not staged again, and stderr names it.
        actions, repeats = StagingArea(store).split_repeats(actions)
        for a in repeats[:LINT_SHOWN]:
            err(f"not staged again: {shown(a.describe())} is identical to an entry already staged")
        if len(repeats) > LINT_SHOWN:
            err(f"... and {len(repeats) - LINT_SHOWN} more entries identical to ones already staged")
        try:
            added = store.add(actions)  # one transaction: all of them or none
        except (StoreError, OSError, sqlite3.Error) as exc:
            raise UsageError(f"nothing staged: the store {store.path} could not be written: {exc}") from None
        staging = StagingArea(store)
        staging.max_discount = _max_discount_of(profile)
        orders = {a.order_id for a in actions}
        findings = [
            lint
            for lint in staging.lint()
            if lint.order_id in orders and lint.severity in (Severity.ERROR, Severity.WARNING)
        ]
    finally:
        store.close()
    if args.labels:
        err(
            "order statuses were not checked (stage works offline): the composer warns about orders "
            "that are not pending once the TUI has the pending list"
        )
    for lint in findings[:LINT_SHOWN]:
        err(f"lint {lint.severity.value}: {lint.message}")
    if len(findings) > LINT_SHOWN:
        err(f"... and {len(findings) - LINT_SHOWN} more findings: see them in the composer (b)")
    tui = (
        "ccnow-tui --demo" if profile == "demo" else (f"ccnow-tui --profile {profile}" if args.profile else "ccnow-tui")
    )
    err(
        f"{counted(len(added), 'entry', 'entries')} staged in {profile}'s store, nothing sent; review them with "
        f"`{tui}` (b), remove with d (the TUI's u cannot undo a change made by another process)"
    )
    return 1 if rejected else EXIT_OK


def _field_value(value: str) -> str:
    """A field's value in a ``key=value`` line: quoted (JSON style) when it holds blanks,
    quotes, a backslash or ``=``, or is empty, so the line splits back into its fields."""
    import json

    if value and not any(c.isspace() or c in "\"'=\\" for c in value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _entry_record(e: Any) -> dict[str, Any]:
    """One stored entry as `staged` prints it: the action's fields, its state and batch."""
    return {**e.action.to_dict(), "state": e.state.value, "batch_id": e.batch_id, "remark": e.remark}


def cmd_staged(args: argparse.Namespace) -> int:
    """What the profile's store holds that is not settled: staged entries in staging order,
    then the entries of batches in flight or of unknown outcome, then unverified ones."""
    from .storage.store import BatchState

    profile = offline_profile(args.profile, configured=True)
    store = open_store(profile)
    try:
        snap = store.snapshot()
    finally:
        store.close()
    entries = [*snap.staged, *(e for b in snap.held for e in b.entries), *snap.unverified]
    out = sys.stdout
    for e in entries:
        rec = _entry_record(e)
        if args.json:
            out.write(json_line(rec) + "\n")
            continue
        word = rec["state"] if rec["state"] == "staged" else rec["state"].upper()
        parts = [rec["order_id"], word, rec["action"]]
        parts += [f"{k}={_field_value(rec[k])}" for k in ("amount", "trackname", "tracknumber", "notes") if rec[k]]
        if rec["batch_id"]:
            parts.append(f"batch={rec['batch_id']}")
        if rec["remark"]:
            parts.append(f"remark={_field_value(rec['remark'])}")
        out.write(shown(" ".join(parts)) + "\n")
    out.flush()
    said = [f"{counted(len(snap.staged), 'entry', 'entries')} staged"]
    for b in snap.held:
        if b.state is BatchState.SENDING:
            what = f"in flight (SENDING, process {b.pid} on {b.hostname})"
        else:
            what = "of OUTCOME UNKNOWN (reconcile: `ccnow-tui reconcile` or R in the composer)"
        said.append(
            f"batch {b.batch_id} {what}: {counted(len(b.entries), 'entry', 'entries')}, never re-sent by "
            "itself, its orders blocked"
        )
    if snap.unverified:
        said.append(
            f"{counted(len(snap.unverified), 'entry', 'entries')} UNVERIFIED (may already have been "
            "applied: re-stage or forget in the composer)"
        )
    err(f"profile {profile}: " + "; ".join(said))
    return EXIT_OK


def journal_line(row: dict[str, Any]) -> str:
    """One journal line as plain `journal` prints it, split back into its parts by any
    shell-like splitter (``shlex.split``): ``TIME EVENT BATCH RECEIVER ORDER`` (``-``
    where there is none; RECEIVER is ``host/account``), then ``key=value`` for each part
    the line has: ``n``, ``action``, the entry's fields (``notes``, ``amount``,
    ``trackname``, ``tracknumber``), ``outcome``, ``status``, ``message``, ``raw``. A value
    holding a blank, a quote, a backslash or ``=`` (or nothing) is a JSON string
    (``"Damaged box"``); every value is masked first, and control characters are escaped."""
    from .protocol.redact import redact

    def value(text: object) -> str:
        return _field_value(redact(str(text)))

    receiver = f"{row['host'] or '-'}/{row['client_id'] or '-'}"
    parts = [
        value(row["time"]),
        value(row["event"]),
        value(row["batch_id"] or "-"),
        value(receiver),
        value(row["order_id"] or "-"),
    ]
    if row["n"]:
        parts.append(f"n={row['n']}")
    named = [
        ("action", row["action"]),
        *row["fields"].items(),
        ("outcome", row["outcome"]),
        ("status", row["status"]),
        ("message", row["message"]),
        ("raw", row["raw"]),
    ]
    parts += [f"{key}={value(text)}" for key, text in named if text not in (None, "")]
    return shown(" ".join(parts))


def cmd_journal(args: argparse.Namespace) -> int:
    """The audit trail from the store, oldest first."""
    profile = offline_profile(args.profile)
    try:
        orders = [str(o) for o in parse_order_ids(args.orders)]
    except UsageError:
        know_password_offline(profile, quiet=True)  # the message repeats the values: mask the password in them
        raise
    store = open_store(profile)
    out = sys.stdout
    try:
        for row in store.journal(orders, args.since or ""):
            out.write((json_line(row) if args.json else journal_line(row)) + "\n")
    finally:
        store.close()
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from .config import ConfigError, write_config_template

    try:
        path = write_config_template()
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    print(f"created {path} (mode 0600); edit it to set client_id and a password source")
    return EXIT_OK


SCRIPT_COMMANDS = (
    "pending",
    "query ORDER...",
    "submit FILE --yes",
    "reconcile --yes",
    "journal",
    "stage FILE",
    "staged",
)


def not_a_terminal() -> str:
    """Which of standard input, output and error is not a terminal ("" when all three
    are): the TUI reads keys from the first and draws on the last."""
    names = ("standard input", "standard output", "standard error")
    missing = []
    for name, stream in zip(names, (sys.stdin, sys.stdout, sys.stderr), strict=True):
        try:
            if stream is None or not os.isatty(stream.fileno()):
                missing.append(name)
        except (AttributeError, OSError, ValueError):  # closed, or no file descriptor
            missing.append(name)
    return " and ".join([", ".join(missing[:-1]), missing[-1]] if len(missing) > 1 else missing)


def cmd_tui(args: argparse.Namespace) -> int:
    """The TUI, on a terminal only: without one it could neither be seen nor quit (it
    would draw into a file or a pipe for ever), so a script is pointed at a command."""
    missing = not_a_terminal()
    if missing:
        what = "ccnow-tui --demo" if args.demo else "ccnow-tui"
        raise UsageError(
            f"{what} is the interactive TUI and needs a terminal, but {missing} "
            f"{'is' if ' and ' not in missing else 'are'} not one. A script wants a command: "
            + ", ".join(f"`ccnow-tui {c}`" for c in SCRIPT_COMMANDS)
            + " (`ccnow-tui --help` lists them)"
        )
    from .tui.app import run_tui

    return run_tui(args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(sandbox_arguments="sandbox" in argv)
    args = parser.parse_args(argv)
    _merge_options(parser, args)
    try:
        if args.command == "sandbox":
            from .sandbox.command import run_sandbox

            return run_sandbox(args)
        handler = {
            "pending": cmd_pending,
            "query": cmd_query,
            "submit": cmd_submit,
            "init": cmd_init,
            "reconcile": cmd_reconcile,
            "journal": cmd_journal,
            "stage": cmd_stage,
            "staged": cmd_staged,
        }.get(args.command, cmd_tui)
        return handler(args)
    except UsageError as exc:
        err(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        err("interrupted; if a batch was in flight its outcome is unknown: query the orders before re-sending")
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: not worth a traceback. Point stdout at
        # devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # the last line of defence: no traceback reaches the user
        problem = store_problem(exc)
        if problem:
            err(problem)
            return EXIT_USAGE
        err(f"internal error: {type(exc).__name__}: {exc} (please report this; CCNOW_DEBUG=1 shows details)")
        if os.environ.get("CCNOW_DEBUG"):
            import traceback

            from .protocol.redact import safe_text

            print(safe_text("".join(traceback.format_exception(exc)), newlines=True), file=sys.stderr)
        return EXIT_INTERNAL
