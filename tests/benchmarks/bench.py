"""Benchmarks (not part of the test run): `.venv/bin/python tests/benchmarks/bench.py`.

Machines here are noisy, so every figure that matters is a ratio against a baseline
measured in the same run: the parser against a bare ``splitlines()`` + ``split()`` of the
same body; the client's pending fetch against ``curl`` fetching the same list from the same
sandbox process, curl's figure being its own ``%{time_total}`` (its process start-up is not
counted against it), the client's the time from asking to the last record parsed (the
consumer only counts records per chunk, as the answer's ``order_count``, so no per-record
work of the benchmark's own is charged to the client); one change to 100,000 staged
entries (written to the profile's store, re-ordered, linted: a removal and its undo, each
timed on its own) against a bare ``sqlite3`` statement writing the same row (a DELETE,
an INSERT, each committed with the store's own journal mode and synchronous setting);
and loading them from the store against a bare ``sqlite3`` SELECT of the same rows. The
sandbox runs as a separate process so that neither side shares its interpreter with the
server. Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ccnow_tui.client import ReceiverClient, RecordChunk  # noqa: E402
from ccnow_tui.domain.answers import ReceiverAnswer  # noqa: E402
from ccnow_tui.gcpause import collector_paused  # noqa: E402
from ccnow_tui.protocol import AnswerParser, Batch, Credentials, OrderLine, Secret, StagedAction  # noqa: E402

N_PENDING = 100_000
N_BATCH = 1_000
REPEAT = 7
NETWORK_REPEAT = 9


def best(fn, repeat=REPEAT):
    times = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def make_body(n: int) -> bytes:
    return b"".join(
        b"%03d-%02d-%04d pending\n" % (100 + i // 1_000_000, (i // 10_000) % 100, i % 10_000) for i in range(n)
    )


def bench_parser() -> dict:
    body = make_body(N_PENDING)

    def baseline():
        return sum(1 for line in body.splitlines() if line.split())

    def parse():
        p = AnswerParser()
        n = 0
        for i in range(0, len(body), 65536):
            n += len(p.feed(body[i : i + 65536]))
        return n + len(p.close())

    base_s, base_n = best(baseline)
    parse_s, parse_n = best(parse)
    assert base_n == parse_n == N_PENDING
    return {"parse_100k_s": parse_s, "splitlines_100k_s": base_s, "parse_vs_splitlines": parse_s / base_s}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ccnow_tui", "sandbox", "--port", str(port), "--orders", str(N_PENDING), "--seed", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()  # the server prints its URL once it is listening
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"sandbox did not start: {line!r}")
    return proc


async def fetch_pending(client: ReceiverClient) -> int:
    """Order lines fetched and parsed: the records are built and handed over one chunk
    per read; the count is the client's own (ReceiverAnswer.order_count)."""
    records = 0
    with collector_paused():  # as both callers, the CLI's drive and the TUI's pump, read it
        async for ev in client.pending(chunked=True):
            if type(ev) is RecordChunk:
                records += len(ev)
            elif isinstance(ev, ReceiverAnswer):
                if ev.outcome.value != "ok":
                    raise SystemExit(f"pending failed: {ev.message}")
                assert records == ev.order_count + len(ev.records), (records, ev.order_count)
                return ev.order_count
    raise SystemExit("pending ended without an answer")


async def bench_network(url: str) -> dict:
    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("curl is needed for the pending_100k_vs_curl baseline")
    creds = Credentials("demo", Secret("demo"))
    async with ReceiverClient(url, creds, timeout=60) as client:
        await fetch_pending(client)  # warm the connection and the server's caches
        client_times, curl_times = [], []
        for _ in range(NETWORK_REPEAT):
            # Interleaved so that both sides see the same machine noise; the best of
            # several runs is the figure least disturbed by other work on the machine.
            t = time.perf_counter()
            n = await fetch_pending(client)
            client_times.append(time.perf_counter() - t)
            assert n == N_PENDING, n
            out = subprocess.run(
                [
                    curl,
                    "-s",
                    "-S",
                    "-o",
                    os.devnull,
                    "-w",
                    "%{size_download} %{time_total}",
                    url,
                    "-d",
                    "x_clientid=demo",
                    "-d",
                    "x_password=demo",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            size, total = out.stdout.split()
            curl_times.append(float(total))  # curl's own figure: its process start-up left out
            assert int(size) > 0
        # 1,000 distinct pending orders shipped in one batch, every answer line parsed.
        pending = []
        async for ev in client.pending():
            if isinstance(ev, OrderLine):
                pending.append(ev.order_id)
        batch = Batch(StagedAction.make(o, "ship") for o in pending[:N_BATCH])
        t = time.perf_counter()
        answered = 0
        final = None
        async for ev in client.submit(batch):
            if isinstance(ev, OrderLine):
                answered += 1
            elif isinstance(ev, ReceiverAnswer):
                final = ev
        batch_s = time.perf_counter() - t
        assert final is not None and final.outcome.value == "ok" and answered == N_BATCH, final
    fetch_s, curl_s = min(client_times), min(curl_times)
    return {
        "pending_100k_fetch_s": fetch_s,
        "curl_100k_fetch_s": curl_s,
        "pending_100k_vs_curl": fetch_s / curl_s,
        "batch_1000_submit_s": batch_s,
    }


def bench_staging() -> dict:
    """One change to 100,000 staged entries in the profile's store, as the composer makes
    it: one entry removed (written to the store at once), then the batch re-ordered and
    linted; and that removal undone, the same way. Each is timed on its own, once per
    round (``stage_change_100k_s``: the removal; ``stage_undo_100k_s``: its undo), the
    median of the rounds.

    Baseline: a bare ``sqlite3`` statement writing the same row to the same file, each in
    its own committed transaction with the store's settings (WAL, synchronous FULL): the
    DELETE a removal needs at the least, the INSERT its undo needs. Loading the entries
    (``Store.open`` and the ``StagingArea`` over it, every entry read) against a bare
    ``sqlite3`` SELECT of the same rows.
    """
    import sqlite3
    import tempfile

    from ccnow_tui.domain.staging import StagingArea
    from ccnow_tui.storage.store import Store

    entries = [StagedAction.make(f"{100_000_000 + i * 7}", "ship") for i in range(N_PENDING)]
    statuses = {e.order_id: "pending" for e in entries}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "profile" / "store.sqlite3"
        middle = N_PENDING // 2
        with Store.open(path) as store:
            area = StagingArea(store)
            area.add(entries)
            # The row a removal of the middle entry deletes: the baseline writes the same one.
            before = {e.id for e in store.snapshot().staged}
            area.remove([middle])
            (row_id,) = before - {e.id for e in store.snapshot().staged}
            area.undo()

            def relinted() -> tuple[int, int]:
                batch = area.batch()
                return len(batch.send_order), len(batch.lint(statuses))

            changes, undos = [], []
            for _ in range(5):
                t = time.perf_counter()
                area.remove([middle])
                n, lints = relinted()
                changes.append(time.perf_counter() - t)
                assert n == N_PENDING - 1 and lints == 0
                t = time.perf_counter()
                area.undo()
                n, lints = relinted()
                undos.append(time.perf_counter() - t)
                assert n == N_PENDING and lints == 0

        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            row = conn.execute("SELECT * FROM entries WHERE id = ?", (row_id,)).fetchone()
            assert row is not None
            insert = f"INSERT INTO entries VALUES ({', '.join('?' * len(row))})"
            deletes, inserts = [], []
            for _ in range(5):
                t = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("DELETE FROM entries WHERE id = ?", (row_id,))
                conn.execute("COMMIT")
                deletes.append(time.perf_counter() - t)
                t = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(insert, row)
                conn.execute("COMMIT")
                inserts.append(time.perf_counter() - t)
        finally:
            conn.close()

        # Start-up with those entries: the store opened and every entry loaded.
        def load():
            with Store.open(path) as again:
                return len(StagingArea(again))

        def select():
            conn = sqlite3.connect(path)
            try:
                return len(
                    conn.execute(
                        "SELECT id, order_id, action, notes, amount, trackname, tracknumber, state, "
                        "batch_id, remark, rev, pos FROM entries ORDER BY pos, id"
                    ).fetchall()
                )
            finally:
                conn.close()

        load_s, loaded = best(load, 5)
        select_s, selected = best(select, 5)
        assert loaded == selected == N_PENDING
    med = statistics.median
    return {
        "stage_change_100k_s": med(changes),
        "stage_undo_100k_s": med(undos),
        "sqlite_delete_row_s": med(deletes),
        "sqlite_insert_row_s": med(inserts),
        "stage_change_vs_sqlite": med(changes) / med(deletes),
        "stage_undo_vs_sqlite": med(undos) / med(inserts),
        "store_load_100k_s": load_s,
        "store_load_vs_select": load_s / select_s,
    }


def main() -> int:
    results = bench_parser()
    port = free_port()
    proc = start_sandbox(port)
    try:
        results.update(asyncio.run(bench_network(f"http://127.0.0.1:{port}/cgi-local/oapi_receive.cgi")))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # Last: its 100,000 staged entries leave a larger heap behind, which would slow the
    # network figures measured after it.
    results.update(bench_staging())
    floors = {"parse_vs_splitlines": 8.0, "pending_100k_vs_curl": 2.0, "batch_1000_submit_s": 1.0}
    print(f"{'measure':<24} {'value':>10}  floor")
    for key, value in results.items():
        floor = floors.get(key)
        mark = "" if floor is None else f"<= {floor:g} {'ok' if value <= floor else 'MISSED'}"
        print(f"{key:<24} {value:>10.4f}  {mark}")
    print(json.dumps({k: round(v, 4) for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
