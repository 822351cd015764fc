"""The command line's grammar: the parser, its commands and options, their help, and the
checks of each value as it is parsed (a bad one is a usage error, exit 2, nothing sent).

Loaded by every run, so it imports argparse and nothing heavy: a value's check that
needs more (a fault spec, an order number) imports it when it runs.
"""

from __future__ import annotations

import argparse

from .. import __version__
from ..argtypes import number
from .output import UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up
if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..protocol.orderid import OrderId

# Options that may come before the command (where the top-level usage shows them) or after
# it, with the same meaning. argparse lets a subparser's copy of an option overwrite the
# top-level one (or its default overwrite a value given before the command), so the copy
# before the command is kept under PRE + name and merge_options() puts the two together.
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
    from ..sandbox.faults import parse_fault

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
        from ..sandbox.command import add_sandbox_arguments

        add_sandbox_arguments(p)
    # "Not given" must show, so that --client-id/--store-id given before `sandbox` count
    # (run_sandbox applies its defaults to None).
    p.set_defaults(client_id=None, store_id=None)
    return parser


def merge_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
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
            from ..sandbox.faults import parse_fault

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


def parse_order_ids(values: Sequence[str]) -> list[OrderId]:
    from ..protocol.orderid import InvalidOrderId, OrderId

    out, bad = [], []
    for v in values:
        try:
            out.append(OrderId.parse(v))
        except InvalidOrderId as exc:
            bad.append(str(exc))
    if bad:
        raise UsageError("; ".join(bad))
    return out
