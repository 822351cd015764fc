"""Label exports of the common shipping tools (issue #14 §4), each end to end: the sample
file in ``examples/`` -> the preview (pilot) -> the staged entries -> sent to the real
sandbox -> the sandbox's own record of the tracking it applied.

The sandbox here is seeded as ``ccnow-tui --demo`` seeds its own (seed 7, 40 orders): the
sample files name its pending orders, as an operator trying them in the demo sees them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ccnow_tui.domain.labels import CarrierFrom, plan_import, read_label_file
from ccnow_tui.tui.screens.import_labels import ImportPreviewScreen, LabelPathForm
from ccnow_tui.tui.screens.queue import QueueScreen

from .helpers import SIZE, answer_yes, log_text, screen_text, settle, started, wait_until

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


@pytest.fixture
def sandbox_options() -> dict[str, object]:
    """The demo's order book (seed 7 here, not the TUI tests' seed 11; the one ``sandbox``
    fixture is tests/conftest.py's)."""
    return {"client_id": "shop", "orders": 40, "seed": 7}


# file -> (rows, carriers as staged, what the preview says of the carrier, a rewritten number shown)
TOOLS = {
    "labels-shipstation.csv": (10, {"UPS", "USPS"}, "column 4 (Carrier)", "9400741191717629740265"),
    "labels-pirateship.csv": (10, {"USPS"}, "column 4 (Service)", "9400097505843116396376"),
    "labels-shippo.csv": (4, {"USPS", "UPS", "FedEx"}, "column 5 (Carrier)", "1Z4E5F620391240717"),
    "labels-easypost.csv": (4, {"USPS", "UPSDAP", "FedEx"}, "column 5 (carrier)", ""),
    "labels-stampscom.csv": (4, {"USPS"}, "no column: guessed from each tracking number", "9405503699300451738212"),
    "labels-shipworks.csv": (4, {"USPS (Stamps.com)", "UPS", "FedEx"}, "column 5 (Provider)", "9405511206203042118156"),
    "labels-worldship.csv": (4, {"UPS"}, "no column: guessed from each tracking number", ""),
}


@pytest.mark.parametrize("name", sorted(TOOLS))
async def test_a_tools_export_goes_from_file_to_the_sandboxs_record(make_app, sandbox, tmp_path, name):
    rows, carriers, carrier_said, rewritten = TOOLS[name]
    shutil.copy(EXAMPLES / name, tmp_path / name)
    # What the file must become, worked out by the core on its own (no TUI).
    plan = plan_import(read_label_file((EXAMPLES / name).read_text(encoding="utf-8"), name), known_status=None)
    expected = {row.order_id: (row.entries[0].trackname, row.entries[0].tracknumber) for row in plan.rows}
    assert len(expected) == rows and {carrier for carrier, _ in expected.values()} == carriers
    guessed = {row.carrier_from for row in plan.rows} == {CarrierFrom.GUESSED}

    app = make_app()
    app.start_dir = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("i")
        assert isinstance(app.screen, LabelPathForm)
        await pilot.press(*name, "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ImportPreviewScreen), "the preview")
        text = screen_text(app)
        assert f"{rows} rows to stage: track + ship for {rows} orders" in text and "0 rows rejected" in text
        assert carrier_said in text
        if guessed:
            assert f"carrier guessed for {rows} rows" in text and "(guessed)" in text
        if rewritten:
            assert rewritten in text and ("removed" in text or "upper case" in text)
        await pilot.press("enter")
        assert isinstance(app.screen, QueueScreen)
        assert len(app.session.staging) == 2 * rows
        await pilot.press("S")
        await answer_yes(pilot)
        await settle(pilot)
        await wait_until(pilot, lambda: len(app.session.staging) == 0, "the batch settled")
        assert f"{2 * rows} applied, 0 refused, 0 unknown" in log_text(app)
    for oid, (carrier, number) in expected.items():
        record = sandbox.book.record(oid)
        assert record.status == "mark_shipped", oid
        assert [(t.carrier, t.number) for t in record.tracking] == [(carrier, number)], oid
        assert " " not in number and "-" not in number
