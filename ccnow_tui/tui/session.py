"""One TUI session with one receiver: the client, the profile's store, and what we know."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..client import ReceiverClient
from ..config import ConnectionSettings
from ..staging import StagingArea
from ..storage.store import BatchMeta, Store
from .messages import Request
from .model import OrderBook


@dataclass
class Session:
    settings: ConnectionSettings
    client: ReceiverClient
    store: Store
    staging: StagingArea
    book: OrderBook = field(default_factory=OrderBook)
    in_flight: Request | None = None  # the batch this window is sending (one at a time)
    progress: tuple[int, int] = (0, 0)  # orders answered / orders in the batch in flight

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
        return BatchMeta(url=self.client.url, host=self.host, client_id=s.client_id, store_id=s.store_id,
                         profile=s.profile)

    @property
    def account(self) -> str:
        store = self.settings.store_id
        return f"{self.settings.client_id} (store {store})" if store else self.settings.client_id
