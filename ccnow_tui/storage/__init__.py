"""What ccnow-tui keeps per profile: the store (staged entries, batches, the journal).

No user-interface code here, so the CLI, the TUI and tests share one implementation.
"""

from .paths import config_path, data_dir, ensure_private_dir, profile_dir, safe_profile_name
from .store import (
    BatchMeta,
    BatchState,
    ClaimConflict,
    EntryState,
    HeldBatch,
    HistoryItem,
    Snapshot,
    Store,
    StoredEntry,
    StoreError,
    Verdict,
)

__all__ = [
    "BatchMeta", "BatchState", "ClaimConflict", "EntryState", "HeldBatch", "HistoryItem", "Snapshot", "Store",
    "StoreError", "StoredEntry", "Verdict",
    "config_path", "data_dir", "ensure_private_dir", "profile_dir", "safe_profile_name",
]
