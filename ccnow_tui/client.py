"""The async client: one ``httpx.AsyncClient`` per session, answers parsed as they stream.

Each request method is an async iterator of :data:`ClientEvent`: parsed records as soon as
their line arrives, :class:`Retrying` notices, and exactly one final
:class:`ReceiverAnswer`. Network and protocol trouble never escapes as an exception; it
becomes a typed outcome. Requests that change orders are journaled before they are sent
and never re-sent by this module.
"""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import random
import time
import uuid
from contextlib import aclosing, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, AsyncIterator, Iterable, Union

import httpx

from . import __version__
from .protocol.actions import ActionKind, StagedAction
from .protocol.answer import AnswerParser, OrderLine, Record
from .protocol.batch import Batch
from .protocol.form import Credentials, encode_form, request_fields
from .protocol.orderid import OrderId
from .protocol.outcome import EntryOutcome, EntryResult, Outcome, resolve_batch, resolve_pending
from .protocol.redact import redact

if TYPE_CHECKING:  # pragma: no cover
    from .storage.journal import Journal

USER_AGENT = f"ccnow-tui/{__version__}"
DEFAULT_URL = "https://www.ccnow.com/cgi-local/oapi_receive.cgi"
MAX_ERROR_BODY = 4096  # bytes of a non-200 body kept for the message
# From this many entries, judging the answer and journaling its outcome (about a second
# at 100,000) run on a worker thread, so the caller's event loop (the UI) keeps going.
OFF_LOOP_ENTRIES = 5_000


class ClientConfigError(ValueError):
    """A connection setting the client will not use (bad URL, plain http to a remote host)."""


class RequestKind(StrEnum):
    PENDING = "pending"
    QUERY = "query"
    BATCH = "batch"


@dataclass(frozen=True, slots=True)
class Retrying:
    """A read-only request failed and will be tried again after ``delay`` seconds.

    ``discarded`` records of the failed attempt were already yielded; they are void
    (the answer was cut off) and the next attempt yields the whole answer again.
    """

    attempt: int  # the attempt that failed, from 1
    delay: float
    reason: str
    discarded: int = 0


@dataclass(frozen=True)
class ReceiverAnswer:
    """The end of one request: what happened, in the receiver's words where it gave some."""

    request: RequestKind
    outcome: Outcome
    message: str
    records: tuple[Record, ...] = ()
    entries: tuple[EntryResult, ...] = ()
    http_status: int | None = None
    batch_id: str = ""
    elapsed: float = 0.0
    attempts: int = 1
    # Order lines answered. A pending list's order lines are streamed to the consumer,
    # not kept here (100k of them would only weigh on memory and the garbage collector),
    # so for PENDING ``records`` holds only the other records.
    order_count: int = 0

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code

    @property
    def raw_lines(self) -> list[str]:
        return [r.raw for r in self.records]

    def statuses(self) -> dict[OrderId, str]:
        """Each order the answer reported a status for (last line wins)."""
        return {r.order_id: r.status for r in self.records if isinstance(r, OrderLine)}


class RecordChunk(tuple):
    """The records completed by one network read, in answer order (``chunked=True``).

    A 100,000-line pending list arrives in a few dozen reads; handing consumers one
    tuple per read instead of one event per line keeps the client's own overhead small
    next to the parse, and lets a UI add rows in batches.
    """

    __slots__ = ()


ClientEvent = Union[Record, RecordChunk, Retrying, ReceiverAnswer]


def check_url(url: str) -> httpx.URL:
    """https anywhere; plain http only to this machine (the sandbox), never over a network."""
    try:
        parsed = httpx.URL(url)
    except Exception as exc:  # httpx raises several types for malformed URLs
        raise ClientConfigError(f"receiver URL {url!r} is not a valid URL ({exc})") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise ClientConfigError(f"receiver URL {url!r} must start with https://")
    if parsed.scheme == "http" and not is_loopback(parsed.host):
        raise ClientConfigError(
            f"receiver URL {url!r} uses plain http to {parsed.host}: the password would cross the "
            "network unencrypted. Use https:// (plain http is allowed only to localhost/127.0.0.1/::1)"
        )
    return parsed


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ReceiverClient:
    """A session with one order receiver. Use as ``async with ReceiverClient(...) as c``."""

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        profile: str = "default",
        journal: "Journal | None" = None,
        retries: int = 2,
        backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = str(check_url(url))
        if not credentials.password:
            raise ClientConfigError("no API password: set one in the profile, CCNOW_PASSWORD, or enter it when asked")
        if not credentials.client_id:
            raise ClientConfigError("no client id: set client_id in the profile or CCNOW_CLIENT_ID")
        url = httpx.URL(self.url)
        self.host = url.host
        # What the operator recognises: the host, and the port when the URL names one.
        self.address = f"{url.host}:{url.port}" if url.port else url.host
        self.credentials = credentials
        self.profile = profile
        self.journal = journal
        self.retries = max(0, retries)
        self.backoff = backoff
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": USER_AGENT, "Accept": "text/plain"},
            follow_redirects=False,
            transport=transport,
        )

    async def __aenter__(self) -> "ReceiverClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the three request shapes -------------------------------------------------------

    # Each method yields records one by one as their lines complete or, with
    # chunked=True, one RecordChunk per network read; then exactly one ReceiverAnswer.

    def pending(self, *, chunked: bool = False) -> AsyncIterator[ClientEvent]:
        """The pending list: one :class:`OrderLine` per order, then the answer."""
        return self._events(RequestKind.PENDING, None, chunked)

    def query(self, order_ids: Iterable[OrderId], *, chunked: bool = False) -> AsyncIterator[ClientEvent]:
        batch = Batch(StagedAction(OrderId.parse(o), ActionKind.QUERY) for o in dict.fromkeys(order_ids))
        return self._events(RequestKind.QUERY, batch, chunked)

    def submit(self, batch: Batch, *, chunked: bool = False) -> AsyncIterator[ClientEvent]:
        """Send a batch once. A batch that changes orders is never re-sent by the client."""
        batch.check()
        kind = RequestKind.BATCH if batch.changes_orders else RequestKind.QUERY
        return self._events(kind, batch, chunked)

    def _events(self, kind: RequestKind, batch: Batch | None, chunked: bool) -> AsyncIterator[ClientEvent]:
        stream = self._request(kind, batch)
        return stream if chunked else _flatten(stream)

    # -- machinery -----------------------------------------------------------------------

    async def _request(self, kind: RequestKind, batch: Batch | None) -> AsyncIterator[ClientEvent]:
        started = time.monotonic()
        mutating = batch is not None and batch.changes_orders
        batch_id = uuid.uuid4().hex[:12] if mutating else ""
        numbered = batch.numbered() if batch is not None else []
        big = len(numbered) >= OFF_LOOP_ENTRIES
        journal = self.journal if mutating else None

        def prepare() -> tuple[bytes, bytes | None]:
            body = encode_form(request_fields(self.credentials, batch))
            if journal is None:
                return body, None
            entries = [dict(e.to_dict(), n=n) for n, e in numbered]
            return body, journal.encode(journal.submit_event(batch_id, self.profile, self.host, entries))

        body, submit_line = await asyncio.to_thread(prepare) if big else prepare()
        if journal is not None and submit_line is not None:
            journal.append_encoded(submit_line)  # before sending: a crash leaves a submit with no outcome
        answer: ReceiverAnswer | None = None
        cancelled = False
        try:
            attempt = 0
            while True:
                attempt += 1
                run = _Attempt(keep_order_lines=kind is not RequestKind.PENDING)
                # aclosing: a consumer that stops early must close the HTTP stream (and
                # end the collector pause) now, not whenever the generator is collected.
                async with aclosing(self._attempt(body, run)) as chunks:
                    async for chunk in chunks:
                        yield chunk
                if not mutating and run.retryable and attempt <= self.retries:
                    delay = self.backoff * (2 ** (attempt - 1)) * (0.75 + 0.5 * random.random())
                    yield Retrying(attempt, round(delay, 3), run.failure, run.yielded)
                    await asyncio.sleep(delay)
                    continue
                finish = partial(self._finish, kind, batch_id, numbered, run, mutating, started, attempt)
                answer = await asyncio.to_thread(finish) if big else finish()
                break
        except asyncio.CancelledError:
            cancelled = True
            if mutating:
                answer = ReceiverAnswer(
                    kind, Outcome.UNKNOWN, "cancelled while the batch was in flight: outcome unknown, query to reconcile",
                    batch_id=batch_id, elapsed=time.monotonic() - started,
                )
            raise
        finally:
            if mutating and self.journal is not None and answer is not None:
                # Written before the answer is handed on. When cancelled, here and now:
                # an await could be cut short and lose the record.
                if big and not cancelled:
                    await asyncio.to_thread(self._record_outcome, batch_id, answer)
                else:
                    self._record_outcome(batch_id, answer)
        yield answer

    def _record_outcome(self, batch_id: str, answer: ReceiverAnswer) -> None:
        assert self.journal is not None
        self.journal.record_outcome(
            batch_id, self.profile, self.host, answer.outcome.value, answer.raw_lines,
            [r.to_dict() for r in answer.entries], answer.message,
        )

    async def _attempt(self, body: bytes, run: "_Attempt") -> AsyncIterator[RecordChunk]:
        parser = AnswerParser()
        try:
            async with self._http.stream(
                "POST", self.url, content=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ) as resp:
                run.http_status = resp.status_code
                if resp.status_code != 200:
                    raw = b""
                    async for chunk in resp.aiter_bytes():
                        raw += chunk
                        if len(raw) >= MAX_ERROR_BODY:
                            break
                    run.error_body = raw[:MAX_ERROR_BODY].decode("utf-8", "replace")
                    run.retryable = resp.status_code >= 500 or resp.status_code == 429
                    run.failure = f"HTTP {resp.status_code} {resp.reason_phrase}".strip()
                    return
                with _collector_paused():
                    async for data in resp.aiter_bytes():
                        before = parser.order_lines
                        records = parser.feed(data)
                        if records:
                            run.keep(records, parser.order_lines - before)
                            yield RecordChunk(records)
                before = parser.order_lines
                records = parser.close()
                if records:
                    run.keep(records, parser.order_lines - before)
                    yield RecordChunk(records)
                run.complete = True
                run.non_protocol = parser.non_protocol
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # The only failures that prove no byte of the request left this machine.
            run.sent = False
            run.retryable = True
            run.failure = f"cannot reach {self.host}: {_describe(exc)}"
        except httpx.TimeoutException as exc:
            run.retryable = True
            run.failure = f"no answer from {self.host} within {self.timeout:g} s ({type(exc).__name__})"
        except httpx.TransportError as exc:  # reset, closed mid-answer, incomplete body
            run.retryable = True
            run.failure = f"the answer from {self.host} was cut off: {_describe(exc)}"
        finally:
            run.non_protocol = run.non_protocol or parser.non_protocol
            run.order_lines = parser.order_lines

    def _finish(self, kind, batch_id, numbered, run: "_Attempt", mutating, started, attempts) -> ReceiverAnswer:
        records = tuple(run.records)
        common = dict(
            records=records, http_status=run.http_status, batch_id=batch_id,
            elapsed=time.monotonic() - started, attempts=attempts, order_count=run.order_lines,
        )
        if run.failure and not run.sent:
            return ReceiverAnswer(kind, Outcome.UNREACHABLE, f"{run.failure}; nothing was sent, nothing applied", **common)
        if run.http_status is not None and run.http_status != 200:
            detail = _first_line(run.error_body)
            msg = run.failure + (f": {detail}" if detail else "")
            if mutating and run.http_status in (502, 504):
                # A gateway error can come after the receiver applied the batch.
                _, results, _ = resolve_batch(numbered, (), complete=False)
                return ReceiverAnswer(
                    kind, Outcome.UNKNOWN,
                    f"{msg}; a gateway error may hide an applied batch: outcome unknown, query to reconcile",
                    entries=results, **common,
                )
            results = tuple(EntryResult(n, e, EntryOutcome.REFUSED, "", msg) for n, e in numbered)
            return ReceiverAnswer(kind, Outcome.REFUSED, f"{msg}; nothing applied", entries=results, **common)
        if not run.complete:
            if kind is RequestKind.PENDING:
                return ReceiverAnswer(kind, Outcome.UNKNOWN, f"{run.failure}; the list is incomplete", **common)
            # Entries already answered keep their result; the rest, and the batch, are unknown.
            _, results, summary = resolve_batch(numbered, records, complete=False)
            if mutating:
                msg = f"{run.failure}; outcome unknown: nothing is re-sent, query the orders to reconcile ({summary})"
            else:
                msg = f"{run.failure} ({summary})"
            return ReceiverAnswer(kind, Outcome.UNKNOWN, msg, entries=results, **common)
        if kind is RequestKind.PENDING:
            outcome, msg = resolve_pending(records, non_protocol=run.non_protocol, order_count=run.order_lines)
            return ReceiverAnswer(kind, outcome, msg, **common)
        outcome, results, summary = resolve_batch(numbered, records, non_protocol=run.non_protocol)
        return ReceiverAnswer(kind, outcome, summary, entries=results, **common)


_gc_pauses = 0


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector while one answer streams in.

    Records are NamedTuples, which the collector tracks for life, and a consumer that
    keeps 100,000 of them (the TUI's queue does) sets off repeated full collections
    while the list loads (measured with tests/benchmarks/bench.py). Nothing here makes
    reference cycles; the collector is back on as soon as the body is read, or the
    read is abandoned, and then runs once over what is left.
    """
    global _gc_pauses
    if _gc_pauses == 0 and not gc.isenabled():
        yield  # someone else turned it off: not ours to turn back on
        return
    _gc_pauses += 1
    gc.disable()
    try:
        yield
    finally:
        _gc_pauses -= 1
        if _gc_pauses == 0:
            gc.enable()


async def _flatten(stream) -> AsyncIterator[ClientEvent]:
    async with aclosing(stream):
        async for event in stream:
            if type(event) is RecordChunk:
                for record in event:
                    yield record
            else:
                yield event


@dataclass
class _Attempt:
    keep_order_lines: bool = True
    records: list[Record] = field(default_factory=list)
    order_lines: int = 0
    yielded: int = 0
    sent: bool = True  # "may have been sent": only a failure to connect proves otherwise
    complete: bool = False
    non_protocol: bool = False
    retryable: bool = False
    http_status: int | None = None
    error_body: str = ""
    failure: str = ""

    def keep(self, records: list[Record], order_lines: int) -> None:
        self.yielded += len(records)
        if self.keep_order_lines:
            self.records.extend(records)
        elif order_lines != len(records):
            self.records.extend(r for r in records if type(r) is not OrderLine)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return redact(text)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return redact(line[:200])
    return ""
