"""Files ccnow-tui keeps per profile: the journal of sent requests and the unsent draft.

No user-interface code here, so the CLI, the TUI and tests share one implementation.
"""

from .drafts import DRAFT_VERSION, Draft, DraftCorrupt, DraftLoad, DraftStore, UnknownBatch, draft_path, parse_draft
from .journal import NO_OUTCOME, Journal, JournalRead, journal_path
from .paths import config_path, data_dir, ensure_private_dir, profile_dir, safe_profile_name

__all__ = [
    "DRAFT_VERSION", "Draft", "DraftCorrupt", "DraftLoad", "DraftStore", "UnknownBatch", "draft_path", "parse_draft",
    "NO_OUTCOME", "Journal", "JournalRead", "journal_path",
    "config_path", "data_dir", "ensure_private_dir", "profile_dir", "safe_profile_name",
]
