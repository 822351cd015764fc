"""`submit` honours the profile's limits as the TUI does: a batch with more cancel and
discount entries than confirm_over, or discounts adding up to more than
confirm_discount_over, is sent only when the number of entries it sends that change
orders is typed on the terminal (y does not send it), or given as --confirm-count (--yes
alone does not); a wrong number sends nothing. Identical rows are refused unless
--allow-repeats. Keys typed before a question shows never answer it. Against the real
sandbox over loopback, the questions on a real (pseudo-)terminal."""

from __future__ import annotations

import os
import sys
from decimal import Decimal

import pytest
from terminal import run_on_terminal

from ccnow_tui.cli import main, prompts


@pytest.fixture
def env(isolated_dirs, sandbox, monkeypatch, tmp_path):
    """A profile with confirm_over = 2, the password from the environment; no terminal
    to ask on for the in-process runs."""
    monkeypatch.setattr(prompts, "CONTROLLING_TERMINAL", str(tmp_path / "no-terminal"))
    folder = isolated_dirs.config_home / "ccnow-tui"
    folder.mkdir(parents=True, mode=0o700)
    config = folder / "config.toml"
    config.write_text(
        f'default_profile = "shop"\n\n[profiles.shop]\nurl = "{sandbox.url}"\n'
        'client_id = "demo"\npassword_env = "CCNOW_PASSWORD"\nconfirm_over = 2\n'
    )
    config.chmod(0o600)
    monkeypatch.setenv("CCNOW_PASSWORD", sandbox.config.password)
    return sandbox


QUESTION = "(y does not send it): "  # the end of the question for the number
YES_NO = "[y/N] "


@pytest.fixture
def term(env, isolated_dirs, tmp_path):
    """Run the CLI on a real terminal: ``keys`` are typed once ``question`` shows on it,
    ``ahead`` before the program starts. Returns the run (its ``screen``) and stdout."""
    variables = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_")}
    variables.update(
        CCNOW_PASSWORD=env.config.password,
        XDG_CONFIG_HOME=str(isolated_dirs.config_home),
        XDG_DATA_HOME=str(isolated_dirs.data_home),
    )

    def run(args: str, keys: str, *, question: str = QUESTION, ahead: str = ""):
        out = tmp_path / "out.txt"
        with out.open("wb") as stdout:
            done = run_on_terminal(
                [sys.executable, "-m", "ccnow_tui", *args.split()],
                env=variables,
                cwd=tmp_path,
                ahead=ahead,
                answers=[(question, keys)] if keys else (),
                stdout=stdout.fileno(),
            )
        return done, out.read_text()

    return run


def large_batch(env, tmp_path) -> tuple[str, list]:
    """Two cancels and a discount (3 orders: more than confirm_over 2) and a ship: 4 orders changed."""
    a, b, c, d = env.book.pending()[:4]
    path = tmp_path / "large.csv"
    path.write_text(
        f"order_id,action,notes,amount\n{a},cancel,No stock,\n{b},cancel,No stock,\n{c},adjust,Late,2.50\n{d},ship,,\n"
    )
    return str(path), [a, b, c, d]


def untouched(env, orders, before: int) -> bool:
    return env.requests_seen == before and all(env.book.status(o) == "pending" for o in orders)


def test_at_confirm_over_y_sends(env, term, tmp_path):
    a, b = env.book.pending()[:2]
    path = tmp_path / "small.csv"
    path.write_text(f"order_id,action,notes\n{a},cancel,No stock\n{b},cancel,No stock\n")  # 2: not more than 2
    proc, out = term(f"submit {path}", "y\n", question=YES_NO)
    assert proc.returncode == 0, proc.screen
    assert "Send this batch? [y/N]" in proc.screen
    assert out == f"{a} mark_canceled\n{b} mark_canceled\n"


def test_above_confirm_over_y_is_refused_and_nothing_is_sent(env, term, tmp_path):
    path, orders = large_batch(env, tmp_path)
    before = env.requests_seen
    proc, out = term(f"submit {path}", "y\n")
    assert proc.returncode == 5, proc.screen
    assert "It has 3 cancel and discount entries, more than confirm_over (2) (profile 'shop')" in proc.screen
    assert "type 4, the number of entries it sends that change orders" in proc.screen
    assert "y does not send this batch" in proc.screen and "nothing sent" in proc.screen
    assert "[y/N]" not in proc.screen
    assert out == "" and untouched(env, orders, before)


def test_above_confirm_over_a_wrong_number_sends_nothing(env, term, tmp_path):
    path, orders = large_batch(env, tmp_path)
    before = env.requests_seen
    proc, out = term(f"submit {path}", "3\n")  # the cancels and discounts, not every entry changing an order
    assert proc.returncode == 5, proc.screen
    assert "3 is not the number of entries this batch sends that change orders (4): nothing sent" in proc.screen
    assert out == "" and untouched(env, orders, before)


def test_above_confirm_over_the_number_sends(env, term, tmp_path):
    path, (a, b, c, d) = large_batch(env, tmp_path)
    proc, out = term(f"submit {path}", "4\n")
    assert proc.returncode == 0, proc.screen
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
    assert "--confirm-count 3 is not the number of entries this batch sends that change orders (4): nothing sent" in (
        capsys.readouterr().err
    )
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


def test_without_confirm_over_in_the_profile_the_default_is_10(isolated_dirs, sandbox, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(prompts, "CONTROLLING_TERMINAL", str(tmp_path / "no-terminal"))
    monkeypatch.setenv("CCNOW_URL", sandbox.url)
    monkeypatch.setenv("CCNOW_CLIENT_ID", "demo")
    monkeypatch.setenv("CCNOW_PASSWORD", sandbox.config.password)
    pending = sandbox.book.pending()
    path = tmp_path / "eleven.csv"
    path.write_text("order_id,action,notes\n" + "".join(f"{o},cancel,No stock\n" for o in pending[:11]))
    before = sandbox.requests_seen
    assert main(["submit", str(path), "--yes"]) == 2
    assert "it has 11 cancel and discount entries, more than confirm_over (10)" in capsys.readouterr().err
    assert sandbox.requests_seen == before
    path.write_text("order_id,action,notes\n" + "".join(f"{o},cancel,No stock\n" for o in pending[:10]))
    assert main(["submit", str(path), "--yes"]) == 0


def test_confirm_count_is_a_number(env, capsys, tmp_path):
    path, _ = large_batch(env, tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["submit", path, "--confirm-count", "four"])
    assert exc.value.code == 2
    assert "is not a number of entries" in capsys.readouterr().err


# -- what moves money: entries, not orders; the total discount ---------------------------------


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_fifty_identical_discounts_on_one_order_are_refused_as_repeats(env, capsys, tmp_path):
    """The case issue 17 found: 50 identical $999,999.99 adjusts on one order went out with --yes."""
    a = env.book.pending()[0]
    path = write(tmp_path, "fifty.csv", "order_id,action,amount\n" + f"{a},adjust,999999.99\n" * 50)
    before = env.requests_seen
    assert main(["submit", path, "--yes"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: line 3: the same entry as line 2 (adjust {a} $999999.99)" in err
    assert "49 rows repeat an entry exactly" in err and "--allow-repeats sends them" in err
    assert "... and 29 more" in err  # twenty named, the rest counted
    assert env.requests_seen == before and env.book.status(a) == "pending"


def test_repeats_that_are_meant_still_need_the_number_when_over_the_limits(env, capsys, tmp_path):
    a = env.book.pending()[0]
    path = write(tmp_path, "three.csv", "order_id,action,amount,notes\n" + f"{a},adjust,1.00,goodwill\n" * 3)
    before = env.requests_seen
    # --allow-repeats lets them through the repeat check; three discount entries are more
    # than confirm_over 2 (though on one order), so --yes alone does not send them.
    assert main(["submit", path, "--yes", "--allow-repeats"]) == 2
    assert "it has 3 cancel and discount entries, more than confirm_over (2)" in capsys.readouterr().err
    assert env.requests_seen == before
    assert main(["submit", path, "--allow-repeats", "--confirm-count", "1"]) == 5  # one order, but three entries
    assert env.requests_seen == before
    assert main(["submit", path, "--allow-repeats", "--confirm-count", "3"]) == 0
    assert env.requests_seen == before + 1
    assert env.book.record(a).discount == Decimal("3.00")  # each one applied, as asked


def test_rows_that_differ_in_a_field_are_no_repeats(env, capsys, tmp_path):
    a, b = env.book.pending()[:2]
    path = write(
        tmp_path,
        "two.csv",
        f"order_id,action,amount,notes\n{a},adjust,1.00,late\n{a},adjust,1.00,box\n{b},adjust,1.00,late\n",
    )
    assert main(["submit", path, "--yes", "--confirm-count", "3"]) == 0
    assert "repeat" not in capsys.readouterr().err


def test_the_same_amount_written_two_ways_is_a_repeat(env, capsys, tmp_path):
    a = env.book.pending()[0]
    path = write(tmp_path, "same.csv", f"order_id,action,amount\n{a},adjust,5\n{a.replace('-', '')},adjust,5.00\n")
    before = env.requests_seen
    assert main(["submit", path, "--yes"]) == 2
    assert f"line 3: the same entry as line 2 (adjust {a} $5.00)" in capsys.readouterr().err
    assert env.requests_seen == before


@pytest.mark.parametrize("entries", [3, 7])
def test_discount_entries_on_one_order_count_each(env, capsys, tmp_path, entries):
    """confirm_over 2: three (or seven) different discounts on one order are over it."""
    a = env.book.pending()[0]
    rows = "".join(f"{a},adjust,0.{n + 10},reason {n}\n" for n in range(entries))
    path = write(tmp_path, "many.csv", "order_id,action,amount,notes\n" + rows)
    before = env.requests_seen
    assert main(["submit", path, "--yes"]) == 2
    err = capsys.readouterr().err
    assert f"it has {entries} cancel and discount entries, more than confirm_over (2)" in err
    assert f"add --confirm-count {entries}" in err
    assert env.requests_seen == before


@pytest.fixture
def limits(env, isolated_dirs):
    """The profile with its own confirm_discount_over (and confirm_over 10)."""
    config = isolated_dirs.config_home / "ccnow-tui" / "config.toml"

    def write_limit(value: str) -> None:
        config.write_text(
            f'default_profile = "shop"\n\n[profiles.shop]\nurl = "{env.url}"\n'
            f'client_id = "demo"\npassword_env = "CCNOW_PASSWORD"\nconfirm_discount_over = {value}\n'
        )

    return write_limit


def test_a_single_discount_over_confirm_discount_over_needs_the_number(env, limits, capsys, tmp_path):
    limits("100")
    a = env.book.pending()[0]
    path = write(tmp_path, "big.csv", f"order_id,action,amount\n{a},adjust,100.01\n")
    before = env.requests_seen
    assert main(["submit", path, "--yes"]) == 2
    err = capsys.readouterr().err
    assert "its discounts add up to $100.01, more than confirm_discount_over ($100.00)" in err
    assert "add --confirm-count 1" in err and env.requests_seen == before
    path = write(tmp_path, "at.csv", f"order_id,action,amount\n{a},adjust,100.00\n")  # at the limit: y is enough
    assert main(["submit", path, "--yes"]) == 0
    assert env.requests_seen == before + 1


def test_the_total_of_small_discounts_counts(env, limits, capsys, tmp_path):
    limits('"20.50"')
    orders = env.book.pending()[:3]
    path = write(tmp_path, "small.csv", "order_id,action,amount\n" + "".join(f"{o},adjust,6.85\n" for o in orders))
    before = env.requests_seen
    assert main(["submit", path, "--yes"]) == 2  # $20.55
    assert "its discounts add up to $20.55, more than confirm_discount_over ($20.50)" in capsys.readouterr().err
    assert env.requests_seen == before
    assert main(["submit", path, "--confirm-count", "3"]) == 0


def test_without_confirm_discount_over_the_default_is_500_dollars(
    isolated_dirs, sandbox, monkeypatch, capsys, tmp_path
):
    monkeypatch.setattr(prompts, "CONTROLLING_TERMINAL", str(tmp_path / "no-terminal"))
    monkeypatch.setenv("CCNOW_URL", sandbox.url)
    monkeypatch.setenv("CCNOW_CLIENT_ID", "demo")
    monkeypatch.setenv("CCNOW_PASSWORD", sandbox.config.password)
    a, b = sandbox.book.pending()[:2]
    before = sandbox.requests_seen
    path = write(tmp_path, "d.csv", f"order_id,action,amount\n{a},adjust,250.00\n{b},adjust,250.01\n")
    assert main(["submit", path, "--yes"]) == 2
    assert "its discounts add up to $500.01, more than confirm_discount_over ($500.00)" in capsys.readouterr().err
    path = write(tmp_path, "e.csv", f"order_id,action,amount\n{a},adjust,250.00\n{b},adjust,250.00\n")
    assert main(["submit", path, "--yes"]) == 0
    assert sandbox.requests_seen == before + 1


def test_over_the_discount_limit_the_question_says_why(env, limits, term, tmp_path):
    limits("10")
    a, b, c = env.book.pending()[:3]
    path = write(
        tmp_path, "both.csv", f"order_id,action,amount\n{a},adjust,4.00\n{b},adjust,4.00\n{c},adjust,4.00\n{c},ship,\n"
    )
    proc, _ = term(f"submit {path}", "4\n")
    assert "more than confirm_over (10)" not in proc.screen
    assert "Its discounts add up to $12.00, more than confirm_discount_over ($10.00)" in proc.screen
    assert proc.returncode == 0, proc.screen
    assert env.book.status(c) == "mark_shipped"


# -- keys typed before a question shows do not answer it ------------------------------------------


def test_a_y_typed_before_the_question_does_not_answer_it(env, term, tmp_path):
    a = env.book.pending()[0]
    path = write(tmp_path, "one.csv", f"order_id,action\n{a},ship\n")
    before = env.requests_seen
    proc, out = term(f"submit {path}", "\x04", question=YES_NO, ahead="y\n")  # then ctrl-d: no answer
    assert proc.returncode == 5, proc.screen
    assert "not confirmed: nothing sent" in proc.screen
    assert out == "" and env.requests_seen == before and env.book.status(a) == "pending"
    proc, out = term(f"submit {path}", "y\n", question=YES_NO, ahead="n\n")  # the y after the question counts
    assert proc.returncode == 0, proc.screen
    assert out == f"{a} mark_shipped\n"


def test_the_number_typed_before_the_question_does_not_answer_it(env, term, tmp_path):
    path, orders = large_batch(env, tmp_path)
    before = env.requests_seen
    proc, out = term(f"submit {path}", "\n", ahead="4\n")  # then enter alone: nothing typed
    assert proc.returncode == 5, proc.screen
    assert "nothing is not the number of entries" in proc.screen
    assert out == "" and untouched(env, orders, before)


def test_reconcile_flushes_keys_typed_ahead_too(env, term, tmp_path, capsys):
    from ccnow_tui.sandbox.faults import parse_fault

    a = env.book.pending()[0]
    env.set_faults([parse_fault("drop-after-apply:1")])
    path = write(tmp_path, "one.csv", f"order_id,action\n{a},ship\n")
    assert main(["submit", path, "--yes"]) == 4
    proc, _ = term("reconcile", "\x04", question=YES_NO, ahead="y\n")
    assert proc.returncode == 5, proc.screen
    assert "nothing recorded" in proc.screen
