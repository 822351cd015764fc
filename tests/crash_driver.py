"""A scripted operator, run as its own process by the crash and two-process tests.

    python tests/crash_driver.py --pool ORDERS.txt --tag 17 [--rounds 2] [--per-round 3]
                                 [--finish] [--pause-after-claim] [--seed 17] [--label D]

It uses the real core, as the TUI does: ``Store.for_profile`` (the profile the CLI would
use, from config.toml / CCNOW_* variables), ``StagingArea`` and ``ReceiverClient``. Each
round it reconciles the batches whose outcome is unknown (query, then
``StagingArea.reconcile``), stages entries on orders of its pool, claims the staged batch
and sends it, and settles the answer. Every phase prints a line (flushed) *before* it
starts, so a test can kill it at any point and still know what it meant to do:

    OPEN <notices>              NOTICE <text>
    PHASE reconcile <batch>     RECONCILED <batch> <summary>      QUERYFAIL <message>
    PHASE stage <n>             STAGE <key as JSON>  (one per entry)   STAGED <n>
    PHASE claim <n>             CLAIMED <batch> <n>               CONFLICT <why>
    PHASE send <batch>          ANSWER <batch> <outcome>
    PHASE settle <batch>        SETTLED <batch> applied=A refused=R unknown=U
    BLOCKED <lint>              DONE

Each entry is unique, so the sandbox's own record of what it applied names it: an adjust
by its amount, a track by its tracking number, a ship or cancel by its order (an order is
shipped or cancelled at most once). An order of the pool goes through two steps: first
an adjust and/or a track, then, once nothing of the order is staged, held or unverified,
a ship or a cancel. (One step at a time, so a ship re-staged by a reconcile never waits
behind an unverified discount of the same batch: the whole staged batch stays sendable.)

``--finish``: no new entries; reconcile and send until nothing staged or unknown is left.
``--pause-after-claim``: after CLAIMED, wait for a line on stdin before sending.
``--no-send``: reconcile and stage, but send nothing.
``--think S``: wait S seconds between staging and sending (an operator reading the batch
over; another process on the profile may send what was staged meanwhile).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ccnow_tui.client import ReceiverClient
from ccnow_tui.config.load import load_config, resolve_connection
from ccnow_tui.domain.answers import ReceiverAnswer
from ccnow_tui.domain.staging import ClaimConflict, StagingArea
from ccnow_tui.protocol import Credentials, Severity, StagedAction
from ccnow_tui.protocol.actions import format_amount
from ccnow_tui.storage.store import BatchMeta, Store

CHANGING = ("ship", "cancel")


def say(*words: object) -> None:
    print(*words, flush=True)


def entry_key(order_id: str, action: str, amount: str = "", tracknumber: str = "") -> list[str]:
    """What names one entry in the sandbox's record and in the store: [order, action, detail]."""
    detail = amount if action == "adjust" else tracknumber if action == "track" else ""
    return [str(order_id), action, detail]


def key_of(action: StagedAction) -> list[str]:
    amount = format_amount(action.amount) if action.amount is not None else ""
    return entry_key(action.order_id, action.kind.value, amount, action.tracknumber)


def order_steps(store: Store) -> dict[str, set[str]]:
    """Per order, the actions ever submitted for it (from the journal)."""
    out: dict[str, set[str]] = {}
    for row in store.journal():
        if row["event"] == "submit" and row["order_id"]:
            out.setdefault(row["order_id"], set()).add(row["action"])
    return out


class Driver:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed if args.seed is not None else args.tag)
        pool_lines = Path(args.pool).read_text().splitlines() if args.pool else []
        self.pool = [line.strip() for line in pool_lines if line.strip()]
        self.counter = 0
        settings = resolve_connection(load_config(), args.profile, os.environ)
        self.settings = settings
        self.store = Store.for_profile(settings.profile)
        say("OPEN", len(self.store.notices))
        for note in self.store.notices:
            say("NOTICE", note)
        self.area = StagingArea(self.store)
        self.client = ReceiverClient(
            settings.url,
            Credentials(settings.client_id, settings.password, settings.store_id),
            timeout=settings.timeout,
            profile=settings.profile,
            retries=0,
        )
        self.meta = BatchMeta(
            self.client.url, self.client.address, settings.client_id, settings.store_id, settings.profile
        )

    # -- phases -----------------------------------------------------------------------------

    async def reconcile(self) -> None:
        self.area.poll()
        for held in list(self.area.unknown_batches):
            say("PHASE reconcile", held.batch_id)
            orders = list(dict.fromkeys(e.order_id for e in held.entries))
            answer = await self._last(self.client.query(orders))
            if answer.outcome.value != "ok":
                say("QUERYFAIL", answer.message)
                continue
            rec = self.area.reconcile(held.batch_id, answer.statuses(), answer.raw_lines)
            say("RECONCILED", held.batch_id, rec.summary() if rec is not None else "settled meanwhile")

    def stage(self) -> None:
        self.area.poll()
        live = {e.order_id for e in self.area.staged} | {e.order_id for e in self.area.unverified}
        live |= {e.order_id for b in self.area.held for e in b.entries}
        steps = order_steps(self.store)
        fresh, ready = [], []
        for order in self.pool:
            if order in live:
                continue
            done = steps.get(order, set())
            if not done:
                fresh.append(order)
            elif not done & set(CHANGING):
                ready.append(order)
        per = self.args.per_round
        actions: list[StagedAction] = []
        for order in self.rng.sample(ready, min(per, len(ready))):
            kind = self.rng.choice(CHANGING)
            actions.append(StagedAction.make(order, kind, notes="crash test" if kind == "cancel" else ""))
        for order in fresh[:per]:
            kinds = self.rng.choice((("adjust",), ("track",), ("adjust", "track")))
            for kind in kinds:
                self.counter += 1
                if kind == "adjust":
                    amount = Decimal(self.args.tag * 1000 + self.counter) / 100
                    actions.append(StagedAction.make(order, "adjust", amount=str(amount), notes="crash test"))
                else:
                    actions.append(
                        StagedAction.make(
                            order,
                            "track",
                            trackname="UPS",
                            tracknumber=f"{self.args.label}{self.args.tag}-{self.counter}",
                        )
                    )
        if not actions:
            return
        say("PHASE stage", len(actions))
        for a in actions:
            say("STAGE", json.dumps(key_of(a)))
        added = self.area.add(actions)
        if self.area.error:
            say("STOREERROR", self.area.error)
        say("STAGED", added)

    async def send(self) -> bool:
        """Claim and send what is staged; False when there was nothing to send."""
        for _ in range(20):  # another process may claim some of it first: look again
            self.area.poll()
            if not self.area.entries:
                return False
            errors = [lint for lint in self.area.lint() if lint.severity is Severity.ERROR]
            if errors:
                say("BLOCKED", errors[0].message)
                return False
            batch = self.area.batch()
            say("PHASE claim", len(batch))
            try:
                claim = self.area.claim(batch, self.meta)
            except ClaimConflict as exc:
                say("CONFLICT", str(exc).replace("\n", " "))
                continue
            say("CLAIMED", claim.batch_id, len(batch))
            if self.args.pause_after_claim:
                sys.stdin.readline()
            say("PHASE send", claim.batch_id)
            answer = await self._last(self.client.submit(batch))
            say("ANSWER", claim.batch_id, answer.outcome.value)
            say("PHASE settle", claim.batch_id)
            report = self.area.settle(claim, answer)
            say(
                "SETTLED",
                claim.batch_id,
                f"applied={len(report.applied)} refused={len(report.refused)} unknown={len(report.unknown)}",
            )
            return True
        return False

    async def run(self) -> int:
        async with self.client:
            for _ in range(self.args.rounds):
                await self.reconcile()
                self.stage()
                if self.args.think:
                    await asyncio.sleep(self.args.think)  # the operator reads the batch over
                if not self.args.no_send:
                    await self.send()
            if self.args.finish:
                for _ in range(20):
                    await self.reconcile()
                    sent = await self.send()
                    if not sent and not self.area.unknown_batches:
                        break
        self.store.close()
        say("DONE")
        return 0

    @staticmethod
    async def _last(events) -> ReceiverAnswer:
        answer = None
        async for ev in events:
            if isinstance(ev, ReceiverAnswer):
                answer = ev
        assert answer is not None
        return answer


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pool", help="file of order numbers this driver may act on, one a line")
    p.add_argument("--tag", type=int, required=True, help="makes this run's amounts and tracking numbers unique")
    p.add_argument("--label", default="D", help="prefix of this driver's tracking numbers")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--per-round", dest="per_round", type=int, default=3)
    p.add_argument("--seed", type=int)
    p.add_argument("--profile")
    p.add_argument("--finish", action="store_true")
    p.add_argument("--pause-after-claim", dest="pause_after_claim", action="store_true")
    p.add_argument("--no-send", dest="no_send", action="store_true", help="stage only")
    p.add_argument("--think", type=float, default=0.0, help="seconds between staging and sending")
    args = p.parse_args(argv)
    return asyncio.run(Driver(args).run())


if __name__ == "__main__":
    raise SystemExit(main())
