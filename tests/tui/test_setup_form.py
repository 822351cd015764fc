"""The first-run form (issue #9, item 7): with no configuration, the setup screen takes
the account, tests it against the receiver (the real sandbox), and writes config.toml
(0600) that this session and the next start use; the password is never written."""

from __future__ import annotations

import argparse
import stat
import sys
from pathlib import Path

from textual.widgets import Input, RadioButton

from ccnow_tui.config.load import config_template, load_config, write_config_template
from ccnow_tui.storage.paths import config_path
from ccnow_tui.tui.app import CcnowApp, build_app
from ccnow_tui.tui.screens.confirm import ConfirmScreen
from ccnow_tui.tui.screens.queue import QueueScreen
from ccnow_tui.tui.screens.setup import PasswordScreen, SetupScreen

from .helpers import PASSWORD, SIZE, answer_yes, screen_text, settle, started, wait_until


def cli_args(**given) -> argparse.Namespace:
    base = dict(demo=False, fault=[], profile=None, url=None, client_id=None, store_id=None, timeout=None)
    return argparse.Namespace(**{**base, **given})


def first_start() -> CcnowApp:
    """The app as `ccnow-tui` builds it on a machine with no configuration."""
    app, server = build_app(cli_args())
    assert server is None
    return app


async def fill(pilot, source: str | None = None, **values: str) -> None:
    """Set fields as if typed (each value replaces the field's), and the password source."""
    screen = pilot.app.screen
    for name, value in values.items():
        screen.query_one(f"#f-{name}", Input).value = value
    if source is not None:
        screen.query_one(f"#source-{source}", RadioButton).value = True
    await pilot.pause()


def errors(app) -> dict[str, str]:
    return {
        box.id.removeprefix("e-"): str(box.render())
        for box in app.screen.query(".setup-error")
        if box.display and str(box.render())
    }


def result(app) -> str:
    return " ".join(str(app.screen.query_one("#setup-result").render()).split())


async def press_test(pilot) -> str:
    await pilot.press("ctrl+t")
    await settle(pilot)
    return result(pilot.app)


def files_holding(secret: str, *folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def assert_private(path: Path) -> None:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]  # no temporary file left over


async def test_no_configuration_opens_the_form(isolated_dirs):
    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SetupScreen) and screen.form
        text = screen_text(app)
        assert "not set up yet" in text and "config.toml" in text and "--demo" in text
        assert screen.query_one("#f-url", Input).value == "https://www.ccnow.com/cgi-local/oapi_receive.cgi"
        assert app.focused is screen.query_one("#f-client_id")  # the first thing to fill in
        assert "^t Test" in text and "^o Save" in text
        await pilot.press("escape")
    assert app.return_code == 0
    assert not config_path().exists()


async def test_ask_each_time_tests_the_typed_password_and_never_writes_it(isolated_dirs, sandbox):
    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(pilot, source="ask", url=sandbox.url, client_id="shop")
        app.screen.query_one("#f-password").focus()
        await pilot.press(*PASSWORD)
        assert PASSWORD not in screen_text(app)  # dots
        seen = sandbox.requests_seen
        await pilot.press("enter")  # enter in a field tests too
        await settle(pilot)
        assert result(app).startswith("✓ Test passed:") and "40 pending orders" in result(app)
        assert sandbox.requests_seen == seen + 1
        assert not config_path().exists()  # a test writes nothing
        await pilot.press("ctrl+o")  # passed: saved without a question
        await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), "the session")
        await started(pilot)
        # The password the receiver just accepted is not asked for a second time.
        assert app.settings.profile == "shop" and app.settings.password.reveal() == PASSWORD
        assert app.session.book.rows == sandbox.book.pending()
        assert PASSWORD not in screen_text(app)
    path = config_path()
    assert_private(path)
    profile = load_config(path).profiles["shop"]
    assert (profile.client_id, profile.url, profile.password_command, profile.password_env) == (
        "shop",
        sandbox.url,
        "",
        "",
    )
    assert files_holding(PASSWORD, isolated_dirs.config_home, isolated_dirs.data_home) == []
    # The next start reads the same profile and asks for the password (it was never stored).
    again = first_start()
    assert again.settings.profile == "shop" and again.settings.url == sandbox.url
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(again.screen, PasswordScreen)


async def test_wrong_credentials_show_the_receivers_refusal_and_save_asks_first(isolated_dirs, sandbox, monkeypatch):
    monkeypatch.setenv("SHOP_API_PW", "not-the-password")
    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(pilot, url=sandbox.url, client_id="shop", store_id="")
        await pilot.press("tab", "tab", "right", "space", "tab")  # past the store id; source: a variable
        assert app.screen.source.value == "env" and app.focused is app.screen.query_one("#f-password_env")
        await fill(pilot, password_env="SHOP_API_PW")
        assert await press_test(pilot) == "✗ Test failed: refused: invalid login"
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert "Its test failed (refused: invalid login)" in " ".join(screen_text(app).split())
        await pilot.press("n")
        assert isinstance(app.screen, SetupScreen) and result(app) == "Nothing was written."
        assert "not-the-password" not in screen_text(app)
    assert not config_path().exists()


async def test_save_without_a_test_asks_and_writes_only_when_insisted(isolated_dirs, sandbox, tmp_path):
    # A "password manager" whose path has a space and quotes: the command must come back
    # from the file exactly as typed.
    script = tmp_path / 'pass "manager"' / "show it.py"
    script.parent.mkdir()
    script.write_text(f"print({PASSWORD!r})\n")
    command = f"{sys.executable} '{script}' ccnow\\api"
    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(pilot, name="shop", url=sandbox.url, client_id="shop", store_id="", password_command=command)
        seen = sandbox.requests_seen
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert "has not passed a test" in screen_text(app)
        await pilot.press("n")
        assert not config_path().exists()
        await pilot.press("ctrl+o")
        await answer_yes(pilot)  # insisted
        await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), "the session")
        await started(pilot)
        assert app.session.book.rows == sandbox.book.pending()  # the password came from the command
        assert sandbox.requests_seen == seen + 1  # nothing was sent before the save, only the session's list
    path = config_path()
    assert_private(path)
    assert load_config(path).profiles["shop"].password_command == command
    assert files_holding(PASSWORD, isolated_dirs.config_home, isolated_dirs.data_home) == []


async def test_a_passing_test_saves_a_config_the_next_start_uses(isolated_dirs, sandbox, monkeypatch):
    monkeypatch.setenv("SHOP_API_PW", PASSWORD)
    write_config_template()  # `ccnow-tui init` ran before: its comments are kept
    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen) and app.screen.form
        await fill(pilot, source="env", name="shop", url=sandbox.url, client_id="shop", password_env="SHOP_API_PW")
        assert (await press_test(pilot)).startswith("✓ Test passed:")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), "the session")
        await started(pilot)
        first = app.settings
    path = config_path()
    assert_private(path)
    assert path.read_text().startswith(config_template())
    assert files_holding(PASSWORD, isolated_dirs.config_home, isolated_dirs.data_home) == []
    again = first_start()
    assert again.settings == first  # exactly what the form handed on
    assert again.notice == f"settings: profile 'shop' in {path}"
    async with again.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert again.session.book.rows == sandbox.book.pending()


async def test_wrong_fields_are_named_and_nothing_is_sent_or_written(isolated_dirs, sandbox):
    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(
            pilot, source="env", name="my shop", url="ftp://receiver.example/x", client_id="", password_env="1PW"
        )
        seen = sandbox.requests_seen
        assert await press_test(pilot) == "Not tested: fix the fields marked."
        shown = errors(app)
        assert set(shown) == {"name", "url", "client_id", "password_env"}
        assert "no spaces" in shown["name"] and "https://" in shown["url"]
        assert "required" in shown["client_id"] and "not starting with a digit" in shown["password_env"]
        assert app.focused is app.screen.query_one("#f-name")  # the first wrong field
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, SetupScreen)  # no question: nothing to insist on
        assert result(app) == "Nothing was written: fix the fields marked."
        await fill(pilot, url="http://receiver.example/cgi")
        assert "unencrypted" in errors(app)["url"]
        assert sandbox.requests_seen == seen
    assert not config_path().exists()


async def test_a_command_that_prints_the_password_it_holds_is_refused(isolated_dirs, sandbox):
    command = f"{sys.executable} -c 'print(\"{PASSWORD}\")'"
    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(pilot, url=sandbox.url, client_id="shop", password_command=command)
        assert await press_test(pilot) == "Not tested: fix the fields marked."
        assert "holds the API password" in errors(app)["password_command"]
        assert PASSWORD not in result(app) + "".join(errors(app).values())
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, SetupScreen) and result(app) == "Nothing was written: fix the fields marked."
    assert not config_path().exists()


async def test_a_broken_config_is_explained_not_replaced_by_a_form(isolated_dirs):
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text("[profiles.shop\n")
    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen) and not app.screen.form
        assert not app.screen.query(Input)
        assert "line 1" in screen_text(app)
        await pilot.press("ctrl+o", "ctrl+t")
        assert isinstance(app.screen, SetupScreen)
        await pilot.press("q")
    assert path.read_text() == "[profiles.shop\n"


async def test_a_saved_profile_that_cannot_start_yet_is_explained(isolated_dirs, sandbox, monkeypatch):
    monkeypatch.delenv("SHOP_API_PW", raising=False)
    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(pilot, source="env", url=sandbox.url, client_id="shop", password_env="SHOP_API_PW")
        assert "SHOP_API_PW is not set" in await press_test(pilot)
        await pilot.press("ctrl+o")
        await answer_yes(pilot)  # insisted: written, though the variable is missing here
        await wait_until(pilot, lambda: isinstance(app.screen, SetupScreen) and not app.screen.form, "the explanation")
        text = " ".join(screen_text(app).split())
        assert "Saved; not usable yet" in text and "SHOP_API_PW" in text
        assert app.session is None
    assert load_config(config_path()).profiles["shop"].password_env == "SHOP_API_PW"


async def test_help_and_the_palette_list_the_forms_keys(isolated_dirs):
    from ccnow_tui.tui.keys import bindings_of
    from ccnow_tui.tui.screens.help import HelpScreen

    own = bindings_of(SetupScreen)
    assert {b.id for b in own} == {"setup.quit", "setup.test", "setup.save", "setup.next", "setup.previous"}
    keys = {k for b in own for k in b.key.split(",")}
    assert not keys & {"ctrl+s", "ctrl+q", "ctrl+enter", "ctrl+w", "ctrl+u", "ctrl+k"}  # SSH, tmux, field editing
    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert all(b.tooltip in titles for b in own)
        await pilot.press("f1")  # from the client id field
        assert isinstance(app.screen, HelpScreen)
        listed = {what for _, rows in app.screen.sections for _, what in rows}
        assert all(b.tooltip in listed for b in own)


async def test_a_receiver_that_cannot_answer_fails_the_test_in_its_words(isolated_dirs, sandbox, monkeypatch):
    from ccnow_tui.sandbox.faults import parse_fault

    monkeypatch.setenv("SHOP_API_PW", PASSWORD)
    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(pilot, source="env", url=sandbox.url, client_id="shop", password_env="SHOP_API_PW")
        sandbox.set_faults([parse_fault("maintenance")])
        assert await press_test(pilot) == "✗ Test failed: refused: system down for maintenance"
        sandbox.set_faults([parse_fault("html")])
        shown = await press_test(pilot)
        assert shown.startswith("✗ Test failed: refused:") and "HTML page" in shown and "<" not in shown
        sandbox.set_faults([])
        assert (await press_test(pilot)).startswith("✓ Test passed:")
    assert not config_path().exists()


async def test_the_command_lines_account_fills_the_form_and_the_saved_profile_starts(
    isolated_dirs, sandbox, monkeypatch
):
    """`ccnow-tui --profile backroom --url U --client-id C` on a first start: the form
    holds those, and the session the save starts is that profile, saying where its
    settings came from in its first log line."""
    monkeypatch.setenv("SHOP_API_PW", PASSWORD)
    monkeypatch.setenv("CCNOW_STORE_ID", "")
    app, _ = build_app(cli_args(profile="backroom", url=sandbox.url, client_id="shop"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SetupScreen) and screen.form
        shown = {name: screen.query_one(f"#f-{name}", Input).value for name in ("name", "url", "client_id")}
        assert shown == {"name": "backroom", "url": sandbox.url, "client_id": "shop"}
        await fill(pilot, source="env", password_env="SHOP_API_PW")
        assert (await press_test(pilot)).startswith("✓ Test passed:")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), "the session")
        await started(pilot)
        assert app.settings.profile == "backroom" and app.settings.url == sandbox.url
        first_line = app.log_buffer.lines[0].text
        assert first_line == f"settings: profile 'backroom' in {config_path()}; options: --url, --client-id"
    assert set(load_config().profiles) == {"backroom"}


async def test_keys_typed_ahead_act_in_order_in_the_form(isolated_dirs):
    """shift+tab, ctrl+a, ctrl+k and text in one read (a paste, SSH) act in the order
    typed, as in the staging forms: the text lands in the field moved to, ctrl+a and
    ctrl+k edit the field they were typed in."""
    from .test_typeahead import burst

    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert app.focused is screen.query_one("#f-client_id")
        # In the client id: "C1", then back to the URL, to its start, cut it, a new one.
        burst(app, "C", "1", "shift+tab", "ctrl+a", "ctrl+k", *"http://127.0.0.1:9/x", "tab", "end", "2")
        await wait_until(pilot, lambda: screen.query_one("#f-client_id", Input).value == "C12", "the keys acted")
        assert screen.query_one("#f-url", Input).value == "http://127.0.0.1:9/x"
        assert app.focused is screen.query_one("#f-client_id")
        # Back two fields (the name), its start, cut it: a new name.
        burst(app, "shift+tab", "shift+tab", "ctrl+a", "ctrl+k", *"own", "tab")
        await wait_until(pilot, lambda: app.focused is screen.query_one("#f-url"), "the url field")
        assert screen.query_one("#f-name", Input).value == "own"


async def test_a_password_mark_is_forgotten_when_the_command_changes(isolated_dirs, sandbox):
    """A command that printed "shop" (the wrong entry of a password manager) marks the
    fields holding "shop"; once the command is another, those marks go: what the old
    command printed is not known to be the password. It still may not be written inside
    a command."""

    def printing(text: str) -> str:
        return f"{sys.executable} -c 'print(\"{text}\")'"

    app = first_start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(pilot, url=sandbox.url, client_id="shop", password_command=printing("shop"))
        assert await press_test(pilot) == "Not tested: fix the fields marked."
        assert "holds the API password" in errors(app)["client_id"]
        await fill(pilot, password_command=printing(PASSWORD))
        assert errors(app) == {}  # the new command may print another password: not marked
        await fill(pilot, password_command="printf shop")
        assert set(errors(app)) == {"password_command"}  # a command holding what was printed still is
        half = len(PASSWORD) // 2  # a command printing the password without holding it
        await fill(pilot, password_command=printing(f'{PASSWORD[:half]}"+"{PASSWORD[half:]}'))
        assert errors(app) == {}
