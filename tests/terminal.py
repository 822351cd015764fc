"""A real terminal for the CLI's questions: a pseudo-terminal the program under test has
as its controlling terminal (``/dev/tty``), as an operator's shell gives it one.

Keys can be typed *ahead*, into the terminal before the program even starts (they wait
in its input queue, exactly where keys typed during a slow start wait), or *after* a
question has shown on the terminal. Nothing here sleeps: each answer waits until its
question's text has appeared.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import termios
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Runs in the child: a session of its own whose controlling terminal is the pty (opening
# a terminal without O_NOCTTY makes it the session's), then the command.
_ATTACH = "import os, sys; os.setsid(); os.close(os.open(sys.argv[1], os.O_RDWR)); os.execvp(sys.argv[2], sys.argv[2:])"
GUARD = 60.0  # seconds without any output before the run is taken as hung (a bound, not a timing)


@dataclass
class TerminalRun:
    returncode: int
    screen: str  # everything the terminal showed: questions, stderr, echoed keys


def run_on_terminal(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    ahead: str = "",
    answers: Sequence[tuple[str, str]] = (),
    stdin: int | None = None,
    stdout: int | None = None,
) -> TerminalRun:
    """Run ``argv`` with a pty as its controlling terminal and stderr.

    ``ahead``: keys in the terminal's input queue before the program starts. ``answers``:
    (text, keys) pairs, in order: once ``text`` has shown on the terminal, ``keys`` are
    typed. ``stdin``/``stdout``: file descriptors (default: the terminal)."""
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[3] |= termios.ICANON | termios.ECHO  # as a shell leaves a terminal: lines, echoed
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    if ahead:
        os.write(master, ahead.encode())
    name = os.ttyname(slave)
    proc = subprocess.Popen(
        [sys.executable, "-c", _ATTACH, name, *argv],
        env=dict(env),
        cwd=cwd,
        stdin=slave if stdin is None else stdin,
        stdout=slave if stdout is None else stdout,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    shown = b""
    pending = list(answers)
    seen_upto = 0  # an answer's text is looked for after the previous answer's
    try:
        while True:
            ready, _, _ = select.select([master], [], [], GUARD)
            if not ready:
                so_far = shown.decode(errors="replace")
                raise AssertionError(f"no output for {GUARD:g} s; the terminal shows:\n{so_far}")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every copy of the terminal's other side is closed
                break
            if not chunk:
                break
            shown += chunk
            while pending:
                text, keys = pending[0]
                at = shown.find(text.encode(), seen_upto)
                if at < 0:
                    break
                seen_upto = at + len(text)
                os.write(master, keys.encode())
                pending.pop(0)
    finally:
        returncode = proc.wait(timeout=GUARD)
        os.close(master)
    assert not pending, f"never shown: {pending[0][0]!r}; the terminal shows:\n{shown.decode(errors='replace')}"
    return TerminalRun(returncode, shown.decode("utf-8", "replace").replace("\r\n", "\n"))
