"""Screenshots of every screen of ccnow-tui, from the real demo, headless.

    .venv/bin/python screenshots/make_screenshots.py [--text] [--only setup]

(--text also prints each screen as plain text, for a look without an SVG viewer;
--only setup makes only setup.svg, the first-run form, which needs no demo.)
Starts the demo (embedded sandbox on an ephemeral port) with a throw-away data directory,
drives it with Textual's pilot, and writes screenshots/*.svg at 100x30. The first-run
form is shot on a start with no configuration (a throw-away config directory), filled
in and tested against a sandbox of its own. Nothing outside screenshots/ is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))  # tui/seen.py: the screen as text, as the tests read it

SIZE = (100, 30)


async def shoot(text: bool = False) -> list[str]:
    from tui.seen import screen_text

    from ccnow_tui.protocol import StagedAction
    from ccnow_tui.sandbox.faults import parse_fault
    from ccnow_tui.tui.app import build_app
    from ccnow_tui.tui.screens.confirm import ConfirmScreen

    args = argparse.Namespace(demo=True, fault=[], profile=None, url=None, client_id=None, store_id=None, timeout=None)
    app, server = build_app(args)
    saved: list[str] = []

    async def until(pilot, condition) -> None:
        for _ in range(500):
            if condition():
                return
            if app.return_code is not None:  # it stopped (run_test raises its error, if any)
                raise RuntimeError(f"the demo stopped (return code {app.return_code})")
            await pilot.pause(0.01)
        raise RuntimeError("the demo did not get there")

    async def settle(pilot) -> None:
        await app.workers.wait_for_complete()
        await pilot.pause()

    async def answer_yes(pilot) -> None:
        # A y read before the confirmation is up is ignored on purpose: wait for it.
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.shown_at != float("inf"))
        await pilot.press("y")

    def save(name: str) -> None:
        saved.append(app.save_screenshot(f"{name}.svg", str(HERE)))
        if text:
            print(f"--- {name} ---\n{screen_text(app)}")

    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.session is not None and app.session.book.last_refresh is not None)
            await pilot.pause()
            pending = server.book.pending()
            done = server.book.with_status("completed")[0]
            # Queue: a selection, staged ship/track, one order adjusted.
            await pilot.press("space", "j", "space", "j", "s")  # space stays on its row: j moves
            await pilot.press("t", *"UPS", "tab", *"1Z999AA1", "enter")
            await pilot.press("down", "down", "a", *"4.50", "tab", *"late delivery", "enter")
            await pilot.press("down", "space", "down", "down", "space")
            save("queue")
            # Detail of an order with staged entries.
            await pilot.press("home", "down", "down", "enter")
            save("detail")
            await pilot.press("escape")
            # Composer with lint: ship + cancel on one order, a duplicate, a completed order.
            app.session.staging.add(
                [
                    StagedAction.make(pending[0], "cancel", notes="customer asked"),
                    StagedAction.make(pending[1], "ship"),
                    StagedAction.make(done, "ship"),
                ]
            )
            await pilot.press("b")
            save("composer")
            # Preview of the exact POST (password masked).
            await pilot.press("p")
            save("preview")
            await pilot.press("escape")
            # Fix the error (remove the cancel) and the duplicate ship, then the confirmation.
            table = app.screen.query_one("EntryTable")
            row = next(i for i, r in enumerate(table.rows) if r.entry and r.entry.kind.value == "cancel")
            table.move_to(row)
            await pilot.press("d")
            await pilot.pause()
            row = [
                i
                for i, r in enumerate(table.rows)
                if r.entry and r.entry.order_id == pending[1] and r.entry.kind.value == "ship"
            ][-1]
            table.move_to(row)
            await pilot.press("d", "S")
            save("confirm")
            # Send: results stream into the log (one refused, with the receiver's words).
            await answer_yes(pilot)
            await settle(pilot)
            await pilot.press("escape")
            save("results")
            # An answer cut off mid-way: the batch is kept as OUTCOME UNKNOWN. Fresh orders,
            # and the refused entry left from the results cleared first, so the screen shows
            # only that.
            staging = app.session.staging
            staging.remove(range(len(staging)))
            touched = {e.order_id for b in staging.held for e in b.entries}
            fresh = [o for o in server.book.pending() if o not in touched and o not in pending[:8]]
            staging.add(
                [
                    StagedAction.make(fresh[0], "ship"),
                    StagedAction.make(fresh[1], "ship"),
                    StagedAction.make(fresh[2], "ship"),
                ]
            )
            server.set_faults([parse_fault("truncate:1")])
            await pilot.press("S")
            await answer_yes(pilot)
            await settle(pilot)
            await pilot.press("b")
            save("unknown")
            # Reconcile it, then lose the answer to a discount: a status cannot prove it,
            # so after R it is UNVERIFIED, shown apart, sent again only if re-staged (r).
            await pilot.press("R")
            await settle(pilot)
            staging.add([StagedAction.make(fresh[3], "adjust", amount="7.25", notes="late delivery")])
            server.set_faults([parse_fault("drop-after-apply:1")])
            await pilot.press("S")
            await answer_yes(pilot)
            await settle(pilot)
            await pilot.press("R")
            await settle(pilot)
            table = app.screen.query_one("EntryTable")
            table.move_to(next(i for i, r in enumerate(table.rows) if r.unverified is not None and not r.header))
            await pilot.pause()
            save("unverified")
            await pilot.press("escape", "question_mark")
            save("help")
            # History: every batch sent from this profile, newest first, with its outcome.
            await pilot.press("escape", "h")
            await pilot.pause()
            save("history")
            # Import tracking numbers from a label export: the preview, before anything is staged.
            await pilot.press("escape")
            with tempfile.TemporaryDirectory(prefix="ccnow-labels-") as folder:
                labels = server.book.pending()[-7:]
                rows = ["Order Number,Order Date,Recipient,Carrier,Service,Tracking Number,Shipping Cost"]
                names = [
                    "Lovelace, Ada",
                    "Hopper, Grace",
                    "Turing, Alan",
                    "Dijkstra, Edsger",
                    "Liskov, Barbara",
                    "Knuth, Donald",
                ]
                for i, (oid, name) in enumerate(zip(labels, names, strict=False)):
                    carrier, number = (
                        ("UPS", f"1Z4E5F6203{8230435 + i * 7919:08d}")
                        if i % 2
                        else ("USPS", f"9400 7411 9171 7629 74{i:02d} 65")
                    )
                    shown = f"#{oid}" if i == 2 else oid
                    cell = "" if i == 3 else carrier  # no carrier in the file: guessed from the number
                    rows.append(f'{shown},2024-05-1{i},"{name}",{cell},{carrier} Ground,{number},8.82')
                rows.append(f'{labels[0]},2024-05-10,"Lovelace, Ada",UPS,UPS Ground,1Z4E5F620300000001,8.82')
                rows.append('999-99-9999,2024-05-16,"Hamilton, Margaret",UPS,UPS Ground,1Z4E5F620381161302,5.82')
                rows.append(f'{labels[6]},2024-05-16,"Ritchie, Dennis",USPS,USPS Priority Mail,,12.20')
                (Path(folder) / "shipstation-export.csv").write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
                app.start_dir = Path(folder)
                await pilot.press("i", *"shipstation-export.csv", "enter")
                await until(pilot, lambda: type(app.screen).__name__ == "ImportPreviewScreen")
                await pilot.pause()
                save("import")
                await pilot.press("escape")
    finally:
        server.stop()
    return saved


async def shoot_setup(text: bool = False) -> list[str]:
    """The first-run form: no configuration, the account entered, its test passed."""
    from tui.seen import screen_text

    from ccnow_tui.sandbox.server import SandboxConfig, SandboxServer
    from ccnow_tui.tui.app import build_app

    password = "shots-" + os.urandom(6).hex()
    server = SandboxServer(
        SandboxConfig(host="127.0.0.1", port=0, client_id="amylove", password=password, orders=40, seed=7, log=None)
    ).start()
    os.environ["CCNOW_SHOP_PASSWORD"] = password
    # The config file as on an operator's machine (~/.config/ccnow-tui/config.toml), in
    # the throw-away directory: HOME and XDG_CONFIG_HOME point there for this shot only.
    home = Path(os.environ["XDG_CONFIG_HOME"]).parent / "home"
    kept = {name: os.environ.get(name) for name in ("HOME", "XDG_CONFIG_HOME")}
    os.environ["HOME"], os.environ["XDG_CONFIG_HOME"] = str(home), str(home / ".config")
    args = argparse.Namespace(demo=False, fault=[], profile=None, url=None, client_id=None, store_id=None, timeout=None)
    app, _ = build_app(args)
    saved: list[str] = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            for name, value in (
                ("name", "shop"),
                ("url", server.url),
                ("client_id", "amylove"),
                ("password_env", "CCNOW_SHOP_PASSWORD"),
            ):
                screen.query_one(f"#f-{name}").value = value
            screen.query_one("#source-env").value = True
            await pilot.pause()
            await pilot.press("ctrl+t")
            await app.workers.wait_for_complete()
            await pilot.pause()
            saved.append(app.save_screenshot("setup.svg", str(HERE)))
            if text:
                print(f"--- setup ---\n{screen_text(app)}")
            await pilot.press("escape")  # quit: nothing saved
    finally:
        server.stop()
        del os.environ["CCNOW_SHOP_PASSWORD"]
        for name, value in kept.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return saved


def main() -> int:
    argv = sys.argv[1:]
    only = argv[argv.index("--only") + 1] if "--only" in argv[:-1] else ""
    if only not in ("", "setup"):
        print(f"make_screenshots.py: --only takes setup, not {only!r}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ccnow-shots-") as home:
        os.environ["XDG_DATA_HOME"] = str(Path(home) / "data")
        os.environ["XDG_CONFIG_HOME"] = str(Path(home) / "config")
        paths = [] if only else asyncio.run(shoot(text="--text" in argv))
        for path in paths + asyncio.run(shoot_setup(text="--text" in argv)):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
