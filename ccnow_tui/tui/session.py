"""One TUI session with one receiver: the client, the profile's files, and what we know."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..client import ReceiverClient
from ..config import ConnectionSettings
from ..staging import StagingArea
from ..storage.journal import Journal
from .messages import Request
from .model import OrderBook


@dataclass
class Session:
    settings: ConnectionSettings
    client: ReceiverClient
    journal: Journal
    staging: StagingArea
    book: OrderBook = field(default_factory=OrderBook)
    in_flight: Request | None = None  # the batch being sent (one at a time)
    progress: tuple[int, int] = (0, 0)  # orders answered / orders in the batch in flight

    @property
    def profile(self) -> str:
        return self.settings.profile

    @property
    def host(self) -> str:
        """The receiver's host (and port, when it has one): what the operator recognises."""
        return self.client.address

    @property
    def account(self) -> str:
        store = self.settings.store_id
        return f"{self.settings.client_id} (store {store})" if store else self.settings.client_id
