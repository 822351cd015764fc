"""`submit` honours the profile's confirm_over as the TUI does: a batch that cancels or
discounts more orders than that is sent only when the number of orders it changes is
typed on the terminal (y does not send it), or given as --confirm-count (--yes alone
does not); a wrong number sends nothing. Against the real sandbox over loopback."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest

from ccnow_tui import cli
from ccnow_tui.cli import main


@pytest.fixture
def env(isolated_dirs, sandbox, monkeypatch, tmp_path):
    """A profile with confirm_over = 2, the password from the environment; no terminal
    to ask on for the in-process runs."""
    monkeypatch.setattr(cli, "CONTROLLING_TERMINAL", str(tmp_path / "no-terminal"))
    folder = isolated_dirs.config_home / "ccnow-tui"
    folder.mkdir(parents=True, mode=0o700)
    config = folder / "config.toml"
    config.write_text(f'default_profile = "shop"\n\n[profiles.shop]\nurl = "{sandbox.url}"\n'
                      'client_id = "demo"\npassword_env = "CCNOW_PASSWORD"\nconfirm_over = 2\n')
    config.chmod(0o600)
    monkeypatch.setenv("CCNOW_PASSWORD", sandbox.config.password)
    return sandbox


@pytest.fixture
def term(env, isolated_dirs, tmp_path):
    """Run the CLI under script(1): a real terminal for the question; keys typed ahead."""
    variables = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_")}
    variables.update(CCNOW_PASSWORD=env.config.password, XDG_CONFIG_HOME=str(isolated_dirs.config_home),
                     XDG_DATA_HOME=str(isolated_dirs.data_home))

    def run(args: str, keys: str) -> tuple[subprocess.CompletedProcess, str]:
        line = f"{shlex.quote(sys.executable)} -m ccnow_tui {args} > out.txt"
        proc = subprocess.run(["script", "-qec", line, "/dev/null"], input=keys, capture_output=True, text=True,
                              env=variables, cwd=tmp_path, timeout=60)
        return proc, (tmp_path / "out.txt").read_text()

    return run


def large_batch(env, tmp_path) -> tuple[str, list]:
    """Two cancels and a discount (3 orders: more than confirm_over 2) and a ship: 4 orders changed."""
    a, b, c, d = env.book.pending()[:4]
    path = tmp_path / "large.csv"
    path.write_text(f"order_id,action,notes,amount\n{a},cancel,No stock,\n{b},cancel,No stock,\n"
                    f"{c},adjust,Late,2.50\n{d},ship,,\n")
    return str(path), [a, b, c, d]


def untouched(env, orders, before: int) -> bool:
    return env.requests_seen == before and all(env.book.status(o) == "pending" for o in orders)


def test_at_confirm_over_y_sends(env, term, tmp_path):
    a, b = env.book.pending()[:2]
    path = tmp_path / "small.csv"
    path.write_text(f"order_id,action,notes\n{a},cancel,No stock\n{b},cancel,No stock\n")  # 2: not more than 2
    proc, out = term(f"submit {path}", "y\n")
    assert proc.returncode == 0, proc.stdout
    assert "Send this batch? [y/N]" in proc.stdout
    assert out == f"{a} mark_canceled\n{b} mark_canceled\n"


def test_above_confirm_over_y_is_refused_and_nothing_is_sent(env, term, tmp_path):
    path, orders = large_batch(env, tmp_path)
    before = env.requests_seen
    proc, out = term(f"submit {path}", "y\n")
    assert proc.returncode == 5, proc.stdout
    assert "cancels or discounts 3 orders, more than confirm_over (2)" in proc.stdout
    assert "type 4, the number of orders it changes" in proc.stdout
    assert "y does not send this batch" in proc.stdout and "nothing sent" in proc.stdout
    assert "[y/N]" not in proc.stdout
    assert out == "" and untouched(env, orders, before)


def test_above_confirm_over_a_wrong_number_sends_nothing(env, term, tmp_path):
    path, orders = large_batch(env, tmp_path)
    before = env.requests_seen
    proc, out = term(f"submit {path}", "3\n")  # the orders cancelled or discounted, not those changed
    assert proc.returncode == 5, proc.stdout
    assert "3 is not the number of orders this batch changes (4): nothing sent" in proc.stdout
    assert out == "" and untouched(env, orders, before)


def test_above_confirm_over_the_number_sends(env, term, tmp_path):
    path, (a, b, c, d) = large_batch(env, tmp_path)
    proc, out = term(f"submit {path}", "4\n")
    assert proc.returncode == 0, proc.stdout
    assert out.splitlines() == [f"{a} mark_canceled", f"{b} mark_canceled", f"{c} pending", f"{d} mark_shipped"]
    assert env.book.status(a) == "mark_canceled" and env.book.status(d) == "mark_shipped"


def test_scripts_need_the_number_above_confirm_over(env, capsys, tmp_path):
    path, orders = large_batch(env, tmp_path)
    before = env.requests_seen
    # --yes alone: refused, naming the option and the number (exit 2, as with no terminal and no --yes).
    assert main(["submit", path, "--yes"]) == 2
    assert "--yes alone does not send it: add --confirm-count 4" in capsys.readouterr().err
    # No terminal and no option at all: refused too.
    assert main(["submit", path]) == 2
    assert "give --confirm-count 4" in capsys.readouterr().err
    # A number that is not the batch's: not confirmed (exit 5), with or without --yes.
    assert main(["submit", path, "--confirm-count", "3"]) == 5
    assert "--confirm-count 3 is not the number of orders this batch changes (4): nothing sent" in (
        capsys.readouterr().err)
    assert main(["submit", path, "--yes", "--confirm-count", "5"]) == 5
    assert untouched(env, orders, before)
    # The right one sends.
    assert main(["submit", path, "--confirm-count", "4"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"{orders[0]} mark_canceled"
    assert env.book.status(orders[1]) == "mark_canceled"


def test_a_scripts_number_is_checked_on_a_small_batch_too(env, capsys, tmp_path):
    a = env.book.pending()[0]
    path = tmp_path / "one.csv"
    path.write_text(f"order_id,action\n{a},ship\n")
    before = env.requests_seen
    assert main(["submit", str(path), "--yes", "--confirm-count", "2"]) == 5
    assert untouched(env, [a], before)
    assert main(["submit", str(path), "--confirm-count", "1"]) == 0
    assert env.book.status(a) == "mark_shipped"


def test_without_confirm_over_in_the_profile_the_default_is_10(isolated_dirs, sandbox, monkeypatch, capsys,
                                                                tmp_path):
    monkeypatch.setattr(cli, "CONTROLLING_TERMINAL", str(tmp_path / "no-terminal"))
    monkeypatch.setenv("CCNOW_URL", sandbox.url)
    monkeypatch.setenv("CCNOW_CLIENT_ID", "demo")
    monkeypatch.setenv("CCNOW_PASSWORD", sandbox.config.password)
    pending = sandbox.book.pending()
    path = tmp_path / "eleven.csv"
    path.write_text("order_id,action,notes\n" + "".join(f"{o},cancel,No stock\n" for o in pending[:11]))
    before = sandbox.requests_seen
    assert main(["submit", str(path), "--yes"]) == 2
    assert "cancels or discounts 11 orders, more than confirm_over (10)" in capsys.readouterr().err
    assert sandbox.requests_seen == before
    path.write_text("order_id,action,notes\n" + "".join(f"{o},cancel,No stock\n" for o in pending[:10]))
    assert main(["submit", str(path), "--yes"]) == 0


def test_confirm_count_is_a_number(env, capsys, tmp_path):
    path, _ = large_batch(env, tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["submit", path, "--confirm-count", "four"])
    assert exc.value.code == 2
    assert "is not a number of orders" in capsys.readouterr().err
