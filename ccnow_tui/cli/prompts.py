"""The questions a command asks the operator: y/N, the typed number of entries a large
batch sends, and the API password when nothing else gives it.

Every question is asked on the controlling terminal, never on stdout (a file or a pipe)
and whatever stdin is (`submit -` reads the batch from it); what was typed before the
question showed is discarded first. No terminal (cron, CI, setsid): no answer, and the
caller refuses rather than guess.
"""

from __future__ import annotations

import os

from .output import UsageError, err, shown

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from ..config.load import ConnectionSettings
    from ..protocol.batch import Batch
    from ..protocol.redact import Secret

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


def ask_password(settings: ConnectionSettings) -> Secret:
    """The API password typed on the terminal (getpass: never echoed), for a profile whose
    settings give none; a UsageError when there is no terminal to ask on."""
    if not has_terminal():  # getpass asks on the terminal, whatever stdin is
        raise UsageError(
            f"no API password for profile {settings.profile!r}: set password_command or password_env "
            "in config.toml, or CCNOW_PASSWORD"
        )
    import getpass

    from ..protocol.redact import Secret

    return Secret(getpass.getpass(f"API password for {settings.client_id} ({settings.profile}): "))
