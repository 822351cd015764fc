"""One TUI session with one receiver: the client, the profile's store, and what we know (no textual)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from ..client import ClientConfigError, ReceiverClient
from ..config.load import ConnectionSettings
from ..domain.staging import StagingArea
from ..gcpause import collector_paused
from ..protocol.form import Credentials
from ..protocol.redact import Secret
from ..storage.store import STORE_NAME, BatchMeta, CorruptRow, Store, StoreError, damaged
from .model import LastEvents, OrderBook
from .request import Request


class SessionError(Exception):
    """The session cannot start: what to show instead (the setup screen)."""

    def __init__(self, message: str, title: str = "") -> None:
        super().__init__(message)
        self.title = title


@dataclass
class Session:
    settings: ConnectionSettings
    client: ReceiverClient
    store: Store
    staging: StagingArea
    book: OrderBook = field(default_factory=OrderBook)
    in_flight: Request | None = None  # the batch this window is sending (one at a time)
    progress: tuple[int, int] = (0, 0)  # orders answered / orders in the batch in flight

    @classmethod
    def open(cls, settings: ConnectionSettings, password: Secret) -> Session:
        """The profile's store and the one client of this session; SessionError if not."""
        try:
            client = ReceiverClient.from_settings(settings, password)
        except ClientConfigError as exc:
            raise SessionError(str(exc)) from exc
        unusable = "The profile's store cannot be used"
        advice = (
            "\n\nThe file was left exactly as it is: it may hold staged work and batches whose outcome is "
            "unknown. Restore it from a backup, or move it away yourself to start afresh."
        )
        try:
            if settings.store_dir is not None:  # a --demo run's own
                store = Store.open(settings.store_dir / STORE_NAME)
            else:
                store = Store.for_profile(settings.profile)
        except (StoreError, OSError) as exc:
            raise SessionError(f"{exc}{advice}", title=unusable) from exc
        try:  # the first reads of its rows: one no ccnow-tui writes is named, never shown as something else
            with collector_paused():  # every entry the store holds, loaded at once: they live long
                staging = StagingArea(store)
            session = cls(settings, client, store, staging)
            session.staging.max_discount = settings.max_discount  # flagged in the lint above it
            session.book.events = LastEvents(store)
        except (StoreError, sqlite3.Error) as exc:
            store.close()
            what = (
                damaged(store.path, str(exc))
                if isinstance(exc, CorruptRow)
                else (f"the store {store.path} could not be read ({exc}).{advice}")
            )
            raise SessionError(what, title=unusable) from exc
        return session

    def use_password(self, password: Secret) -> None:
        """A password typed again (the receiver refused the last one)."""
        s = self.settings
        self.client.credentials = Credentials(s.client_id, password, s.store_id)

    @property
    def profile(self) -> str:
        return self.settings.profile

    @property
    def host(self) -> str:
        """The receiver's host (and port, when it has one): what the operator recognises."""
        return self.client.address

    def batch_meta(self) -> BatchMeta:
        """Where this session's batches go, as recorded with each one."""
        s = self.settings
        return BatchMeta(
            url=self.client.url, host=self.host, client_id=s.client_id, store_id=s.store_id, profile=s.profile
        )

    @property
    def account(self) -> str:
        store = self.settings.store_id
        return f"{self.settings.client_id} (store {store})" if store else self.settings.client_id
