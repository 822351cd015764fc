"""Bad surroundings (issue 17 §4): out-of-range values, broken proxies, certificates,
name servers, stores and config files, no terminal. Each ends with exit 2 (or 4) and a
message naming the cause, or finishes within its limits; never a traceback or exit 70.

Where the exit code matters, the real ``ccnow-tui`` command runs in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def ccnow(args, *, dirs, env=None, timeout=60, **kw) -> subprocess.CompletedProcess:
    """``python -m ccnow_tui ARGS`` with the test's own config and data folders and no
    CCNOW_* or proxy settings of the machine running the tests."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CCNOW_") and "proxy" not in k.lower() and not k.startswith("SSL_CERT")
    }
    clean.update(XDG_CONFIG_HOME=str(dirs.config_home), XDG_DATA_HOME=str(dirs.data_home))
    clean.update(env or {})
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("capture_output", True)
    return subprocess.run([sys.executable, "-m", "ccnow_tui", *args], text=True, env=clean, timeout=timeout, **kw)


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr


# -- journal --since ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when", ["99999999999d", "9" * 40 + "m", "2562047788015216h", "0001-01-01", "9999-12-31T23:59-05:00"]
)
def test_journal_since_out_of_range_is_a_usage_error_naming_it(isolated_dirs, when):
    proc = ccnow(["journal", f"--since={when}"], dirs=isolated_dirs)
    no_traceback(proc)
    assert proc.returncode == 2
    assert repr(when) in proc.stderr and "out of range" in proc.stderr


@pytest.mark.parametrize("when", ["٣d", "²h", "３m"])
def test_journal_since_age_is_ascii_digits(isolated_dirs, when):
    proc = ccnow(["journal", f"--since={when}"], dirs=isolated_dirs)
    no_traceback(proc)
    assert proc.returncode == 2 and repr(when) in proc.stderr


def test_journal_since_in_range_still_works(isolated_dirs):
    for when in ("7d", "739000d", "2026-11-27", "2026-11-27T14:00+02:00"):
        proc = ccnow(["journal", f"--since={when}"], dirs=isolated_dirs)
        assert proc.returncode == 0, proc.stderr


# -- sandbox bounds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option, value",
    [("--orders", "99999999999"), ("--orders", "200001"), ("--arrivals", "1e12"), ("--arrivals", "inf")],
)
def test_sandbox_refuses_sizes_past_its_bounds(isolated_dirs, option, value):
    # timeout: today --orders 99999999999 grows for minutes before it fails
    proc = ccnow(["sandbox", "--port", "0", option, value], dirs=isolated_dirs, timeout=30)
    no_traceback(proc)
    assert proc.returncode == 2 and repr(value) in proc.stderr and option in proc.stderr


def test_sandbox_book_bounds_orders_and_arrivals():
    from ccnow_tui.sandbox.orders import DEMO_STATES, MAX_ARRIVALS, MAX_ORDERS, SandboxBook

    with pytest.raises(ValueError, match="200,000"):
        SandboxBook(orders=MAX_ORDERS + 1)
    with pytest.raises(ValueError):
        SandboxBook(arrivals=MAX_ARRIVALS * 2)
    now = [0.0]
    book = SandboxBook(orders=MAX_ORDERS - 5, seed=1, arrivals=MAX_ARRIVALS, clock=lambda: now[0])
    now[0] = 3600.0  # an hour of arrivals would be 36,000 more orders
    assert len(book) == MAX_ORDERS + len(DEMO_STATES)


# -- the TUI without a terminal ---------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("demo", [False, True])
def test_tui_without_a_terminal_exits_2_and_names_the_commands(isolated_dirs, tmp_path, demo):
    out = tmp_path / "out"
    with open(out, "w") as stdout:
        proc = ccnow(
            ["--demo"] if demo else [],
            dirs=isolated_dirs,
            stdout=stdout,
            stderr=subprocess.PIPE,
            capture_output=False,
            timeout=30,
        )
    no_traceback(proc)
    assert proc.returncode == 2
    assert "needs a terminal" in proc.stderr and "standard input, standard output and standard error" in proc.stderr
    assert "`ccnow-tui pending`" in proc.stderr and "`ccnow-tui submit FILE --yes`" in proc.stderr
    assert out.read_text() == ""


@pytest.mark.timeout(60)
def test_tui_on_a_terminal_with_output_to_a_file_names_standard_output(isolated_dirs, tmp_path):
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_")}
    env.update(XDG_CONFIG_HOME=str(isolated_dirs.config_home), XDG_DATA_HOME=str(isolated_dirs.data_home))
    command = f"{sys.executable} -m ccnow_tui --demo > {out}; echo rc=$?"
    proc = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert "rc=2" in proc.stdout
    assert "but standard output is not one" in proc.stdout


# -- password_command output --------------------------------------------------------------


def write_config(dirs, text: str) -> Path:
    path = dirs.config_home / "ccnow-tui" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", ["yes", "yes pw-first-line-ccnow", "head -c 70000 /dev/zero"])
def test_password_command_that_prints_without_end_is_stopped_at_the_cap(isolated_dirs, command):
    write_config(
        isolated_dirs,
        f'[profiles.shop]\nclient_id = "C1"\nurl = "https://127.0.0.1:9/x"\npassword_command = "{command}"\n',
    )
    proc = ccnow(["pending"], dirs=isolated_dirs, timeout=50)
    no_traceback(proc)
    assert proc.returncode == 2
    assert "password_command" in proc.stderr and "printed more than 64 KiB" in proc.stderr and "stopped" in proc.stderr
    assert "pw-first-line" not in proc.stderr + proc.stdout


def test_password_command_output_within_the_cap_still_works(isolated_dirs, tmp_path):
    from ccnow_tui.config.load import load_config, resolve_connection

    script = tmp_path / "pw.sh"
    script.write_text("#!/bin/sh\necho the-password\nhead -c 60000 /dev/zero\n")
    script.chmod(0o700)
    write_config(isolated_dirs, f'[profiles.shop]\nclient_id = "C1"\npassword_command = "{script}"\n')
    settings = resolve_connection(load_config(), None, env={})
    assert settings.password is not None and settings.password.reveal() == "the-password"


# -- config.toml: FIFO, BOM, a large [keys] table -----------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", [["journal"], ["pending"], ["staged"]])
def test_config_that_is_a_fifo_is_refused_not_waited_on(isolated_dirs, command):
    path = isolated_dirs.config_home / "ccnow-tui" / "config.toml"
    path.parent.mkdir(parents=True, mode=0o700)
    os.mkfifo(path, 0o600)
    proc = ccnow(command, dirs=isolated_dirs, timeout=30)
    no_traceback(proc)
    assert proc.returncode == 2
    assert f"{path} is a named pipe (FIFO), not a regular file" in proc.stderr


@pytest.mark.timeout(60)
def test_config_that_is_a_device_is_refused(isolated_dirs):
    path = isolated_dirs.config_home / "ccnow-tui" / "config.toml"
    path.parent.mkdir(parents=True, mode=0o700)
    path.symlink_to("/dev/zero")
    proc = ccnow(["journal"], dirs=isolated_dirs, timeout=30)
    no_traceback(proc)
    assert proc.returncode == 2 and "is a character device, not a regular file" in proc.stderr


def test_config_with_a_utf8_bom_is_read(isolated_dirs):
    path = write_config(isolated_dirs, "")
    path.write_bytes(
        b"\xef\xbb\xbf" + b'default_profile = "shop"\n[profiles.shop]\nclient_id = "C1"\n[keys]\n"app.help" = "f2"\n'
    )
    proc = ccnow(["journal"], dirs=isolated_dirs)
    assert proc.returncode == 0, proc.stderr
    from ccnow_tui.config.load import load_config

    config = load_config(path)
    assert config.default_profile == "shop" and config.keys.keys == {"app.help": "f2"}
    assert config.keys.places["app.help"] == f"{path}: line 5: "


@pytest.mark.timeout(60)
@pytest.mark.parametrize("nested", [False, True])
def test_a_large_keys_table_is_read_in_linear_time_with_every_line_named(isolated_dirs, nested):
    """10,000 entries: the quadratic scan took 93 s for 2,500 on this machine (about 25
    minutes for these); one pass takes well under a second."""
    from ccnow_tui.config.load import load_config

    n = 10_000
    head = ["[profiles.shop]", 'client_id = "C1"']
    if nested:
        body = [line for i in range(n) for line in (f"[keys.group{i}]", 'act = "f1"')]
    else:
        body = ["[keys]", *(f'"x.id{i}" = "f{i % 12 + 1}"' for i in range(n))]
    path = write_config(isolated_dirs, "\n".join(head + body) + "\n")
    config = load_config(path)
    assert len(config.keys.keys) == n
    last = f"group{n - 1}.act" if nested else f"x.id{n - 1}"
    assert config.keys.places[last] == f"{path}: line {len(head) + len(body)}: "
    first = "group0.act" if nested else "x.id0"
    assert config.keys.places[first] == f"{path}: line {len(head) + 2}: "


# -- a damaged store ------------------------------------------------------------------------------


def sandbox_env(sandbox) -> dict[str, str]:
    return {"CCNOW_URL": sandbox.url, "CCNOW_CLIENT_ID": "demo", "CCNOW_PASSWORD": sandbox.config.password}


def env_store_with_two_entries(sandbox) -> Path:
    """The store of profile ``env`` (settings from CCNOW_* alone) with an adjust and a ship staged."""
    from ccnow_tui.protocol import StagedAction
    from ccnow_tui.storage.store import Store

    a, b = sandbox.book.pending()[:2]
    with Store.for_profile("env") as store:
        store.add([StagedAction.make(a, "adjust", amount="5"), StagedAction.make(b, "ship")])
        return store.path


def damage(path: Path, *statements: str) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "column, value, said",
    [
        ("amount", "'abc'", "amount 'abc' is not an amount"),
        ("amount", "'NaN'", "amount 'NaN' is not an amount"),
        ("amount", "'-5'", "amount '-5' is not an amount"),
        ("action", "'fly'", "action 'fly' is not an action"),
        ("order_id", "'39610114x'", "order_id '39610114x' is not an order number"),
        ("order_id", "'\u0663\u0669\u0666-10-1142'", "is not an order number"),
        ("state", "'weird'", "state 'weird' is not an entry's state"),
        ("notes", "x'00ff'", "notes b'\\x00\\xff' is not text"),
    ],
)
@pytest.mark.parametrize("command", [["staged"], ["submit", "-", "--yes"]])
def test_a_bad_value_in_a_row_is_exit_2_naming_store_and_row(isolated_dirs, sandbox, column, value, said, command):
    path = env_store_with_two_entries(sandbox)
    damage(path, f"UPDATE entries SET {column} = {value} WHERE id = 1")
    before = sandbox.requests_seen
    order = sandbox.book.pending()[2]
    proc = ccnow(
        command, dirs=isolated_dirs, env=sandbox_env(sandbox), stdin=None, input=f"order_id,action\n{order},ship\n"
    )
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert f"the store {path} is damaged: table entries, row id 1: " in proc.stderr and said in proc.stderr
    assert sandbox.requests_seen == before  # nothing sent


@pytest.mark.parametrize(
    "statement, said",
    [
        ("DROP TABLE events", "table 'events' is missing"),
        ("DROP TABLE batches", "table 'batches' is missing"),
        ("ALTER TABLE entries DROP COLUMN remark", "table 'entries' has no column 'remark'"),
    ],
)
@pytest.mark.parametrize("command", [["staged"], ["journal"], ["stage", "-"], ["submit", "-", "--yes"]])
def test_a_missing_table_is_exit_2_naming_store_and_table(isolated_dirs, sandbox, statement, said, command):
    path = env_store_with_two_entries(sandbox)
    damage(path, statement)
    before = sandbox.requests_seen
    order = sandbox.book.pending()[2]
    proc = ccnow(
        command, dirs=isolated_dirs, env=sandbox_env(sandbox), stdin=None, input=f"order_id,action\n{order},ship\n"
    )
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert f"the store {path} is damaged: {said}" in proc.stderr
    assert sandbox.requests_seen == before


def test_a_journal_line_whose_fields_are_not_json_is_exit_2(isolated_dirs, sandbox):
    path = env_store_with_two_entries(sandbox)
    damage(
        path,
        "INSERT INTO events (time, kind, order_id, fields) VALUES ('2026-01-01T00:00:00', 'staged', "
        "'396-10-1142', '{not json')",
    )
    proc = ccnow(["journal"], dirs=isolated_dirs, env=sandbox_env(sandbox))
    no_traceback(proc)
    assert proc.returncode == 2
    assert f"the store {path} is damaged: table events, the line of '2026-01-01T00:00:00'" in proc.stderr


def run_on_a_terminal(argv, env, *, wait_for: str, keys: bytes) -> tuple[int, str, str]:
    """Run ``argv`` on a pseudo-terminal of 100x30: read the screen until ``wait_for``
    shows (escape sequences taken out), type ``keys``, read to the end. The exit status,
    the screen text before the keys, and everything written after them (raw)."""
    import fcntl
    import pty
    import re
    import select
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen, after, typed = b"", b"", False
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, "the terminal stayed silent for a minute"
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the other end is closed, the program ended
                break
            if not data:
                break
            if typed:
                after += data
                continue
            seen += data
            text = re.sub(r"\x1b\[[0-9;?<>=$]*[A-Za-z~]|\x1b\][^\x07]*\x07", "", seen.decode("utf-8", "replace"))
            if wait_for in text:
                os.write(master, keys)
                typed = True
        return proc.wait(timeout=60), text, after.decode("utf-8", "replace")
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.timeout(120)
def test_the_tui_shows_a_damaged_store_then_exits_2(isolated_dirs, sandbox):
    path = env_store_with_two_entries(sandbox)
    damage(path, "UPDATE entries SET amount = 'abc' WHERE id = 1")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_")}
    env.update(
        sandbox_env(sandbox),
        XDG_CONFIG_HOME=str(isolated_dirs.config_home),
        XDG_DATA_HOME=str(isolated_dirs.data_home),
        TERM="xterm-256color",
    )
    # Waits for the end of the message: its start can arrive in a read of its own.
    status, screen, after = run_on_a_terminal(
        [sys.executable, "-m", "ccnow_tui"], env, wait_for="is damaged", keys=b"q"
    )
    assert "store cannot be used" in screen and "is damaged" in screen  # shown on the screen first
    assert status == 2
    assert f"the store {path} is damaged: table entries, row id 1: amount 'abc' is not an amount" in after


# -- the store cannot record the answer --------------------------------------------------------


class LockingReceiver:
    """A receiver that, once the batch has arrived, locks the client's store (another
    program holding a write transaction) and then answers it in the protocol's words:
    the batch is applied, and its answer cannot be recorded."""

    def __init__(self, store_path: Path) -> None:
        import http.server
        import sqlite3
        import threading

        self.lock = sqlite3.connect(store_path, isolation_level=None, check_same_thread=False)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                from urllib.parse import parse_qs

                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                orders = [v[0] for k, v in sorted(form.items()) if k.startswith("x_orderid_")]
                receiver.lock.execute("BEGIN EXCLUSIVE")
                body = "".join(
                    f"{o[:3]}-{o[3:5]}-{o[5:]} mark_shipped\n" if "-" not in o else f"{o} mark_shipped\n"
                    for o in orders
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-local/oapi_receive.cgi"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.lock.in_transaction:
            self.lock.execute("ROLLBACK")
        self.lock.close()


@pytest.mark.timeout(120)
def test_an_answer_the_locked_store_cannot_record_is_exit_4_kept_unknown(isolated_dirs, tmp_path):
    from ccnow_tui.storage.store import BatchState, Store

    with Store.for_profile("env") as store:
        path = store.path
    receiver = LockingReceiver(path)
    env = {"CCNOW_URL": receiver.url, "CCNOW_CLIENT_ID": "demo", "CCNOW_PASSWORD": "locking-Pw-1"}
    try:
        proc = ccnow(
            ["submit", "-", "--yes"],
            dirs=isolated_dirs,
            env=env,
            stdin=None,
            input="order_id,action\n396-10-1142,ship\n396-10-1143,ship\n",
            timeout=100,
        )
    finally:
        receiver.close()
    no_traceback(proc)
    assert proc.returncode == 4, proc.stderr
    assert "WAS SENT, but its outcome could not be recorded" in proc.stderr and str(path) in proc.stderr
    assert "OUTCOME UNKNOWN and never re-sent" in proc.stderr
    # Once the store can be written again, the batch is held as unknown: never re-sent, never "applied".
    with Store.for_profile("env") as store:
        held = store.snapshot().held
    assert [b.state for b in held] == [BatchState.UNKNOWN]
    assert sorted(e.order_id for e in held[0].entries) == ["396-10-1142", "396-10-1143"]


# -- proxy and trust-store variables -------------------------------------------------------------

HTTPS_RECEIVER = {
    "CCNOW_URL": "https://127.0.0.1:9/cgi-local/oapi_receive.cgi",
    "CCNOW_CLIENT_ID": "demo",
    "CCNOW_PASSWORD": "proxy-Pw-77",
}


@pytest.mark.parametrize(
    "name, value",
    [
        ("HTTPS_PROXY", "socks5://user:hunter2secret@127.0.0.1:1080"),
        ("https_proxy", "socks5h://127.0.0.1:1080"),
        ("HTTPS_PROXY", "::::"),
        ("HTTPS_PROXY", "ftp://user:hunter2secret@proxy.example:21"),
        ("ALL_PROXY", "gopher://proxy.example"),
        ("all_proxy", "http://[::1"),
        ("HTTP_PROXY", "ftp://user:hunter2secret@proxy.example"),
    ],
)
@pytest.mark.parametrize("command", [["pending"], ["query", "396-10-1142"]])
def test_an_unusable_proxy_variable_is_exit_2_naming_it_never_its_value(isolated_dirs, name, value, command):
    if "socks" in value:
        import importlib.util

        assert importlib.util.find_spec("socksio") is None, "this case is about socksio missing"
    proc = ccnow(["--timeout", "2", *command], dirs=isolated_dirs, env={**HTTPS_RECEIVER, name: value})
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert f"the environment variable {name} " in proc.stderr
    assert "hunter2secret" not in proc.stderr + proc.stdout and value not in proc.stderr


def test_a_usable_proxy_variable_is_still_used(isolated_dirs):
    # A proxy that refuses connections: the request never leaves (exit 3), no usage error.
    proc = ccnow(
        ["--timeout", "2", "pending"], dirs=isolated_dirs, env={**HTTPS_RECEIVER, "HTTPS_PROXY": "http://127.0.0.1:9"}
    )
    no_traceback(proc)
    assert proc.returncode == 3, proc.stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["missing", "not pem", "fifo", "folder"])
def test_an_unusable_ssl_cert_file_is_exit_2_naming_it(isolated_dirs, tmp_path, kind):
    path = tmp_path / "ca.pem"
    if kind == "not pem":
        path.write_text("this is no certificate\n")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    proc = ccnow(
        ["--timeout", "2", "pending"],
        dirs=isolated_dirs,
        env={**HTTPS_RECEIVER, "SSL_CERT_FILE": str(path)},
        timeout=50,
    )
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert f"the environment variable SSL_CERT_FILE names {str(path)!r}" in proc.stderr


def test_an_ssl_cert_dir_that_is_no_folder_is_exit_2(isolated_dirs, tmp_path):
    proc = ccnow(
        ["--timeout", "2", "pending"],
        dirs=isolated_dirs,
        env={**HTTPS_RECEIVER, "SSL_CERT_DIR": str(tmp_path / "nowhere")},
    )
    no_traceback(proc)
    assert proc.returncode == 2 and "SSL_CERT_DIR" in proc.stderr


def test_proxy_variables_are_read_as_urllib_reads_them():
    from ccnow_tui.client import proxy_variables

    env = {
        "HTTPS_PROXY": "a",
        "https_proxy": "b",
        "ALL_PROXY": "c",
        "no_proxy": "x",
        "FTP_PROXY": "d",
        "TRAVIS_APT_PROXY": "e",
        "HTTP_PROXY": "f",
        "REQUEST_METHOD": "GET",
    }
    assert sorted(proxy_variables(env)) == [("ALL_PROXY", "c"), ("https_proxy", "b")]


# -- a name server that never answers; one budget for a read's retries ---------------------------

HANGING_RESOLVER = """
import socket, sys, threading
_real = socket.getaddrinfo
def _never_answers(host, *args, **kwargs):
    if host in ("receiver.invalid", b"receiver.invalid"):
        threading.Event().wait(600)  # a name server that never answers
    return _real(host, *args, **kwargs)
socket.getaddrinfo = _never_answers
from ccnow_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("command", [["pending"], ["query", "396-10-1142"], ["submit", "-", "--yes"]])
def test_a_name_server_that_never_answers_is_bounded_by_the_timeout(isolated_dirs, command):
    """The environment is hostile, not our code: getaddrinfo itself never returns. The
    command ends within its --timeout (measured: about 2 s of lookup plus start-up),
    not when the resolver thread gives up (here: never)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_") and "proxy" not in k.lower()}
    env.update(
        XDG_CONFIG_HOME=str(isolated_dirs.config_home),
        XDG_DATA_HOME=str(isolated_dirs.data_home),
        CCNOW_URL="https://receiver.invalid/cgi-local/oapi_receive.cgi",
        CCNOW_CLIENT_ID="demo",
        CCNOW_PASSWORD="dns-Pw-5",
    )
    proc = subprocess.run(
        [sys.executable, "-c", HANGING_RESOLVER, "--timeout", "2", *command],
        env=env,
        input="order_id,action\n396-10-1142,ship\n",
        capture_output=True,
        text=True,
        timeout=90,
    )  # today: the 600 s of the resolver
    no_traceback(proc)
    assert proc.returncode == 3, proc.stderr  # never sent: the lookup never ended
    assert "cannot reach receiver.invalid" in proc.stderr and "nothing was sent" in proc.stderr


class SilentReceiver:
    """Accepts connections and never answers; counts them."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/cgi-local/oapi_receive.cgi"
        self.accepted: list = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.mark.timeout(120)
def test_a_reads_retries_share_one_budget(isolated_dirs):
    """--timeout bounds the whole read: an attempt that used it all up is not followed by
    another (there were three of --timeout each, plus the waits between them)."""
    receiver = SilentReceiver()
    try:
        proc = ccnow(
            ["--timeout", "2", "pending"],
            dirs=isolated_dirs,
            env={"CCNOW_URL": receiver.url, "CCNOW_CLIENT_ID": "demo", "CCNOW_PASSWORD": "silent-Pw-3"},
        )
    finally:
        receiver.close()
    no_traceback(proc)
    assert proc.returncode == 4, proc.stderr  # a read cut off / timed out
    assert "retrying" not in proc.stderr
    assert len(receiver.accepted) == 1


# -- a profile folder others can write ----------------------------------------------------------


def profile_folder(dirs) -> Path:
    return dirs.data_home / "ccnow-tui" / "profiles" / "env"


@pytest.mark.parametrize(
    "case",
    [
        "link to a world-writable sticky folder",
        "link to a world-writable folder",
        "group-writable",
        "world-writable and sticky",
        "parent world-writable",
    ],
)
def test_a_profile_folder_others_can_write_is_refused_naming_it_and_the_fix(isolated_dirs, tmp_path, case):
    folder = profile_folder(isolated_dirs)
    folder.parent.mkdir(parents=True, mode=0o700)
    if case.startswith("link"):
        shared = tmp_path / "shared"
        shared.mkdir()
        shared.chmod(0o1777 if "sticky" in case else 0o777)
        folder.symlink_to(shared)
        named, fix = shared, f"chmod 700 {shared}"
    elif case == "parent world-writable":
        folder.mkdir(mode=0o700)
        folder.parent.chmod(0o777)
        named, fix = folder.parent, f"chmod go-w {folder.parent}"
    else:
        folder.mkdir()
        folder.chmod(0o770 if case == "group-writable" else 0o1777)
        named, fix = folder, f"chmod 700 {folder}"
    for command in (["staged"], ["journal"], ["submit", "-", "--yes"]):
        proc = ccnow(
            command,
            dirs=isolated_dirs,
            env={"CCNOW_URL": "http://127.0.0.1:9/x", "CCNOW_CLIENT_ID": "demo", "CCNOW_PASSWORD": "perm-Pw-9"},
            stdin=None,
            input="order_id,action\n396-10-1142,ship\n",
        )
        no_traceback(proc)
        assert proc.returncode == 2, (command, proc.stderr)
        assert str(named) in proc.stderr and "can be written by" in proc.stderr and f"`{fix}`" in proc.stderr
    assert not (named / "store.sqlite3").exists() or case == "parent world-writable"


def test_a_private_profile_folder_below_a_sticky_shared_folder_is_used(isolated_dirs, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp is
    own = shared / "mine"
    own.mkdir(mode=0o700)
    folder = profile_folder(isolated_dirs)
    folder.parent.mkdir(parents=True, mode=0o700)
    folder.symlink_to(own)
    proc = ccnow(["staged"], dirs=isolated_dirs, env={"CCNOW_CLIENT_ID": "demo"})
    assert proc.returncode == 0, proc.stderr
    assert (own / "store.sqlite3").exists()


@pytest.mark.timeout(180)
def test_the_tui_quits_at_once_while_a_name_lookup_hangs(isolated_dirs):
    """q after the lookup timed out: the TUI ends now, not when the resolver thread
    returns (here: never; before, the exit waited for asyncio's executor thread)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_") and "proxy" not in k.lower()}
    env.update(
        XDG_CONFIG_HOME=str(isolated_dirs.config_home),
        XDG_DATA_HOME=str(isolated_dirs.data_home),
        CCNOW_URL="https://receiver.invalid/cgi-local/oapi_receive.cgi",
        CCNOW_CLIENT_ID="demo",
        CCNOW_PASSWORD="dns-Pw-6",
        TERM="xterm-256color",
    )
    status, _, _ = run_on_a_terminal(
        [sys.executable, "-c", HANGING_RESOLVER, "--timeout", "2"], env, wait_for="cannot reach", keys=b"q"
    )
    assert status == 0
