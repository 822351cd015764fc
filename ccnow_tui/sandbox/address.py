"""Where the sandbox receiver listens: its path, its URL, and a socket bound ahead.

Light on purpose (no HTTP server, no order book): ``ccnow-tui --demo`` binds the
embedded receiver's socket before its first frame, so the session knows the receiver's
address at once, and loads the server itself only after that frame (tui/launch.py). A
request sent in between waits in the socket's backlog until the server takes it.
"""

from __future__ import annotations

import socket

RECEIVER_PATH = "/cgi-local/oapi_receive.cgi"
# socketserver's default backlog of 5 drops the 6th simultaneous connect, and the
# client's TCP stack only retries a second later.
BACKLOG = 128


def receiver_url(host: str, port: int) -> str:
    """The URL a client posts to, for a receiver listening on ``host:port``."""
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}{RECEIVER_PATH}"


def listen(host: str, port: int = 0) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: a free port) and listening (OSError if taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=BACKLOG)
