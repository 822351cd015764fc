"""The ``sandbox`` subcommand: run the receiver in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import errno
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Mapping

from ..argtypes import number
from .faults import Fault, FaultKind, parse_fault
from .orders import MAX_ARRIVALS, MAX_ORDERS
from .server import MAX_BODY, SandboxConfig, SandboxServer

PASSWORD_ENV = "CCNOW_SANDBOX_PASSWORD"
DEFAULT_PASSWORD = "demo"
DEFAULT_CLIENT_ID = "demo"
MAX_PASSWORD_LINE = 4096  # bytes of --password-file's first line


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    parser.add_argument("--port", type=_port, default=8642, help="port (default %(default)s; 0 picks a free one)")
    parser.add_argument(
        "--client-id", default=DEFAULT_CLIENT_ID, help=f"x_clientid to accept (default {DEFAULT_CLIENT_ID})"
    )
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--password",
        default=None,
        help=f"x_password to accept (default: ${PASSWORD_ENV}, else {DEFAULT_PASSWORD}); "
        f"shows in ps to every user: prefer --password-file or ${PASSWORD_ENV}",
    )
    secret.add_argument(
        "--password-file",
        default=None,
        metavar="FILE",
        help="read the x_password to accept from the first line of FILE",
    )
    parser.add_argument("--store-id", default="", help="linked store account accepted as x_storeid (default: none)")
    parser.add_argument(
        "--orders",
        type=_orders,
        default=40,
        help=f"pending orders to start with, 0 to {MAX_ORDERS:,} (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=None, help="make the order data deterministic")
    parser.add_argument(
        "--settle",
        type=_non_negative,
        default=None,
        metavar="SECONDS",
        help="mark_shipped/mark_canceled settle this long after the batch (default: never)",
    )
    parser.add_argument(
        "--arrivals",
        type=_arrivals,
        default=0.0,
        metavar="PER_MIN",
        help=f"about this many new orders a minute, 0 to {MAX_ARRIVALS:g} (received -> processing "
        f"-> pending; they stop once the book holds {MAX_ORDERS:,} orders)",
    )
    parser.add_argument(
        "--max-body",
        type=_size,
        default=MAX_BODY,
        metavar="BYTES",
        help=f"answer 413 to request bodies over BYTES (default {MAX_BODY // 2**20}MiB; "
        "K, M and G suffixes count in 1024s)",
    )
    parser.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="KIND[=VALUE][:COUNT][@SCOPE]",
        help=f"inject a fault, repeatable; KIND is one of {', '.join(k.value for k in FaultKind)}; "
        "SCOPE is updates (batches that change orders), reads or all (default)",
    )


def sandbox_password(args: argparse.Namespace, env: Mapping[str, str] = os.environ) -> str:
    """The x_password to accept: --password, else the first line of --password-file, else
    $CCNOW_SANDBOX_PASSWORD (empty counts as unset), else "demo".

    ValueError (naming the file, never its contents) if the file cannot give one.
    """
    given: str | None = args.password  # argparse's Namespace holds Any: say what it is
    if given is not None:
        return given
    if args.password_file is not None:
        return _first_line(args.password_file)
    return env.get(PASSWORD_ENV) or DEFAULT_PASSWORD


def _first_line(path: str) -> str:
    what = f"--password-file {path}"
    try:
        with open(path, "rb") as f:
            line = f.readline(MAX_PASSWORD_LINE + 1)
    except OSError as exc:
        raise ValueError(f"{what}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(line) > MAX_PASSWORD_LINE:
        raise ValueError(f"{what}: its first line is longer than {MAX_PASSWORD_LINE} bytes")
    line = line.split(b"\n", 1)[0].rstrip(b"\r")
    if not line:
        raise ValueError(f"{what}: its first line is empty (expected the password)")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{what}: its first line is not UTF-8 text") from None


def run_sandbox(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; 0 on a clean stop, 2 if it cannot start."""
    try:
        password = sandbox_password(args)
    except ValueError as exc:
        print(f"ccnow sandbox: {exc}", file=sys.stderr)
        return 2
    # None: not given (ccnow-tui's parser sets that default, to tell an option given after
    # `sandbox` from one given before it, which means the same).
    config = SandboxConfig(
        host=args.host,
        port=args.port,
        password=password,
        client_id=DEFAULT_CLIENT_ID if args.client_id is None else args.client_id,
        store_id=args.store_id or "",
        orders=args.orders,
        seed=args.seed,
        settle=args.settle,
        arrivals=args.arrivals,
        faults=list(args.fault),
        max_body=args.max_body,
        log=sys.stderr,
    )
    server = SandboxServer(config)
    try:
        server.start()
    except OSError as exc:
        why = "the port is already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        print(f"ccnow sandbox: cannot listen on {args.host}:{args.port}: {why}", file=sys.stderr)
        return 2
    try:
        print(f"ccnow sandbox receiver listening on {server.url} (client id {config.client_id})", flush=True)
        faults = ", ".join(str(f) for f in config.faults) or "none"
        server.log(f"sandbox: {len(server.book.pending())} pending orders, faults: {faults}; Ctrl-C stops")
        _wait_for_signal()
    finally:
        server.stop()
    return 0


class _Stop(Exception):
    """Raised in the main thread by the SIGTERM handler."""


def _wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM (or KeyboardInterrupt off the main thread)."""

    def on_term(signum: int, frame: object) -> None:
        raise _Stop

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_term) if in_main else None
    try:
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def _fault(text: str) -> Fault:
    try:
        return parse_fault(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_count = number(int, lambda v: v >= 0, "{text!r} is not a whole number >= 0")
# A port is a count first (the same message for "-1" or "x"), then at most 65535.
_port = number(_count, lambda v: v <= 65535, "{text!r} is not a port (0-65535)")
_non_negative = number(float, lambda v: 0 <= v < float("inf"), "{text!r} is not a number >= 0")

_UNIT = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_SIZE = re.compile(r"(\d+)\s*(?:([kmg])(?:i?b)?|b)?", re.ASCII | re.IGNORECASE)


def _bytes(text: str) -> int:
    """16777216, 16M, 16MiB, 512k (suffixes count in 1024s); ValueError if not a size."""
    m = _SIZE.fullmatch(text.strip())
    if not m or len(m[1]) > 15:
        raise ValueError(text)
    return int(m[1]) * _UNIT[(m[2] or "").lower()]


_orders = number(
    int,
    lambda v: 0 <= v <= MAX_ORDERS,
    f"{{text!r}} is not a number of orders from 0 to {MAX_ORDERS:,} (the sandbox keeps every order in memory)",
)
_arrivals = number(
    float, lambda v: 0 <= v <= MAX_ARRIVALS, f"{{text!r}} is not a number of orders a minute from 0 to {MAX_ARRIVALS:g}"
)
_size = number(_bytes, lambda v: v >= 1, "{text!r} is not a size in bytes >= 1 (such as 16777216, 512K or 16M)")
