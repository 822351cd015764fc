"""100,000 pending orders: streamed in chunks into a line-API table, not row widgets."""

from __future__ import annotations

import pytest

from ccnow_tui.config.load import ConnectionSettings
from ccnow_tui.protocol.redact import Secret
from ccnow_tui.sandbox.server import SandboxConfig, SandboxServer
from ccnow_tui.tui.app import CcnowApp
from ccnow_tui.tui.messages import PendingRecords
from ccnow_tui.tui.widgets.order_table import OrderTable

from .helpers import PASSWORD, SIZE, screen_text, started

# 100,000 orders through the real app: the quick loop (-m 'not slow') leaves it out
pytestmark = pytest.mark.slow

ORDERS = 100_000


async def test_a_hundred_thousand_pending_orders(isolated_dirs):
    config = SandboxConfig(port=0, client_id="big", password=PASSWORD, orders=ORDERS, seed=3, log=None)
    server = SandboxServer(config).start()
    try:
        settings = ConnectionSettings("big", server.url, "big", "", Secret(PASSWORD), 30.0, "tests")
        chunks = []
        app = CcnowApp(settings)
        async with app.run_test(
            size=SIZE, message_hook=lambda m: isinstance(m, PendingRecords) and chunks.append(m)
        ) as pilot:
            await started(pilot)
            table = app.screen.query_one(OrderTable)
            assert table.row_count() == ORDERS
            assert 1 < len(chunks) < 1000  # batched, not one message per record
            pending = server.book.pending()
            await pilot.press("end")
            assert table.current == pending[-1] and pending[-1] in screen_text(app)
            # Filtering builds an index list; the last order is found by its digits.
            await pilot.press("slash", *pending[-1].digits, "enter")
            assert table.row_count() == 1 and table.current == pending[-1]
            # Staging for a selection of the whole (filtered) list stays cheap too.
            await pilot.press("escape", "A", "s")
            assert len(app.session.staging) == ORDERS
    finally:
        server.stop()
