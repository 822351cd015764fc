"""A batch staged and claimed in a store, as a send does before the POST: for the tests
of what the store says of batches afterwards (history, last events)."""

from __future__ import annotations

from ccnow_tui.protocol import StagedAction
from ccnow_tui.storage.store import BatchMeta, Store

META = BatchMeta("http://127.0.0.1:1/", "127.0.0.1:1", "shop", "store-7", "test")


def send(store: Store, *actions: StagedAction) -> tuple[str, dict[int, int]]:
    """Stage ``actions`` and claim them as one batch: its id and N → entry id."""
    entries = store.add(list(actions))
    batch_id = store.claim([(n, e.id, e.rev, e.action) for n, e in enumerate(entries, 1)], META)
    return batch_id, store.entry_ids(batch_id)
