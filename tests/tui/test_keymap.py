"""Own keys: config.toml's [keys] remaps bindings by id through Textual's keymap; a
mistake stops the start with the file and the line; the help, the footer and the palette
show the keys in effect; README lists every id."""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import textwrap
from pathlib import Path

import pytest
from textual.binding import Binding

import ccnow_tui.tui
from ccnow_tui.config.load import ConfigError, KeyTable, load_config
from ccnow_tui.protocol import StagedAction
from ccnow_tui.storage import config_path
from ccnow_tui.storage.paths import data_dir
from ccnow_tui.tui import launch
from ccnow_tui.tui.app import CcnowApp, build_app, help_sections, run_tui
from ccnow_tui.tui.keymap import SCREENS, WIDGETS, binding_ids, check_keymap, groups, merged_bindings
from ccnow_tui.tui.keys import key_name
from ccnow_tui.tui.quitting import IN_FLIGHT_DEMO
from ccnow_tui.tui.request import Request, RequestKind
from ccnow_tui.tui.screens.confirm import ConfirmScreen
from ccnow_tui.tui.screens.help import HelpScreen
from ccnow_tui.tui.screens.queue import QueueScreen

from .helpers import SIZE, actions, screen_text, started, stored

README = Path(__file__).resolve().parents[2] / "README.md"
PATH = Path("/home/op/.config/ccnow-tui/config.toml")


def table(**keys: str) -> KeyTable:
    """A [keys] table as config/load.py gives it: each id on a line of its own, from line 2."""
    ids = {k.replace("__", "."): v for k, v in keys.items()}
    return KeyTable(ids, {k: f"{PATH}: line {n}: " for n, k in enumerate(ids, start=2)}, PATH)


def error(keys: KeyTable) -> str:
    with pytest.raises(ConfigError) as info:
        check_keymap(keys, CcnowApp)
    return str(info.value)


def write_config(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), "utf-8")
    return path


def cli_args(**given) -> argparse.Namespace:
    base = dict(demo=False, fault=[], profile=None, url=None, client_id=None, store_id=None, timeout=None)
    return argparse.Namespace(**{**base, **given})


# -- the checks --------------------------------------------------------------------------


def test_no_table_and_the_defaults_written_out_are_no_error():
    assert check_keymap(KeyTable(), CcnowApp) == {}
    # Every id bound again to the keys it has: nothing clashes that did not before.
    every = {i: b.key for i, b in binding_ids(CcnowApp).items()}
    assert check_keymap(KeyTable(every, {}, PATH), CcnowApp).keys() == every.keys()


def test_a_remap_is_normalized_for_textual():
    assert check_keymap(
        table(stage__ship="x", app__help="f2,?", queue__refresh="$", queue__filter="ctrl+f", nav__back="esc"), CcnowApp
    ) == {
        "stage.ship": "x",
        "app.help": "f2,question_mark",
        "queue.refresh": "dollar_sign",
        "queue.filter": "ctrl+f",
        "nav.back": "escape",
    }


def test_swapping_two_keys_is_no_clash():
    assert check_keymap(table(stage__ship="c", stage__cancel="s"), CcnowApp) == {"stage.ship": "c", "stage.cancel": "s"}


def test_an_unknown_id_names_file_line_and_the_nearest_id():
    assert error(table(stage__ship="x", stage__shp="y")) == (
        f"{PATH}: line 3: [keys] unknown binding id 'stage.shp' (did you mean 'stage.ship'?); "
        "README's [keys] section lists every id"
    )


@pytest.mark.parametrize(
    "key, why",
    [
        ("foo", "'foo' is not a key name"),
        ("F5", "'F5' is not a key name (did you mean 'f5'?)"),
        ("ctl+x", "'ctl' is not a modifier (those are ctrl, shift, alt, meta, super, hyper)"),
        ("x,<any>", "'<any>' is not a key name"),
    ],
)
def test_a_key_that_is_no_key_names_file_and_line(key, why):
    message = error(table(stage__ship=key))
    assert message.startswith(f"{PATH}: line 2: [keys] 'stage.ship' = {key!r}: {why}")


@pytest.mark.parametrize(
    "keys, line, expected",
    [
        # another key of the same screen
        (
            dict(stage__ship="c"),
            2,
            "'stage.ship' = 'c': c is bound twice on the pending queue: it is also "
            "'Stage cancel (with a reason) for the highlighted or selected orders' (stage.cancel)",
        ),
        # the app's own keys count on every screen that is not modal
        (dict(stage__ship="q"), 2, "q is bound twice on the pending queue: it is also 'Quit' (app.quit)"),
        (dict(app__help="h"), 2, "h is bound twice on the pending queue: it is also 'History: every batch sent"),
        # Textual's own keys there: focus, the palette
        (dict(stage__ship="tab"), 2, "tab is bound twice on the pending queue: it is also Textual's 'Focus Next'"),
        (dict(nav__composer="ctrl+p"), 2, "it is also Textual's 'Command palette'"),
        # the focused list's keys
        (
            dict(stage__ship="up"),
            2,
            "up is bound twice on the pending queue (with a list focused): it is also 'Up' (list.up)",
        ),
        # two lines of the table giving one key: both named
        (
            dict(stage__ship="x", stage__cancel="x"),
            3,
            f"'stage.cancel' = 'x': x is bound twice on the pending queue: it "
            "is also 'Stage ship for the highlighted or selected orders' "
            f"(stage.ship), set at {PATH}: line 2",
        ),
        # a modal screen's keys with each other
        (
            dict(confirm__yes="n"),
            2,
            "n is bound twice on the confirmation: it is also 'No: go back, nothing happens' (confirm.no)",
        ),
    ],
)
def test_a_key_bound_twice_on_one_screen_names_file_line_and_the_other_binding(keys, line, expected):
    message = error(table(**keys))
    assert message.startswith(f"{PATH}: line {line}: [keys] ")
    assert expected in message


def test_under_a_modal_screen_the_apps_keys_are_not_live_so_they_do_not_clash():
    # Textual leaves the app's bindings out under a modal screen: q quits nowhere there.
    assert check_keymap(table(confirm__yes="q"), CcnowApp) == {"confirm.yes": "q"}


def test_every_class_with_bindings_is_checked():
    """A new screen or list with keys must be added to keymap.SCREENS or WIDGETS."""
    covered = [cls for _, cls in [*SCREENS, *WIDGETS]]
    for info in pkgutil.walk_packages(ccnow_tui.tui.__path__, "ccnow_tui.tui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            own = [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]
            if cls.__module__ == module.__name__ and own and cls is not CcnowApp:
                # BaseScreen and MainScreen: through the screens made of them
                assert any(issubclass(c, cls) for c in covered), f"{cls.__qualname__} is not in keymap.SCREENS"


def test_readme_lists_every_binding_id_with_its_default_key():
    text = README.read_text("utf-8")
    start = text.index("### Your own keys")
    section = text[start : text.index("\n## ", start)]  # to the next section (others have tables too)
    listed = dict(re.findall(r"^\| `([a-z_.]+)` \| ([^|]+) \|", section, re.M))
    ids = binding_ids(CcnowApp)
    missing = sorted(set(ids) - set(listed))
    assert not missing, f"README's [keys] list misses {missing}"
    assert not set(listed) - set(ids), "README lists ids that do not exist"
    for binding_id, column in listed.items():
        declared = {
            key_name(b.key)
            for cls in [CcnowApp, *(c for _, c in [*SCREENS, *WIDGETS])]
            for b in merged_bindings(cls)
            if b.id == binding_id
        }
        assert set(re.findall(r"`([^`]+)`", column)) == declared, binding_id


# -- at start ------------------------------------------------------------------------------


def test_a_bad_table_stops_the_start_with_file_and_line_and_no_traceback(isolated_dirs, capsys):
    write_config(
        '[profiles.shop]\nclient_id = "C1"\npassword_env = "NOPE_UNSET_X"\n\n'
        '[keys]\n"stage.ship" = "x"\n"stage.cancel" = "x"\n'
    )
    assert run_tui(cli_args()) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ccnow-tui: {config_path()}: line 7: [keys] 'stage.cancel' = 'x': x is bound twice")
    assert "Traceback" not in err


def test_a_bad_table_stops_the_demo_too_and_leaves_nothing_running(isolated_dirs, capsys):
    write_config('[keys]\n"stage.shp" = "x"\n')
    before = dict(launch._RUNS)
    assert run_tui(cli_args(demo=True)) == 2
    assert "line 2: [keys] unknown binding id 'stage.shp'" in capsys.readouterr().err
    assert launch._RUNS == before  # this run's store was removed, its lock let go
    assert list((data_dir() / launch.DEMO_RUNS).iterdir()) == []


def test_a_file_the_demo_cannot_read_is_said_and_the_demo_runs_with_the_keys_as_shipped(isolated_dirs):
    """The demo needs nothing of config.toml but [keys]: a broken file does not stop it."""
    write_config('[profiles.shop\nclient_id = "C1"\n')
    app, server = build_app(cli_args(demo=True))
    try:
        assert app.keymap == {}
        assert f"config.toml not read ({config_path()}: line 1:" in app.notice
        assert app.notice.endswith("the keys are as shipped")
    finally:
        launch.close_demo(app, server)


def test_the_table_applies_when_nothing_is_configured_yet(isolated_dirs):
    write_config('[keys]\n"setup.quit" = "x"\n')
    assert load_config().profiles == {}
    app, _ = build_app(cli_args())
    assert app.keymap == {"setup.quit": "x"}


# -- in the app ------------------------------------------------------------------------------


async def test_a_remapped_key_acts_and_help_footer_and_palette_show_it(settings, sandbox):
    app = CcnowApp(settings, keys=table(stage__ship="x", app__help="f2"))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("s")  # no longer ship
        assert app.session.staging.entries == ()
        await pilot.press("x")
        assert actions(stored().staged) == [StagedAction.make(sandbox.book.pending()[0], "ship")]
        footer = " ".join(screen_text(app).splitlines()[-1].split())
        assert "x Ship" in footer and "f2 Help" in footer and "s Ship" not in footer
        palette = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert palette["Stage ship for the highlighted or selected orders"] == "key: x"
        assert palette["Help: every key"] == "key: f2"
        await pilot.press("f2")
        assert isinstance(app.screen, HelpScreen)
        rows = dict((what, key) for _, section in app.screen.sections for key, what in section)
        assert rows["Stage ship for the highlighted or selected orders"] == "x"
        assert rows["Help"] == "f2"
        assert "Help (same as ?)" not in rows  # f1 is no longer help's


def test_the_help_without_a_table_is_as_declared():
    rows = {what: key for _, section in help_sections() for key, what in section}
    assert rows["Stage ship for the highlighted or selected orders"] == "s"
    assert rows["Help"] == "?" and rows["Help (same as ?)"] == "f1"


def test_merged_bindings_hide_an_inherited_key_as_textual_does():
    ids = {b.id for b in merged_bindings(QueueScreen)}
    assert "queue.clear" in ids and "nav.back" not in ids  # escape: the queue's own


# -- quitting in the demo ---------------------------------------------------------------------


async def test_quitting_the_demo_with_a_batch_in_flight_says_nothing_is_kept(make_app, sandbox, tmp_path):
    (tmp_path / "demo-run" / "demo").mkdir(parents=True)
    app = make_app(store_dir=tmp_path / "demo-run" / "demo")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        app.session.in_flight = Request(RequestKind.SUBMIT)  # as a batch's worker sets it while it waits
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.body == IN_FLIGHT_DEMO
        text = " ".join(screen_text(app).split())
        assert "fresh each run" in text and "reconcile it next time" not in text
        app.session.in_flight = None
        await pilot.press("n")
        assert isinstance(app.screen, QueueScreen)


async def test_a_remapped_quit_still_quits_on_a_terminal_too_small_to_show_anything(settings, sandbox):
    app = CcnowApp(settings, keys=table(app__quit="f10"))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.resize_terminal(40, 10)
        await pilot.pause()
        assert app.screen.has_class("-too-small")
        await pilot.press("q")  # no longer quit: nothing is shown to act on
        assert app.is_running
        await pilot.press("f10")
        await pilot.pause()
    assert app.return_code == 0


def test_the_controllers_hint_keys_are_the_keys_as_shipped():
    from ccnow_tui.tui.controller import SHIPPED_KEYS
    from ccnow_tui.tui.key_help import LOG_HINT_OWNERS
    from ccnow_tui.tui.keys import key_of

    assert {i: key_of(None, owner, i) for i, owner in LOG_HINT_OWNERS.items()} == SHIPPED_KEYS


async def test_the_log_and_the_composer_name_the_keys_in_effect(settings, sandbox):
    """Hints in prose ("b to review", "u undoes", "d forgets") name remapped keys as remapped."""
    keys = table(nav__composer="f5", composer__undo="f6", composer__remove="f7", staging__undo="f8")
    app = CcnowApp(settings, keys=keys)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("s")
        assert app.log_buffer.lines[-1].text.endswith("(1 staged; f5 to review)")
        await pilot.press("f5", "f7")
        assert app.session.staging.entries == ()
        assert app.log_buffer.lines[-1].text.endswith("(f6 undoes)")
        assert "s/c/t/a on the queue stage entries" in screen_text(app)  # the stage keys as shipped


async def test_the_stage_keys_are_named_as_in_effect_wherever_staging_is_explained(settings, sandbox):
    """The empty composer and an order's detail with nothing staged name the stage keys
    from the queue's own bindings, remapped as [keys] makes them."""
    app = CcnowApp(settings, keys=table(stage__ship="f2", stage__adjust="f3"))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("enter")  # the highlighted order's detail
        await pilot.pause()
        assert "nothing (f2 ship, c cancel, t track, f3 adjust)" in screen_text(app)
        await pilot.press("b")
        await pilot.pause()
        assert "f2/c/t/f3 on the queue stage entries" in screen_text(app)


# Keys two of our bindings share where both are live, on purpose: the focused log's own
# search and copy before the screen's (the log is what the operator is reading), and the
# setup screen's q, which is the app's quit with a word of its own.
SHARED_ON_PURPOSE = {
    ("the pending queue (with the log focused)", "slash"): {"log.search", "queue.filter"},
    ("the pending queue (with the log focused)", "C"): {"log.copy", "queue.copy"},
    ("the history (with the log focused)", "slash"): {"log.search", "history.filter"},
    ("the setup screen", "q"): {"setup.quit", "app.quit"},
}
# An inherited key a screen binds again, on purpose: esc on the queue (home: there is
# nowhere to go back to) clears the selection and the filter.
HIDDEN_ON_PURPOSE = {("the pending queue", "escape"): ("nav.back", "queue.clear")}


def test_no_two_shipped_bindings_share_a_key_where_both_are_live():
    """A default key given to a new binding that a screen (or the app, or the list or log
    focused on it) already uses would leave one of them dead there: every key two of our
    bindings share is listed above, with why."""
    shared = {}
    for title, namespaces in groups(CcnowApp):
        by_key: dict[str, set[str]] = {}
        for namespace in namespaces:
            for b in merged_bindings(namespace):
                if b.id:
                    by_key.setdefault(b.key, set()).add(b.id)
        shared |= {(title, key): ids for key, ids in by_key.items() if len(ids) > 1}
    assert shared == SHARED_ON_PURPOSE


def test_no_screen_hides_an_inherited_key_unless_on_purpose():
    """A screen that binds a key its base class binds hides the base's binding there (the
    About drill of issue 15 bound A on every main screen: on the queue, select-all kept it)."""
    hidden = {}
    for title, cls in [*SCREENS, *WIDGETS]:
        inherited: dict[str, str] = {}
        for base in reversed(cls.__mro__):
            if "BINDINGS" not in base.__dict__:
                continue
            own = {b.key: b.id for b in Binding.make_bindings(base.__dict__["BINDINGS"]) if b.id}
            hidden |= {(title, k): (inherited[k], i) for k, i in own.items() if k in inherited and inherited[k] != i}
            inherited |= own
    assert hidden == HIDDEN_ON_PURPOSE


# Binding ids the help does not list one by one: the moves of a list and of the log and
# the scroll keys (one "Move in a list" line says them), and the keys of the help, the
# password prompt and the request preview themselves (their footers show them).
NOT_LISTED_ONE_BY_ONE = {
    *(f"{w}.{m}" for w in ("list", "log") for m in ("up", "down", "pageup", "pagedown", "home", "end")),
    "scroll.up",
    "scroll.down",
    "help.close",
    "help.filter",
    "help.filter_done",
    "password.cancel",
    "preview.close",
}


def test_the_help_lists_every_binding():
    """A new screen's own keys are in the help once help.py's key_sections names the
    screen; until then this fails, naming them."""
    listed = {what for _, rows in help_sections() for _, what in rows}
    ids = binding_ids(CcnowApp)
    missing = {i for i, b in ids.items() if (b.tooltip or b.description) not in listed}
    assert missing == NOT_LISTED_ONE_BY_ONE
