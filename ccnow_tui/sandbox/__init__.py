"""The sandbox receiver: a local stand-in for CCNow's order receiver (standard library only).

Behaves as docs/protocol.md says the real one does, with faults on demand. The TUI's
``--demo`` embeds :class:`SandboxServer`; ``ccnow-tui sandbox`` runs it in the foreground.

The names below are loaded when first read (PEP 562): ``--demo`` parses its faults
(``sandbox.faults``) and binds its socket (``sandbox.address``) before its first frame,
and loads the server and the order book only after it (tui/launch.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .address import RECEIVER_PATH
    from .command import add_sandbox_arguments, run_sandbox
    from .faults import Fault, FaultKind, parse_fault
    from .orders import ARRIVAL_STEP, OrderRecord, SandboxBook, Tracking
    from .server import SandboxConfig, SandboxServer

# Each name, and the module of this package that defines it.
_HOMES = {
    "ARRIVAL_STEP": "orders",
    "RECEIVER_PATH": "address",
    "Fault": "faults",
    "FaultKind": "faults",
    "OrderRecord": "orders",
    "SandboxBook": "orders",
    "SandboxConfig": "server",
    "SandboxServer": "server",
    "Tracking": "orders",
    "add_sandbox_arguments": "command",
    "parse_fault": "faults",
    "run_sandbox": "command",
}

__all__ = [
    "ARRIVAL_STEP",
    "RECEIVER_PATH",
    "Fault",
    "FaultKind",
    "OrderRecord",
    "SandboxBook",
    "SandboxConfig",
    "SandboxServer",
    "Tracking",
    "add_sandbox_arguments",
    "parse_fault",
    "run_sandbox",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)


def __dir__() -> list[str]:
    return __all__
