"""Label import (issue #9): ``i``, a path, a preview of every row, then one change staged.

Against the real sandbox (seed 11, 40 orders): the label files are written here from its
pending orders, in a few header styles and delimiters, with decorated order numbers and
bad rows.
"""

from __future__ import annotations

from pathlib import Path

from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.keys import bindings_of
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.import_labels import (
    ImportPreviewScreen,
    LabelChoiceForm,
    LabelPathForm,
    complete_path,
    read_labels,
)
from ccnow_tui.tui.screens.queue import QueueScreen

from .helpers import SIZE, answer_yes, log_text, screen_text, settle, started, wait_until


def shipstation(path: Path, orders, *, extra: str = "") -> Path:
    """ShipStation's style: comma-separated, "Order Number", "Carrier", "Tracking Number"."""
    lines = ["Order Number,Order Date,Recipient,Carrier,Service,Tracking Number,Shipping Cost"]
    for i, oid in enumerate(orders):
        lines.append(f'{oid},2024-05-10,"Doe, Jane {i}",UPS,UPS Ground,1Z999AA1{i:010d},8.82')
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8-sig")  # with a BOM, as Excel saves it
    return path


async def type_path(pilot, text: str) -> None:
    await pilot.press(*["slash" if c == "/" else c for c in text])


async def open_preview(pilot, name: str) -> ImportPreviewScreen:
    app = pilot.app
    await pilot.press("i")
    assert isinstance(app.screen, LabelPathForm)
    await type_path(pilot, name)
    await pilot.press("enter")
    await wait_until(
        pilot, lambda: isinstance(app.screen, ImportPreviewScreen) and app.screen.is_mounted, "the import preview"
    )
    screen = app.screen
    assert isinstance(screen, ImportPreviewScreen)
    return screen


async def test_ten_orders_ship_with_tracking_in_six_keystrokes_plus_the_path(make_app, sandbox, tmp_path):
    ten = sandbox.book.pending()[:10]
    shipstation(tmp_path / "l.csv", ten)
    app = make_app()
    app.start_dir = tmp_path  # where ccnow-tui was started
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("i")
        await type_path(pilot, "l.csv")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ImportPreviewScreen), "the preview")
        text = screen_text(app)
        assert "10 rows to stage: track + ship for 10 orders" in text and "0 rows rejected" in text
        assert "column 1 (Order Number)" in text and "column 4 (Carrier)" in text
        assert "column 6 (Tracking Number)" in text
        assert len(app.session.staging) == 0  # nothing staged before enter
        await pilot.press("enter")
        assert isinstance(app.screen, QueueScreen)
        assert len(app.session.staging) == 20
        assert "imported l.csv: ship/track staged for 10 orders from 10 rows, 0 rows rejected" in log_text(app)
        await pilot.press("S")
        await answer_yes(pilot)
        await settle(pilot)
        for i, oid in enumerate(ten):
            record = sandbox.book.record(oid)
            assert record.status == "mark_shipped"
            assert [(t.carrier, t.number) for t in record.tracking] == [("UPS", f"1Z999AA1{i:010d}")]
        assert len(app.session.staging) == 0


async def test_rejected_rows_are_listed_with_reasons_and_not_staged(make_app, sandbox, tmp_path):
    pending = sandbox.book.pending()
    done = sandbox.book.with_status("completed")[0]
    # Pirate Ship's style: semicolons, "Reference", "Service", "Tracking"; decorated numbers.
    rows = [
        "Created Date;Recipient;Reference;Service;Tracking;Cost",
        f"05/12/2024;Radia;#{pending[0]};USPS;9400 0975 0584 3116 3963 76;7,87",
        f"05/13/2024;Niklaus;Order {pending[1].digits};USPS;9400 0492 7601 5345 7217 75;11,53",
        "05/14/2024;Leslie;no number here;USPS;9400 3200;9,92",
        f"05/15/2024;Shafi;{done};USPS;9400 0075;5,36",
        "05/15/2024;Ghost;999-99-9999;USPS;9400 0076;5,36",
        f"05/16/2024;Ada;{pending[2]};USPS;;5,36",
        f"05/16/2024;Evil;{pending[3]};USPS;9400\x1b[31mred;5,36",
    ]
    (tmp_path / "pirate.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    app = make_app()
    app.start_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_preview(pilot, "pirate.csv")
        assert screen.plan.accepted == 2 and screen.plan.rejected == 5
        text = screen_text(app)
        assert "2 rows to stage: track + ship for 2 orders" in text and "5 rows rejected" in text
        assert "line    4  ✖ rejected      no order number in 'no number here'" in text
        assert f"order {done} is not known" in text or f"order {done} is completed, not pending" in text
        assert "order 999-99-9999 is not known (not in the order list)" in text
        assert "line    7  ✖ rejected      tracking number" in text
        assert "\x1b" not in text  # a control character in the file is never drawn
        # The number as USPS writes it, and what was changed said.
        assert f"✔ track + ship  {pending[0]}  USPS  9400097505843116396376  (spaces removed)" in text
        assert "2 numbers written as the carrier writes them" in text
        await pilot.press("enter")
        staged = {e.order_id for e in app.session.staging.entries}
        assert staged == {pending[0], pending[1]}
        assert "imported pirate.csv: ship/track staged for 2 orders from 2 rows, 5 rows rejected" in log_text(app)


async def test_track_only_toggle_stages_no_ship(make_app, sandbox, tmp_path):
    three = sandbox.book.pending()[:3]
    lines = ["order_id\ttrackname\ttracknumber"] + [f"{o.digits}\tDHL\tJD01460000{i}" for i, o in enumerate(three)]
    (tmp_path / "tabs.tsv").write_text("\n".join(lines), encoding="utf-8")
    app = make_app()
    app.start_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_preview(pilot, "tabs.tsv")
        await pilot.press("t")
        text = screen_text(app)
        assert "3 rows to stage: track only for 3 orders" in text and "t ship too" in text
        await pilot.press("t", "t", "enter")  # on, off again: track only
        entries = app.session.staging.entries
        assert [e.kind.value for e in entries] == ["track"] * 3
        assert entries[0] == StagedAction.make(three[0], "track", trackname="DHL", tracknumber="JD014600000")
        assert screen.ship is False


async def test_columns_found_by_content_and_each_one_chosen_by_number_or_name(make_app, sandbox, tmp_path):
    two = sandbox.book.pending()[:2]
    # No header: every column is found by what its cells hold; a fourth column, empty.
    lines = [f"{o},UPS Ground,1Z999AA1000000000{i}," for i, o in enumerate(two)]
    (tmp_path / "bare.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = make_app()
    app.start_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_preview(pilot, "bare.csv")
        text = screen_text(app)
        assert "no header row" in text and "column 1 (Column 1) found by its content" in text
        assert (screen.file.mapping.order, screen.file.mapping.carrier, screen.file.mapping.number) == (0, 1, 2)
        assert screen.plan.accepted == 2
        # 3: the number's column, chosen by its number; the form lists every column with a cell.
        await pilot.press("3")
        assert isinstance(app.screen, LabelChoiceForm)
        text = screen_text(app)
        assert "The column holding the tracking number" in text
        assert "3  Column 3" in text and "1Z999AA10000000000  ◀ now" in text and "4  Column 4" in text
        await pilot.press("4", "enter")  # the empty column: every row rejected
        assert app.screen is screen and screen.file.mapping.number == 3 and screen.plan.accepted == 0
        # A column the file does not have: said in the form, which stays open.
        await pilot.press("3", "9", "enter")
        assert isinstance(app.screen, LabelChoiceForm)
        assert "column 9: the file has 4 columns" in screen_text(app)
        await pilot.press("backspace", *"column", "space", "3", "enter")  # by header name
        assert app.screen is screen and screen.file.mapping.number == 2 and screen.plan.accepted == 2
        # 2 emptied: no carrier column, each carrier guessed from its number.
        await pilot.press("2", "backspace", "enter")
        assert screen.file.mapping.carrier is None
        text = screen_text(app)
        assert "no column: guessed from each tracking number" in text
        assert f"{two[0]}  UPS (guessed)  1Z999AA10000000000" in text and "carrier guessed for 2 rows" in text
        # esc in the form changes nothing.
        await pilot.press("1", "2", "escape")
        assert app.screen is screen and screen.file.mapping.order == 0
        await pilot.press("enter")
        assert [e.trackname for e in app.session.staging.entries if e.kind.value == "track"] == ["UPS"] * 2


async def test_one_carrier_for_the_whole_file_and_an_ambiguous_number_said(make_app, sandbox, tmp_path):
    two = sandbox.book.pending()[:2]
    (tmp_path / "a.csv").write_text(
        f"Order Number,Tracking Number\n{two[0]},9205 5000 0000 0000 0000 01\n{two[1]},1Z999AA10000000001\n"
    )
    app = make_app()
    app.start_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_preview(pilot, "a.csv")
        text = screen_text(app)
        assert "could be USPS or FedEx (22 digits starting 92); set the carrier for the file" in " ".join(
            line.strip("█ ") for line in text.splitlines()
        )  # the reason wraps
        assert screen.plan.accepted == 1
        await pilot.press("c")
        assert isinstance(app.screen, LabelChoiceForm) and "One carrier for every row" in screen_text(app)
        await pilot.press(*"FedEx", "enter")
        assert app.screen is screen and screen.file.carrier == "FedEx" and screen.plan.accepted == 2
        text = screen_text(app)
        assert "set for every row: FedEx" in text
        assert "the number has UPS's format (1Z and 16 letters or digits), not FedEx's" in " ".join(
            line.strip("█ ") for line in text.splitlines()
        )
        await pilot.press("c", "backspace", "enter")  # emptied: back to the rows' own carriers
        assert screen.file.carrier is None and screen.plan.accepted == 1
        await pilot.press("c", *"FedEx", "enter", "enter")
        tracks = [e for e in app.session.staging.entries if e.kind.value == "track"]
        assert [(e.trackname, e.tracknumber) for e in tracks] == [
            ("FedEx", "9205500000000000000001"),
            ("FedEx", "1Z999AA10000000001"),
        ]


async def test_esc_stages_nothing_and_one_u_undoes_the_whole_import(make_app, sandbox, tmp_path):
    orders = sandbox.book.pending()[:6]
    shipstation(tmp_path / "six.csv", orders)
    app = make_app()
    app.start_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("s")  # one ship staged before: u must leave it
        assert len(app.session.staging) == 1
        await open_preview(pilot, "six.csv")
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen) and len(app.session.staging) == 1
        await pilot.press("i", "escape")  # esc on the path: nothing either
        assert isinstance(app.screen, QueueScreen) and len(app.session.staging) == 1
        # From the composer too; one u undoes all 11 entries (the first order's ship is
        # staged already: it is not staged again, and the log says so).
        await pilot.press("b")
        assert isinstance(app.screen, ComposerScreen)
        await open_preview(pilot, "six.csv")
        await pilot.press("enter")
        assert isinstance(app.screen, ComposerScreen) and len(app.session.staging) == 12
        assert f"not staged again: 1 entry identical to one already staged (ship {orders[0]})" in log_text(app)
        await pilot.press("u")
        assert len(app.session.staging) == 1


async def test_a_file_that_cannot_be_read_says_why_naming_it(make_app, sandbox, tmp_path):
    (tmp_path / "latin1.csv").write_bytes(
        "Order Number,Carrier,Tracking Number\n1,Poste fran\xe7aise,1\n".encode("latin-1")
    )
    (tmp_path / "sub").mkdir()
    app = make_app()
    app.start_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("i")
        await type_path(pilot, "missing.csv")
        await pilot.press("enter")
        assert isinstance(app.screen, LabelPathForm)
        text = screen_text(app)
        assert "missing.csv: no such file" in text and "nothing staged" in text
        await pilot.press(*["backspace"] * len("missing.csv"))
        await type_path(pilot, "latin1.csv")
        await pilot.press("enter")
        assert "latin1.csv: not UTF-8 text (byte 0xe7 on line 2)" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen) and len(app.session.staging) == 0


async def test_tab_completes_file_names_and_tilde_is_home(make_app, sandbox, tmp_path, monkeypatch):
    orders = sandbox.book.pending()[:2]
    (tmp_path / "exports").mkdir()
    shipstation(tmp_path / "exports" / "labels-may.csv", orders)
    (tmp_path / "exports" / "labels-june.csv").write_text("x", encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path))
    app = make_app()
    app.start_dir = tmp_path / "elsewhere"
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("i", "~", "tab")
        form = app.screen
        assert isinstance(form, LabelPathForm)
        assert form.field.value == "~/"
        await pilot.press("e", "tab", "l", "tab")
        assert form.field.value == "~/exports/labels-"
        assert "labels-june.csv   labels-may.csv" in screen_text(app)
        await pilot.press("m", "tab")
        assert form.field.value == "~/exports/labels-may.csv"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ImportPreviewScreen), "the preview")
        assert app.screen.plan.accepted == 2


def test_paths_are_read_from_the_start_directory(tmp_path):
    (tmp_path / "a.csv").write_text("Order Number,Carrier,Tracking Number\n", encoding="utf-8")
    (tmp_path / "ab.csv").write_text("", encoding="utf-8")
    assert complete_path("a", tmp_path) == ("a", ["a.csv", "ab.csv"])
    assert complete_path("ab", tmp_path) == ("ab.csv", [])
    assert complete_path("zz", tmp_path) == ("zz", [])
    assert read_labels("a.csv", tmp_path).header == ("Order Number", "Carrier", "Tracking Number")
    for typed, why in [
        ("", "type the label file's path"),
        (".", ".: is a directory"),
        ("nope/x.csv", "nope/x.csv: no such file"),
    ]:
        try:
            read_labels(typed, tmp_path)
        except ValueError as exc:
            assert why in str(exc)
        else:
            raise AssertionError(typed)


def test_the_import_keys_have_ids_tooltips_and_help():
    from ccnow_tui.tui.app import help_sections

    listed = {what for _, rows in help_sections() for _, what in rows}
    for cls in (LabelPathForm, ImportPreviewScreen, LabelChoiceForm):
        for b in cls.BINDINGS:
            assert b.id and b.id.startswith("labels."), b.key
            assert b.tooltip in listed, b.key
    for cls in (QueueScreen, ComposerScreen):
        assert any(b.key == "i" and b.id == "labels.import" for b in bindings_of(cls))


async def test_the_keys_typed_in_one_burst_act_where_they_were_typed_for(make_app, sandbox, tmp_path):
    # Over SSH "i l.csv enter enter S" may arrive in one read: the path lands in the form,
    # the first enter reads it, the second stages from the preview, S asks on the queue.
    from textual import events

    from ccnow_tui.tui.screens.confirm import ConfirmScreen

    ten = sandbox.book.pending()[:10]
    shipstation(tmp_path / "l.csv", ten)
    app = make_app()
    app.start_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        for key in ["i", "l", ".", "c", "s", "v", "enter", "enter", "S"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        assert len(app.session.staging) == 20
        await wait_until(pilot, lambda: "20 entries for 10 orders" in screen_text(app), "the question drawn")


async def test_a_column_and_a_carrier_typed_in_one_burst_land_in_their_forms(make_app, sandbox, tmp_path):
    # Over SSH "i l.csv enter 2 5 enter enter" may come in one read: each key acts where
    # it was typed for (the forms hold them until their field exists).
    from textual import events

    three = sandbox.book.pending()[:3]
    shipstation(tmp_path / "l.csv", three)
    app = make_app()
    app.start_dir = tmp_path

    def burst(*keys: str) -> None:
        for key in keys:
            app.post_message(events.Key(key, key if len(key) == 1 else None))

    def tracks() -> list[str]:
        return [e.trackname for e in app.session.staging.entries if e.kind.value == "track"]

    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        burst("i", "l", ".", "c", "s", "v", "enter", "2", "5", "enter", "enter")
        await wait_until(pilot, lambda: len(app.session.staging) == 6, "the rows staged")
        assert isinstance(app.screen, QueueScreen)
        assert tracks() == ["UPS Ground"] * 3  # the carrier from column 5, "Service"
        burst("u", "i", "l", ".", "c", "s", "v", "enter", "c", "D", "H", "L", "enter", "enter")
        await wait_until(pilot, lambda: tracks() == ["DHL"] * 3, "the rows staged again")
        assert isinstance(app.screen, QueueScreen) and len(app.session.staging) == 6


async def test_the_preview_keys_are_in_the_palette_and_act_from_it(make_app, sandbox, tmp_path):
    shipstation(tmp_path / "l.csv", sandbox.book.pending()[:2])
    app = make_app()
    app.start_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_preview(pilot, "l.csv")
        commands = {c.title: c for c in app.get_system_commands(screen)}
        carrier = commands["Set one carrier for every row (empty: the carrier column, else guessed)"]
        assert carrier.help == "key: c"
        assert commands["Choose the column holding the order number (by its number or header name)"].help == "key: 1"
        await carrier.callback()  # as the palette runs it
        await wait_until(pilot, lambda: isinstance(app.screen, LabelChoiceForm), "the carrier form")
        await pilot.press(*"USPS", "enter")
        assert app.screen is screen and screen.file.carrier == "USPS"
