"""`pending` and `query`: reads from the receiver, printed as they stream in.

A read opens no store and writes nothing: it needs the profile's settings, the client
and the printer only.
"""

from __future__ import annotations

import sys

from ..output import Printer, drive
from ..parsing import parse_order_ids
from .profile import connection_settings, open_client

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up
if TYPE_CHECKING:
    import argparse
    from collections.abc import AsyncIterator, Callable

    from ...client import ClientEvent, ReceiverClient
    from ...config.load import ConnectionSettings


async def _with_client(
    args: argparse.Namespace,
    make_events: Callable[[ReceiverClient], AsyncIterator[ClientEvent]],
    printer: Printer,
    settings: ConnectionSettings | None = None,
) -> int:
    client = open_client(args, settings)
    async with client:
        return (await drive(make_events(client), printer, read_only=True)).exit_code


def cmd_pending(args: argparse.Namespace) -> int:
    from ...client import run_network

    return run_network(_with_client(args, lambda c: c.pending(), Printer(args.json, sys.stdout)))


def cmd_query(args: argparse.Namespace) -> int:
    from ...client import run_network

    settings = connection_settings(args)  # a password from a variable or a command: masked in what follows
    ids = parse_order_ids(args.orders)
    return run_network(_with_client(args, lambda c: c.query(ids), Printer(args.json, sys.stdout), settings))


COMMANDS = {"pending": cmd_pending, "query": cmd_query}
