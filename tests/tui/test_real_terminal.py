"""Keys typed ahead in a real terminal: ccnow-tui runs in tmux (a pty, the terminal's own
byte stream, Textual's real driver), and tmux's send-keys writes several keys at once,
as fast typing or an SSH packet does. The pilot tests post the same keys as events;
these prove the bytes a terminal sends are read the same way (esc and the next key in
one read arrive as alt+key)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

TMUX = shutil.which("tmux") or "tmux"  # the test fails, not skips, where tmux is missing


class Terminal:
    """One tmux server of its own (its own socket), one window running ccnow-tui."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.socket = f"ccnow-test-{os.getpid()}-{id(self)}"

    def tmux(self, *args: str) -> str:
        done = subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, *args: str) -> None:
        env = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_STATE_HOME": str(self.home / "state"),
            "XDG_CACHE_HOME": str(self.home / "cache"),
            "TERM": "xterm-256color",
        }
        command = " ".join(
            [
                "env",
                *(f"{k}={shlex.quote(v)}" for k, v in env.items()),
                shlex.quote(sys.executable),
                "-m",
                "ccnow_tui",
                *map(shlex.quote, args),
            ]
        )
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "100", "-y", "30", command)

    def keys(self, *keys: str) -> None:
        """Keys in one send-keys: tmux writes them to the terminal together."""
        self.tmux("send-keys", "-t", "t", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, what: str, seconds: float = 20.0) -> str:
        """The screen once it shows ``text`` (polled: the app answers in its own time)."""
        deadline = time.monotonic() + seconds
        while True:
            shown = self.screen()
            if text in shown:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{shown}")
            time.sleep(0.05)

    def close(self) -> None:
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def terminal(tmp_path):
    term = Terminal(tmp_path)
    try:
        yield term
    finally:
        term.close()


def header(screen: str) -> str:
    return screen.splitlines()[0]


def test_esc_and_a_key_in_one_write_after_the_help_and_the_preview(terminal):
    terminal.start("--demo")
    terminal.wait_for("pending @", "the demo's pending list")
    terminal.keys("?")
    terminal.wait_for("Keys", "the help")
    terminal.keys("Escape", "s")  # one write: the terminal sends ESC s, read as alt+s
    assert "1 staged" in header(terminal.wait_for("1 staged", "the ship staged after the help closed"))
    terminal.keys("b")
    terminal.wait_for("lint:", "the composer")
    terminal.keys("p")
    terminal.wait_for("Exactly what S will POST", "the request preview")
    terminal.keys("Escape", "u")  # closes the preview; u undoes the ship on the composer
    terminal.wait_for("undone (0 staged)", "the undo after the preview closed")


def test_the_first_run_form_takes_shift_tab_ctrl_a_ctrl_k_typed_ahead(terminal):
    terminal.start()
    terminal.wait_for("not set up yet", "the first-run form")
    # In the client id: C1; back to the URL, to its start, cut it, type another; then on.
    terminal.keys("C1", "BTab", "C-a", "C-k", "http://127.0.0.1:9/x", "Tab", "End", "2")
    screen = terminal.wait_for("C12", "the keys typed ahead")
    url_row = next(line for line in screen.splitlines() if "Receiver URL" in line)
    assert "http://127.0.0.1:9/x" in url_row and "ccnow.com" not in url_row
    client_row = next(line for line in screen.splitlines() if "Client id" in line)
    assert "C12" in client_row and "http" not in client_row
