"""Messages the app handles: the network workers' records and answers, and the screens' requests.

Workers never touch widgets: they turn the client's event stream into these messages,
records in small batches (an answer of a stress-size list, see docs/scale.md, must not become a message per line).

Screens and widgets never call the app: they post an :class:`AppRequest` to it
(``self.app.post_message``) and the app acts on it with ``@on``. Keys read while a
request waits to be handled wait too (``CcnowApp.post_message``), so each key still acts
on what the key before it did, as with a direct call.
"""

from __future__ import annotations

import asyncio

from textual.message import Message

from ..client import Retrying
from ..domain.answers import ReceiverAnswer
from ..protocol.actions import StagedAction
from ..protocol.answer import Record
from ..protocol.orderid import OrderId
from .model import LogKind
from .request import Request, RequestKind

__all__ = ["Request", "RequestKind"]  # re-exported: the messages carry them


class Delivered(Message):
    """Records the network worker posts one slice at a time: the app sets ``delivered``
    once it has handled one, and the worker posts the next (network.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered = asyncio.Event()


class PendingRecords(Delivered):
    """Orders from the pending list, as a chunk of the streaming answer arrives."""

    def __init__(self, request: Request, orders: list[tuple[OrderId, str]], other: list[Record]) -> None:
        super().__init__()
        self.request = request
        self.orders = orders
        self.other = other  # messages, errors and unparsed lines, for the log


class AnswerRecords(Delivered):
    """Records of a query or batch answer, as they are parsed."""

    def __init__(self, request: Request, records: list[Record]) -> None:
        super().__init__()
        self.request = request
        self.records = records


class BatchProgress(Message):
    """How many of a batch's orders have been answered so far."""

    def __init__(self, request: Request, answered: int, total: int) -> None:
        super().__init__()
        self.request = request
        self.answered = answered
        self.total = total


class RetryNotice(Message):
    def __init__(self, request: Request, retrying: Retrying) -> None:
        super().__init__()
        self.request = request
        self.retrying = retrying


class RequestFinished(Message):
    """The client's one final answer for a request."""

    def __init__(self, request: Request, answer: ReceiverAnswer) -> None:
        super().__init__()
        self.request = request
        self.answer = answer


# -- what screens ask of the app ---------------------------------------------------------


class AppRequest(Message):
    """Something a screen asks the app to do; keys typed after it wait until it is done."""


class StageRequested(AppRequest):
    def __init__(self, entries: list[StagedAction]) -> None:
        super().__init__()
        self.entries = entries


class SendRequested(AppRequest):
    """``S``: say exactly what will be sent, and send only on ``y``."""


class ImportRequested(AppRequest):
    """The accepted rows of a label file, staged in one change (one ``u`` undoes it all)."""

    def __init__(self, entries: list[StagedAction], name: str, accepted: int, rejected: int) -> None:
        super().__init__()
        self.entries = entries
        self.name = name  # the file, as the operator typed it
        self.accepted = accepted
        self.rejected = rejected


class UndoRequested(AppRequest):
    pass


class ReconcileRequested(AppRequest):
    def __init__(self, batch_ids: list[str]) -> None:
        super().__init__()
        self.batch_ids = batch_ids


class QueryRequested(AppRequest):
    def __init__(self, order_ids: list[OrderId]) -> None:
        super().__init__()
        self.order_ids = order_ids


class RefreshRequested(AppRequest):
    """The pending list, again."""


class OrderOpened(AppRequest):
    def __init__(self, order_id: OrderId) -> None:
        super().__init__()
        self.order_id = order_id


class ComposerOpened(AppRequest):
    pass


class HistoryOpened(AppRequest):
    """``h``: every batch sent from this profile."""


class Logged(AppRequest):
    """A line for the status log (what a screen did: edited, removed, forgot)."""

    def __init__(self, kind: LogKind, text: str) -> None:
        super().__init__()
        self.kind = kind
        self.text = text
