"""The async client: one ``httpx.AsyncClient`` per session, answers parsed as they stream.

Each request method is an async iterator of :data:`ClientEvent`: parsed records as soon as
their line arrives, :class:`Retrying` notices, and exactly one final
:class:`ReceiverAnswer`. Network and protocol trouble never escapes as an exception; it
becomes a typed outcome. A batch that changes orders is never re-sent by this module;
the caller records it in the profile's store (claims it) before asking for it to be sent.

Limits, so that no receiver can hold a command or fill the memory: ``timeout`` bounds
each whole exchange (connect, send, every byte of the answer), not each read; the answer
is read up to ``max_answer_bytes`` (decoded); a line longer than 64 KiB is kept only by
its start (see :mod:`.protocol.answer`); and at most ``MAX_KEPT_OTHER`` records beyond
what the request can explain are kept. Past a limit, a batch that changes orders is
unknown and a read is an error.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import ssl
import stat
import time
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Iterable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from . import __version__
from .config.load import DEFAULT_MAX_ANSWER_BYTES, DEFAULT_TIMEOUT, ConnectionSettings
from .domain.answers import ReceiverAnswer, RequestShape
from .protocol.actions import ActionKind, StagedAction
from .protocol.answer import AnswerParser, OrderLine, Record
from .protocol.batch import Batch
from .protocol.form import Credentials, encode_form, request_fields
from .protocol.orderid import OrderId
from .protocol.outcome import EntryOutcome, EntryResult, Outcome, resolve_batch, resolve_pending
from .protocol.receiver_url import is_loopback
from .protocol.redact import Secret, redact
from .words import counted

if TYPE_CHECKING:
    import ssl

USER_AGENT = f"ccnow-tui/{__version__}"
MAX_ERROR_BODY = 4096  # bytes of a non-200 body kept for the message
READ_PIECE = 64 * 1024  # at most this many decoded bytes reach the parser at a time
# Records kept (and passed on) beyond those the request can explain: a batch's lines for
# its orders, a pending list's order lines (passed on, never kept). The rest are counted.
MAX_KEPT_OTHER = 1000
# From this many entries, building the body and judging the answer (about a second at
# the stress size, see docs/scale.md) run on a worker thread, so the caller's event loop (the UI) keeps going; the
# callers do the same with the store's claim and settle.
OFF_LOOP_ENTRIES = 5_000


class ClientConfigError(ValueError):
    """A connection setting the client will not use (bad URL, plain http to a remote host)."""


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


class RecordChunk(tuple[Record, ...]):
    """The records completed by one network read, in answer order (``chunked=True``).

    A stress-size pending list (docs/scale.md) arrives in a few dozen reads; handing consumers one
    tuple per read instead of one event per line keeps the client's own overhead small
    next to the parse, and lets a UI add rows in batches.
    """

    __slots__ = ()


ClientEvent = Record | RecordChunk | Retrying | ReceiverAnswer


def check_url(url: str) -> httpx.URL:
    """https anywhere; plain http only to this machine (the sandbox), never over a network."""
    try:
        parsed = httpx.URL(url)
    except Exception as exc:  # httpx raises several types for malformed URLs
        raise ClientConfigError(f"receiver URL {url!r} is not a valid URL ({exc})") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise ClientConfigError(f"receiver URL {url!r} must start with https://")
    if parsed.port is not None and not 0 < parsed.port <= 65535:
        raise ClientConfigError(f"receiver URL {url!r}: port {parsed.port} is not a port (1-65535)")
    if parsed.scheme == "http" and not is_loopback(parsed.host):
        raise ClientConfigError(
            f"receiver URL {url!r} uses plain http to {parsed.host}: the password would cross the "
            "network unencrypted. Use https:// (plain http is allowed only to localhost/127.0.0.1/::1)"
        )
    return parsed


def _no_tls_context() -> ssl.SSLContext:
    """The TLS context of a plain-http client (loopback only, never redirected): never
    used, and if it ever were, it verifies and trusts no certificate. httpx's default
    loads the whole CA bundle, a third of a `pending` run's own start-up."""
    import ssl

    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


T = TypeVar("T")


class LookupLoop(asyncio.SelectorEventLoop):
    """An event loop whose name lookups each run on a daemon thread of their own.

    asyncio runs ``getaddrinfo`` on its default executor. The request's deadline stops
    the wait, but not the thread: a name server that never answers keeps it (the system
    resolver's own timeouts: 10 s and more), and the process cannot end until it returns,
    since the default executor's threads are waited for at exit. A daemon thread is not:
    the command ends when its ``--timeout`` is spent, name lookup included.
    """

    async def getaddrinfo(
        self,
        host: bytes | str | None,
        port: bytes | str | int | None,
        *,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> Any:  # socket.getaddrinfo's list
        import threading

        future: asyncio.Future[Any] = self.create_future()

        def settle(result: object, error: BaseException | None) -> None:
            if future.done():  # the wait was given up (the deadline)
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        def lookup() -> None:
            try:
                result, error = socket.getaddrinfo(host, port, family, type, proto, flags), None
            except BaseException as exc:  # handed to the waiting coroutine
                result, error = None, exc
            try:
                self.call_soon_threadsafe(settle, result, error)
            except RuntimeError:  # the loop is closed: nobody waits for it any more
                pass

        threading.Thread(target=lookup, name="ccnow-getaddrinfo", daemon=True).start()
        return await future


def run_network(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` on a :class:`LookupLoop`: what a command that talks to
    the receiver runs its requests with."""
    with asyncio.Runner(loop_factory=LookupLoop) as runner:
        return runner.run(coroutine)


PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")  # what httpx can use as a proxy


def proxy_variables(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(name, value)`` of each proxy variable httpx would take for a client that trusts
    the environment, as urllib reads them: ``http_proxy``, ``https_proxy``, ``all_proxy``
    in either case, the lower-case one winning; ``HTTP_PROXY`` ignored in a CGI request."""
    chosen: dict[str, tuple[str, str]] = {}
    for lower_case in (False, True):
        for name, value in env.items():
            if not value or (name.lower() == name) != lower_case:
                continue
            scheme = name.lower().removesuffix("_proxy")
            if scheme == name.lower() or scheme not in ("http", "https", "all"):
                continue
            if name == "HTTP_PROXY" and "REQUEST_METHOD" in env:
                continue
            chosen[scheme] = (name, value)
    return list(chosen.values())


def environment_problem(env: Mapping[str, str]) -> str:
    """Why the proxy or trust-store variables cannot be used by an https client ("" if
    they can), naming the variable. A proxy's value is never repeated: it may hold a user
    name and password."""
    for name, value in proxy_variables(env):
        text = value.strip()
        try:
            proxy = httpx.Proxy(text if "://" in text else f"http://{text}")
        except Exception:
            return (
                f"the environment variable {name} is not a proxy URL this client can use (it must be "
                f"{', '.join(s + '://HOST:PORT' for s in PROXY_SCHEMES[:2])} or socks5://HOST:PORT); fix or "
                "unset it"
            )
        if proxy.url.scheme in ("socks5", "socks5h"):
            import importlib.util

            if importlib.util.find_spec("socksio") is None:
                return (
                    f"the environment variable {name} names a SOCKS proxy, and SOCKS support is not installed "
                    "(pip install 'httpx[socks]'); install it, or unset the variable"
                )
    cafile = env.get("SSL_CERT_FILE")
    if cafile:
        where = f"the environment variable SSL_CERT_FILE names {cafile!r}, which"
        try:
            mode = os.stat(cafile).st_mode
        except OSError as exc:
            return f"{where} cannot be read ({exc.strerror or type(exc).__name__}); fix or unset it"
        if not stat.S_ISREG(mode):
            return f"{where} is not a regular file (it must hold PEM certificates); fix or unset it"
        try:
            ssl.create_default_context(cafile=cafile)
        except (ssl.SSLError, OSError, ValueError):
            return f"{where} holds no certificate this client can read (PEM); fix or unset it"
    elif env.get("SSL_CERT_DIR") and not os.path.isdir(env["SSL_CERT_DIR"]):
        return (
            f"the environment variable SSL_CERT_DIR names {env['SSL_CERT_DIR']!r}, which is not a folder; "
            "fix or unset it"
        )
    return ""


class ReceiverClient:
    """A session with one order receiver. Use as ``async with ReceiverClient(...) as c``."""

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        profile: str = "default",
        retries: int = 2,
        backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    ) -> None:
        self.url = str(check_url(url))
        if isinstance(max_answer_bytes, bool) or not isinstance(max_answer_bytes, int) or max_answer_bytes < 1:
            raise ClientConfigError(f"max_answer_bytes must be a whole number of bytes >= 1, not {max_answer_bytes!r}")
        if not credentials.password:
            raise ClientConfigError("no API password: set one in the profile, CCNOW_PASSWORD, or enter it when asked")
        if not credentials.client_id:
            raise ClientConfigError("no client id: set client_id in the profile or CCNOW_CLIENT_ID")
        parsed = httpx.URL(self.url)
        self.host = parsed.host
        # What the operator recognises: the host, and the port when the URL names one.
        self.address = f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host
        self.credentials = credentials
        self.profile = profile
        self.retries = max(0, retries)
        self.backoff = backoff
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        # Plain http goes only to this machine (check_url), so it never goes through a
        # proxy: HTTP_PROXY/ALL_PROXY would otherwise receive the form, password and all,
        # in clear text. https honours the standard variables: HTTPS_PROXY, ALL_PROXY,
        # NO_PROXY, and SSL_CERT_FILE/SSL_CERT_DIR for the trust store.
        trust_env = parsed.scheme == "https"
        problem = environment_problem(os.environ) if trust_env and transport is None else ""
        if problem:
            raise ClientConfigError(problem)
        try:
            self._http = self._make_http(trust_env, timeout, transport, parsed.scheme)
        except Exception as exc:  # a value of the environment httpx cannot take (NO_PROXY, ...)
            names = [n for n, _ in proxy_variables(os.environ)] + [
                n for n in ("NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR") if os.environ.get(n)
            ]
            raise ClientConfigError(
                f"the connection settings of the environment ({', '.join(names) or 'none set'}) cannot be used "
                f"({type(exc).__name__}); fix or unset them"
            ) from None

    @staticmethod
    def _make_http(
        trust_env: bool, timeout: float, transport: httpx.AsyncBaseTransport | None, scheme: str
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            trust_env=trust_env,
            # Per read, as httpx times; _attempt also bounds the whole exchange by timeout.
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            # identity: a compressed answer's decoded size is not known in advance (see _Body).
            headers={"User-Agent": USER_AGENT, "Accept": "text/plain", "Accept-Encoding": "identity"},
            follow_redirects=False,
            transport=transport,
            verify=True if scheme == "https" else _no_tls_context(),
        )

    @classmethod
    def from_settings(cls, settings: ConnectionSettings, password: Secret) -> ReceiverClient:
        """The client for a resolved connection and its password: how the CLI and the TUI
        both build theirs. ClientConfigError if a setting cannot be used."""
        credentials = Credentials(settings.client_id, password, settings.store_id)
        return cls(
            settings.url,
            credentials,
            timeout=settings.timeout,
            profile=settings.profile,
            max_answer_bytes=settings.max_answer_bytes,
        )

    async def __aenter__(self) -> ReceiverClient:
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
        return self._events(RequestShape.PENDING, None, chunked)

    def query(self, order_ids: Iterable[OrderId], *, chunked: bool = False) -> AsyncIterator[ClientEvent]:
        batch = Batch(StagedAction(OrderId.parse(o), ActionKind.QUERY) for o in dict.fromkeys(order_ids))
        return self._events(RequestShape.QUERY, batch, chunked)

    def submit(self, batch: Batch, *, chunked: bool = False, batch_id: str = "") -> AsyncIterator[ClientEvent]:
        """Send a batch once. A batch that changes orders is never re-sent by the client.

        ``batch_id``: the store's id for it, carried on the answer.
        """
        batch.check()
        kind = RequestShape.BATCH if batch.changes_orders else RequestShape.QUERY
        return self._events(kind, batch, chunked, batch_id)

    def _events(
        self, kind: RequestShape, batch: Batch | None, chunked: bool, batch_id: str = ""
    ) -> AsyncIterator[ClientEvent]:
        stream = self._request(kind, batch, batch_id)
        return stream if chunked else _flatten(stream)

    # -- machinery -----------------------------------------------------------------------

    async def _request(
        self, kind: RequestShape, batch: Batch | None, batch_id: str = ""
    ) -> AsyncGenerator[ClientEvent, None]:
        started = time.monotonic()
        mutating = batch is not None and batch.changes_orders
        numbered = batch.numbered() if batch is not None else []
        big = len(numbered) >= OFF_LOOP_ENTRIES

        def prepare() -> bytes:
            return encode_form(request_fields(self.credentials, batch))

        body = await asyncio.to_thread(prepare) if big else prepare()
        answer: ReceiverAnswer | None = None
        attempt = 0
        # One budget for the whole request: a read's retries, and the name lookup of
        # each, share ``timeout`` (the time a consumer spends with a chunk moves it on).
        budget = _Budget(asyncio.get_running_loop().time() + self.timeout)
        while True:
            attempt += 1
            pending = kind is RequestShape.PENDING
            run = _Attempt(keep_order_lines=not pending, room=MAX_KEPT_OTHER + (0 if pending else len(numbered)))
            # aclosing: a consumer that stops early must close the HTTP stream (and
            # end the collector pause) now, not whenever the generator is collected.
            async with aclosing(self._attempt(body, run, budget)) as chunks:
                async for chunk in chunks:
                    yield chunk
            delay = self.backoff * (2 ** (attempt - 1)) * (0.75 + 0.5 * random.random())
            if not mutating and run.retryable and attempt <= self.retries and budget.left() > delay:
                yield Retrying(attempt, round(delay, 3), run.failure, run.yielded)
                await asyncio.sleep(delay)
                continue
            finish = partial(self._finish, kind, batch_id, numbered, run, mutating, started, attempt)
            try:
                answer = await asyncio.to_thread(finish) if big else finish()
            except Exception as exc:  # a bug judging the answer must not lose a sent batch
                why = f"the answer could not be judged ({type(exc).__name__}: {_describe(exc)})"
                if mutating:
                    why += "; outcome unknown: nothing is re-sent, query the orders to reconcile"
                answer = ReceiverAnswer(
                    kind,
                    Outcome.UNKNOWN if mutating else Outcome.REFUSED,
                    why,
                    entries=tuple(EntryResult(n, e, EntryOutcome.UNKNOWN, "", why) for n, e in numbered),
                    http_status=run.http_status,
                    batch_id=batch_id,
                    elapsed=time.monotonic() - started,
                    attempts=attempt,
                )
            break
        yield answer

    async def _attempt(
        self, body: bytes, run: _Attempt, budget: _Budget | None = None
    ) -> AsyncGenerator[RecordChunk, None]:
        parser = AnswerParser()
        loop = asyncio.get_running_loop()
        # One deadline for the whole exchange: httpx times each read, so a receiver that
        # drips a byte at a time would never time out. The time the consumer spends with
        # a chunk is its own, not the receiver's, and moves the deadline on. (The deadline
        # is applied around each await, never around a yield.)
        if budget is None:
            budget = _Budget(loop.time() + self.timeout)
        deadline = budget.deadline
        resp: httpx.Response | None = None
        try:
            request = self._http.build_request(
                "POST",
                self.url,
                content=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                extensions={"trace": run.trace},
            )
            async with asyncio.timeout_at(deadline):
                resp = await self._http.send(request, stream=True)
            run.http_status = resp.status_code
            if resp.status_code != 200:
                run.retryable = resp.status_code >= 500 or resp.status_code == 429
                run.failure = f"HTTP {resp.status_code} {resp.reason_phrase}".strip()
                run.error_body = await self._error_body(resp, deadline)
                return
            reader = _Body(resp, self.max_answer_bytes)
            while True:
                async with asyncio.timeout_at(deadline):
                    data = await reader.read()
                if data is None:
                    break
                before = parser.order_lines
                records = parser.feed(data)
                if records:
                    records = run.keep(records, parser.order_lines - before)
                    if records:
                        handed = loop.time()
                        yield RecordChunk(records)
                        deadline += loop.time() - handed
                        budget.deadline = deadline
            before = parser.order_lines
            records = parser.close()
            if records:
                records = run.keep(records, parser.order_lines - before)
                if records:
                    yield RecordChunk(records)
            run.complete = True
            run.non_protocol = parser.non_protocol
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # The only failures that prove no byte of the request left this machine.
            run.sent = False
            run.retryable = True
            run.detail = _original(exc)
            run.failure = connect_words(exc, self.host, self.address, self.timeout)
        except (httpx.TimeoutException, TimeoutError) as exc:
            run.retryable = True
            run.detail = _original(exc)
            if run.never_sent:  # the deadline came while connecting: nothing left
                run.sent = False
                run.failure = f"cannot reach {self.address}: no connection within {self.timeout:g} s"
            else:
                run.failure = f"no complete answer from {self.host} within {self.timeout:g} s"
        except httpx.TransportError as exc:  # reset, closed mid-answer, incomplete body
            run.retryable = True
            run.detail = _original(exc)
            run.failure = f"the answer from {self.host} was cut off: {cut_words(exc, self.host)}"
        except _BadAnswer as exc:  # over the size limit, or a coding that does not decode
            run.broken = True
            run.failure = f"the answer from {self.host} {exc}"
        except Exception as exc:
            # Nothing after the send began may escape: the batch's outcome must be recorded.
            run.broken = True
            run.detail = _original(exc)
            run.failure = f"the answer from {self.host} could not be read (an error in this program; see the journal)"
        finally:
            run.non_protocol = run.non_protocol or parser.non_protocol
            run.order_lines = parser.order_lines
            if resp is not None:
                try:
                    await resp.aclose()
                except Exception:  # closing a broken connection: nothing left to learn
                    pass

    async def _error_body(self, resp: httpx.Response, deadline: float) -> str:
        """The start of a non-200 body, for the message: whatever arrives in time, decodes
        and fits (the status alone already decides the outcome)."""
        raw = b""
        try:
            reader = _Body(resp, self.max_answer_bytes)
            async with asyncio.timeout_at(deadline):
                while len(raw) < MAX_ERROR_BODY:
                    data = await reader.read()
                    if data is None:
                        break
                    raw += data
        except Exception:
            pass
        return raw[:MAX_ERROR_BODY].decode("utf-8", "replace")

    def _finish(
        self,
        kind: RequestShape,
        batch_id: str,
        numbered: Sequence[tuple[int, StagedAction]],
        run: _Attempt,
        mutating: bool,
        started: float,
        attempts: int,
    ) -> ReceiverAnswer:
        records = tuple(run.records)
        elapsed = time.monotonic() - started

        def answer(outcome: Outcome, message: str, entries: tuple[EntryResult, ...] = ()) -> ReceiverAnswer:
            return ReceiverAnswer(
                kind,
                outcome,
                message,
                records=records,
                entries=entries,
                http_status=run.http_status,
                batch_id=batch_id,
                elapsed=elapsed,
                attempts=attempts,
                order_count=run.order_lines,
                detail=run.detail,
            )

        reconcile = "outcome unknown: nothing is re-sent, query the orders to reconcile"
        dropped = f"; {counted(run.dropped, 'more line', 'more lines')} not kept" if run.dropped else ""
        if run.failure and not run.sent:
            why = f"{run.failure}; nothing was sent, nothing applied"
            return answer(Outcome.UNREACHABLE, why)
        if run.http_status is not None and run.http_status != 200:
            detail = _first_line(run.error_body)
            msg = run.failure + (f": {detail}" if detail else "")
            if mutating:
                # Only a 200 answer in the protocol's words says what happened: a script
                # that dies half-way through a batch, or a gateway that gives up on it,
                # answers with some other status after applying part or all of it.
                results = tuple(EntryResult(n, e, EntryOutcome.UNKNOWN, "", msg) for n, e in numbered)
                return answer(Outcome.UNKNOWN, f"{msg}; {reconcile}", results)
            results = tuple(EntryResult(n, e, EntryOutcome.REFUSED, "", msg) for n, e in numbered)
            return answer(Outcome.REFUSED, f"{msg}; nothing applied", results)
        if not run.complete:
            # A read whose answer cannot be read (too big, undecodable) is an error; one
            # cut off or timed out was retried and stays incomplete.
            read_outcome = Outcome.REFUSED if run.broken else Outcome.UNKNOWN
            if kind is RequestShape.PENDING:
                what = "the list was not read" if run.broken else "the list is incomplete"
                return answer(read_outcome, f"{run.failure}; {what}{dropped}")
            # Entries already answered keep their result; the rest, and the batch, are unknown.
            _, results, summary = resolve_batch(numbered, records, complete=False)
            if mutating:
                return answer(Outcome.UNKNOWN, f"{run.failure}; {reconcile} ({summary}){dropped}", results)
            return answer(read_outcome, f"{run.failure} ({summary}){dropped}", results)
        if kind is RequestShape.PENDING:
            outcome, msg = resolve_pending(records, non_protocol=run.non_protocol, order_count=run.order_lines)
            return answer(outcome, msg + dropped)
        outcome, results, summary = resolve_batch(numbered, records, non_protocol=run.non_protocol)
        if mutating and outcome is Outcome.UNKNOWN:
            summary += "; nothing is re-sent, query the orders to reconcile"
        return answer(outcome, summary + dropped, results)


@dataclass
class _Budget:
    """The deadline (event loop time) one request's attempts share."""

    deadline: float

    def left(self) -> float:
        return self.deadline - asyncio.get_running_loop().time()


class _BadAnswer(Exception):
    """The answer cannot be read as the protocol: over the size limit, or undecodable."""


# Content codings a receiver may use although asked for identity: decoded, bounded.
_INFLATE_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class _Body:
    """The answer's body, read as sent (``aiter_raw``: httpx decodes nothing), at most
    ``limit`` bytes of it after decoding.

    The client asks for ``Accept-Encoding: identity``. A receiver (or a proxy) that
    gzips or deflates the answer anyway is decoded here a piece at a time (at most
    READ_PIECE bytes of output per step), and the decoded bytes count against the same
    limit, so a decompression bomb stops at the limit with little memory used. Decoding
    rather than refusing such an answer keeps a batch whose answer is readable known.
    Any other coding, a stream that does not decode, ends early or has bytes after its
    end is not the protocol (:class:`_BadAnswer`).
    """

    def __init__(self, resp: httpx.Response, limit: int) -> None:
        self._raw = resp.aiter_raw()
        self.limit = limit
        self.received = 0  # bytes as sent
        self.size = 0  # bytes after decoding
        codings = [c.strip().lower() for c in resp.headers.get("content-encoding", "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in _INFLATE_WBITS):
            raise _BadAnswer(f"is encoded as {', '.join(codings)!r}, which this client does not decode")
        self.coding = codings[0] if codings else ""
        self._inflate = zlib.decompressobj(_INFLATE_WBITS[self.coding]) if self.coding else None
        self._maybe_raw_deflate = self.coding == "deflate"  # some servers omit the zlib header
        self._tail = b""  # input the decoder has not taken yet
        self._more = False  # the decoder may hold more output

    async def read(self) -> bytes | None:
        """The next piece of the decoded body; None at its end."""
        while True:
            if self._inflate is not None and (self._tail or self._more):
                out = self._decode(self._tail)
                if out:
                    return self._count(out)
            data = await anext(self._raw, None)
            if data is None:
                if self._inflate is not None and not self._inflate.eof:
                    raise _BadAnswer(f"ends inside its {self.coding} stream (cut off or not {self.coding})")
                return None
            self.received += len(data)
            if self.received > self.limit:
                raise _BadAnswer(f"is larger than the limit of {self.limit:,} bytes")
            if self._inflate is None:
                if data:
                    return self._count(data)
                continue
            out = self._decode(data)
            if out:
                return self._count(out)

    def _decode(self, data: bytes) -> bytes:
        assert self._inflate is not None
        if self._inflate.eof:
            if data.strip():
                raise _BadAnswer(f"has bytes after the end of its {self.coding} stream")
            self._tail, self._more = b"", False
            return b""
        try:
            out = self._inflate.decompress(data, READ_PIECE)
        except zlib.error as exc:
            if self._maybe_raw_deflate:
                self._maybe_raw_deflate = False
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._decode(data)
            raise _BadAnswer(f"says it is {self.coding} but does not decode ({exc})") from None
        self._maybe_raw_deflate = False
        self._tail = self._inflate.unconsumed_tail
        self._more = len(out) == READ_PIECE
        if self._inflate.eof and self._inflate.unused_data.strip():
            raise _BadAnswer(f"has bytes after the end of its {self.coding} stream")
        return out

    def _count(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.limit:
            raise _BadAnswer(f"is larger than the limit of {self.limit:,} bytes")
        return data


async def _flatten(stream: AsyncGenerator[ClientEvent, None]) -> AsyncIterator[ClientEvent]:
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
    room: int = MAX_KEPT_OTHER  # records kept at most (a pending list's order lines aside)
    records: list[Record] = field(default_factory=list)
    order_lines: int = 0
    yielded: int = 0
    dropped: int = 0  # records beyond the room: counted, neither kept nor passed on
    sent: bool = True  # "may have been sent": only a failure to connect proves otherwise
    complete: bool = False
    non_protocol: bool = False
    retryable: bool = False
    broken: bool = False  # the answer cannot be read (too big, undecodable): not retried
    connecting: bool = False  # seen by the trace: a connection was being made ...
    sending: bool = False  # ... and the request had begun to go out on one
    http_status: int | None = None
    error_body: str = ""
    failure: str = ""  # in the operator's words
    detail: str = ""  # the library's own words for the failure (for the journal)

    async def trace(self, event: str, info: dict[str, object]) -> None:
        """httpcore's trace hook: where the exchange had got to (a transport that does
        not trace leaves both False, which proves nothing)."""
        if event.endswith(".started"):
            if ".send_request" in event:
                self.sending = True
            elif ".connect_" in event or ".start_tls" in event:
                self.connecting = True

    @property
    def never_sent(self) -> bool:
        """Provably nothing sent: still connecting when the attempt ended."""
        return self.connecting and not self.sending

    def keep(self, records: list[Record], order_lines: int) -> list[Record]:
        """Keep what the answer needs and return the records to pass on; past the room,
        records are only counted, so a hostile answer cannot fill the memory."""
        if self.keep_order_lines:
            room = self.room - len(self.records)
            if len(records) > room:
                self.dropped += len(records) - max(room, 0)
                records = records[: max(room, 0)]
            self.records.extend(records)
        elif order_lines != len(records):
            room = self.room - len(self.records)
            out: list[Record] = []
            for r in records:
                if type(r) is OrderLine:
                    out.append(r)
                elif room > 0:
                    out.append(r)
                    self.records.append(r)
                    room -= 1
                else:
                    self.dropped += 1
            records = out
        self.yielded += len(records)
        return records


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what caused it, outermost first (httpx wraps httpcore wraps the OS)."""
    out: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(out) < 20:
        e = todo.pop(0)
        if any(e is seen for seen in out):
            continue
        out.append(e)
        todo.extend(getattr(e, "exceptions", ()))  # an ExceptionGroup's members
        for nxt in (e.__cause__, e.__context__):
            if nxt is not None:
                todo.append(nxt)
    return out


def _original(exc: BaseException) -> str:
    """The library's words for a failure, each link of the chain once: for the journal."""
    seen: list[str] = []
    for e in _chain(exc):
        text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        if text not in seen:
            seen.append(text)
    return redact(" <- ".join(seen))


def connect_words(exc: BaseException, host: str, address: str, timeout: float) -> str:
    """Why no connection was made, in the operator's words (the library's go to the journal)."""
    chain = _chain(exc)
    texts = " ".join(str(e).lower() for e in chain)
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "connection refused" in texts:
        return f"{address} refused the connection (is the receiver running, is the port right?)"
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        words in texts
        for words in (
            "name or service not known",
            "nodename nor servname",
            "temporary failure in name resolution",
            "no address associated",
        )
    ):
        return f"cannot reach {host}: the host name was not found (DNS); check the URL"
    cert = next((e for e in chain if isinstance(e, ssl.SSLCertVerificationError)), None)
    if cert is not None:
        why = f" ({cert.verify_message})" if getattr(cert, "verify_message", "") else ""
        return f"cannot reach {host} safely: its TLS certificate was not accepted{why}"
    if any(isinstance(e, ssl.SSLError) for e in chain) or "ssl" in texts:
        return (
            f"cannot reach {address}: the secure (TLS) connection could not be set up "
            "(does it speak https on that port?)"
        )
    if any(isinstance(e, (TimeoutError, httpx.TimeoutException)) for e in chain):
        return f"cannot reach {address}: no connection within {min(timeout, 10.0):g} s"
    if any(isinstance(e, (ConnectionResetError, ConnectionAbortedError)) for e in chain):
        return f"cannot reach {address}: it closed the connection while it was being set up"
    err = next((e for e in chain if isinstance(e, OSError) and e.strerror), None)
    if err is not None:
        return f"cannot reach {address}: {err.strerror}"
    return f"cannot reach {address}"


def cut_words(exc: BaseException, host: str) -> str:
    """How an exchange that had begun broke off, in the operator's words."""
    chain = _chain(exc)
    text = " ".join(str(e).lower() for e in chain)
    if "without sending a response" in text:
        return f"{host} closed the connection without answering"
    if any(isinstance(e, (ConnectionResetError, ConnectionAbortedError)) for e in chain) or "reset" in text:
        return "the connection was reset"
    if "incomplete" in text or "closed connection without sending complete" in text or "peer closed" in text:
        return f"{host} closed the connection before the answer was complete"
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return "the secure (TLS) connection broke"
    return "the connection broke"


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return redact(text)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return redact(line)[:200]  # masked whole first: a cut could split the password
    return ""
