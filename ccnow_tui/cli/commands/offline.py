"""The commands that contact no receiver: `stage`, `staged`, `journal` and `init`.

They load no network stack (tests/test_startup_imports.py checks it). `stage` writes the
profile's store (one transaction: every entry of the file or none); `staged` and
`journal` read it; `init` writes config.toml and opens no store.
"""

from __future__ import annotations

import sys

from ...words import counted
from ..csv_input import read_batch_csv, read_input_text, read_label_actions
from ..output import EXIT_OK, UsageError, err, json_line, shown
from ..parsing import parse_order_ids
from .profile import know_password_offline, offline_profile, open_store

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up
if TYPE_CHECKING:
    import argparse
    from decimal import Decimal
    from typing import Any

LINT_SHOWN = 20  # findings `stage` prints about the orders it staged; the composer shows all


def _max_discount_of(profile: str) -> Decimal:
    """The profile's max_discount, for the lint of what ``stage`` staged (the default when
    the profile is not in config.toml: settings from the environment, a demo's store)."""
    from ...config.load import DEFAULT_MAX_DISCOUNT, load_config

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

    from ...domain.staging import StagingArea
    from ...protocol.batch import Severity
    from ...storage.store import StoreError

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
    from ...storage.store import BatchState

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
    from ...protocol.redact import redact

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
    from ...config.load import ConfigError, write_config_template

    try:
        path = write_config_template()
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    print(f"created {path} (mode 0600); edit it to set client_id and a password source")
    return EXIT_OK


COMMANDS = {"stage": cmd_stage, "staged": cmd_staged, "journal": cmd_journal, "init": cmd_init}
