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
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("CCNOW_") and "proxy" not in k.lower() and not k.startswith("SSL_CERT")}
    clean.update(XDG_CONFIG_HOME=str(dirs.config_home), XDG_DATA_HOME=str(dirs.data_home))
    clean.update(env or {})
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("capture_output", True)
    return subprocess.run([sys.executable, "-m", "ccnow_tui", *args], text=True, env=clean, timeout=timeout, **kw)


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr


# -- journal --since ------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["99999999999d", "9" * 40 + "m", "2562047788015216h", "0001-01-01",
                                  "9999-12-31T23:59-05:00"])
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


@pytest.mark.parametrize("option, value", [("--orders", "99999999999"), ("--orders", "200001"),
                                           ("--arrivals", "1e12"), ("--arrivals", "inf")])
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
        proc = ccnow(["--demo"] if demo else [], dirs=isolated_dirs, stdout=stdout, stderr=subprocess.PIPE,
                     capture_output=False, timeout=30)
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
    proc = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, text=True, env=env,
                          timeout=30, stdin=subprocess.DEVNULL)
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
    write_config(isolated_dirs, f'[profiles.shop]\nclient_id = "C1"\nurl = "https://127.0.0.1:9/x"\n'
                                f'password_command = "{command}"\n')
    proc = ccnow(["pending"], dirs=isolated_dirs, timeout=50)
    no_traceback(proc)
    assert proc.returncode == 2
    assert "password_command" in proc.stderr and "printed more than 64 KiB" in proc.stderr and "stopped" in proc.stderr
    assert "pw-first-line" not in proc.stderr + proc.stdout


def test_password_command_output_within_the_cap_still_works(isolated_dirs, tmp_path):
    from ccnow_tui.config import load_config, resolve_connection

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
    path.write_bytes(b"\xef\xbb\xbf" + b'default_profile = "shop"\n[profiles.shop]\nclient_id = "C1"\n'
                     b'[keys]\n"app.help" = "f2"\n')
    proc = ccnow(["journal"], dirs=isolated_dirs)
    assert proc.returncode == 0, proc.stderr
    from ccnow_tui.config import load_config

    config = load_config(path)
    assert config.default_profile == "shop" and config.keys.keys == {"app.help": "f2"}
    assert config.keys.places["app.help"] == f"{path}: line 5: "


@pytest.mark.timeout(60)
@pytest.mark.parametrize("nested", [False, True])
def test_a_large_keys_table_is_read_in_linear_time_with_every_line_named(isolated_dirs, nested):
    """10,000 entries: the quadratic scan took 93 s for 2,500 on this machine (about 25
    minutes for these); one pass takes well under a second."""
    from ccnow_tui.config import load_config

    n = 10_000
    head = ['[profiles.shop]', 'client_id = "C1"']
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
