"""The sandbox receiver: a local stand-in for CCNow's order receiver (standard library only).

Behaves as docs/protocol.md says the real one does, with faults on demand. The TUI's
``--demo`` embeds :class:`SandboxServer`; ``ccnow-tui sandbox`` runs it in the foreground.
"""

from .command import add_sandbox_arguments, run_sandbox
from .faults import Fault, FaultKind, parse_fault
from .orders import ARRIVAL_STEP, OrderRecord, SandboxBook, Tracking
from .server import RECEIVER_PATH, SandboxConfig, SandboxServer

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
