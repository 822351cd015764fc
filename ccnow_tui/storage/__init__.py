"""What ccnow-tui keeps per profile: the store (staged entries, batches, the journal).

No user-interface code here, so the CLI, the TUI and tests share one implementation.
"""

# Loaded when first asked for (PEP 562): config needs the paths and atomic writes, not
# SQLite and the store.
TYPE_CHECKING = False
if TYPE_CHECKING:
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

_PATHS = ("config_path", "data_dir", "ensure_private_dir", "profile_dir", "safe_profile_name")


def __getattr__(name: str) -> object:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{'paths' if name in _PATHS else 'store'}"), name)
    globals()[name] = value
    return value


__all__ = [
    "BatchMeta",
    "BatchState",
    "ClaimConflict",
    "EntryState",
    "HeldBatch",
    "HistoryItem",
    "Snapshot",
    "Store",
    "StoreError",
    "StoredEntry",
    "Verdict",
    "config_path",
    "data_dir",
    "ensure_private_dir",
    "profile_dir",
    "safe_profile_name",
]
