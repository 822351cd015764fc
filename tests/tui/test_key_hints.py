"""With [keys] in config.toml, the text inside the confirmation and the label import
names the keys in effect, not the keys as shipped; and the shipped ones no longer act."""

from __future__ import annotations

from pathlib import Path

from ccnow_tui.config.load import KeyTable
from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.app import CcnowApp
from ccnow_tui.tui.screens.confirm import ConfirmScreen
from ccnow_tui.tui.screens.import_labels import ImportPreviewScreen, LabelPathForm

from .helpers import SIZE, screen_text, settle, started, wait_until

PATH = Path("/home/op/.config/ccnow-tui/config.toml")


def table(**keys: str) -> KeyTable:
    """A [keys] table as config/load.py gives it (``confirm__yes`` is the id confirm.yes)."""
    ids = {k.replace("__", "."): v for k, v in keys.items()}
    return KeyTable(ids, {k: f"{PATH}: line {n}: " for n, k in enumerate(ids, start=2)}, PATH)


async def shown(pilot) -> ConfirmScreen:
    app = pilot.app
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, ConfirmScreen) and app.screen.shown_at != float("inf"),
        "the confirmation to show",
    )
    await pilot.pause()
    return app.screen


def flat(app) -> str:
    """The screen's text with runs of blanks as one (the dialog wraps and pads)."""
    return " ".join(screen_text(app).split())


async def test_the_confirmation_names_the_remapped_yes_and_only_it_sends(settings, sandbox):
    app = CcnowApp(settings, keys=table(confirm__yes="j", confirm__no="x,escape"))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        order = sandbox.book.pending()[0]
        app.session.staging.add([StagedAction.make(order, "ship")])
        before = sandbox.requests_seen
        await pilot.press("S")
        screen = await shown(pilot)
        text = flat(app)
        assert "j send" in text and "y send" not in text
        assert "x / esc go back" in text and "n / esc" not in text
        await pilot.press("y")  # the shipped key: nothing
        assert app.screen is screen and sandbox.requests_seen == before
        await pilot.press("j")
        await settle(pilot)
        assert sandbox.requests_seen == before + 1 and sandbox.book.status(order) == "mark_shipped"


async def test_a_number_to_type_names_the_remapped_keys(settings, sandbox):
    app = CcnowApp(settings, keys=table(confirm__yes="j", confirm__typed="f5"))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        orders = sandbox.book.pending()[:11]
        app.session.staging.add([StagedAction.make(o, "cancel", notes="no stock") for o in orders])
        before = sandbox.requests_seen
        await pilot.press("S")
        screen = await shown(pilot)
        text = flat(app)
        assert "type 11, the number of entries that change orders," in text and "then f5 (j does not)." in text
        assert "0-9 f5 send" in text and "enter" not in text and "(y does not)" not in text
        await pilot.press("j")
        assert screen.note == "j does not send this batch: type 11, the number of entries that change orders, then f5."
        assert "j does not send this batch" in flat(app)
        await pilot.press("1", "1", "enter")  # enter is no longer the key that sends
        assert app.screen is screen and sandbox.requests_seen == before
        await pilot.press("f5")
        await settle(pilot)
        assert sandbox.requests_seen == before + 1
        assert all(sandbox.book.status(o) == "mark_canceled" for o in orders)


async def test_the_label_import_names_the_remapped_keys(settings, sandbox, tmp_path):
    orders = sandbox.book.pending()[:2]
    (tmp_path / "l.csv").write_text(
        "Order Number,Carrier,Tracking Number\n" + "".join(f"{o},UPS,1Z999AA1{i:010d}\n" for i, o in enumerate(orders))
    )
    app = CcnowApp(
        settings,
        keys=table(
            labels__path__read="f4",
            labels__stage="f6",
            labels__cancel="f7",
            labels__column__order="7",
            labels__track_only="T",
        ),
    )
    app.start_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, LabelPathForm), "the path form")
        await pilot.pause()
        assert "f4: read and preview tab: complete esc: cancel" in flat(app)
        app.screen.field.value = "l.csv"
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, ImportPreviewScreen), "the preview")
        await pilot.pause()
        text = flat(app)
        assert "f6 stage 2 rows T track only 7 2 3 columns c carrier f7 cancel" in text
        assert " 7 order column 1" in text and "enter stage" not in text
        await pilot.press("enter")  # as shipped: nothing staged
        assert isinstance(app.screen, ImportPreviewScreen) and app.session.staging.entries == ()
        await pilot.press("f6")
        await wait_until(pilot, lambda: len(app.session.staging) == 4, "the rows staged")
