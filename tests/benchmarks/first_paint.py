"""Where the TUI's first paint with orders goes, phase by phase (not part of the test run):

    .venv/bin/python tests/benchmarks/first_paint.py [--runs 3]

startup.py times the first paint from outside, in tmux; this says what it is made of.
Each run is a fresh process (the same as-installed interpreter startup.py uses), headless
at 100x30, against a loopback sandbox of 40 orders, with a real profile, and notes the
CPU time it has used (``time.process_time``, which other work on the machine moves less
than the wall clock) at each phase:

- ccnow-tui: ``imported`` (Textual, httpx and ccnow-tui's modules: what ``ccnow-tui``
  imports before it knows the command is the TUI), ``built`` (the settings, the command
  line and the app object), ``mounted`` (Textual started, the session opened: the store,
  the queue composed), ``rows`` (the first orders on the queue);
- the anchor, a bare Textual app that makes the same request with httpx and shows the
  answer's lines: ``imported`` (Textual), ``mounted``, ``rows`` (httpx imported, the
  request made, the lines shown).

Prints the medians of ``--runs`` runs of each, interleaved, then one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import startup

OURS = r"""
import time

T0 = time.process_time()
from ccnow_tui.cli.parsing import build_parser
from ccnow_tui.tui import launch
from ccnow_tui.tui.app import CcnowApp
from ccnow_tui.tui.widgets.order_table import OrderTable

marks = {"imported": time.process_time() - T0}
app, _ = launch.build_app(build_parser().parse_args([]), CcnowApp)
marks["built"] = time.process_time() - T0


def check():
    tables = app.screen.query(OrderTable)
    if tables and tables.first().row_count:
        marks["rows"] = time.process_time() - T0
        app.exit(0)


def mounted():
    marks["mounted"] = time.process_time() - T0
    app.set_interval(0.002, check)


app.call_later(mounted)
app.run(headless=True, size=(100, 30))
print(__import__("json").dumps(marks))
"""

BARE = r"""
import sys
import time

T0 = time.process_time()
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

marks = {"imported": time.process_time() - T0}


class BarePost(App):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading", id="orders")
        yield Footer()

    def on_mount(self) -> None:
        marks["mounted"] = time.process_time() - T0
        self.run_worker(self.fetch())

    async def fetch(self) -> None:
        import httpx

        async with httpx.AsyncClient(trust_env=False) as client:
            r = await client.post(sys.argv[1], data={"x_clientid": "demo", "x_password": sys.argv[2]})
        self.query_one("#orders", Static).update("\n".join(r.text.splitlines()[:20]))
        marks["rows"] = time.process_time() - T0
        self.exit()


BarePost().run(headless=True, size=(100, 30))
print(__import__("json").dumps(marks))
"""


def run(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(argv, env=env, cwd=startup.ROOT, capture_output=True, text=True, check=True)
    marks: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each (median)")
    opts = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="ccnow-first-paint-"))
    py = startup.installed_python(home)
    env = startup.child_env(home)
    password = "bench-first-paint-pw"
    env["SHOP_PW"] = password
    proc, url = startup.start_sandbox(40, env, password)
    try:
        startup.write_profile(env, url)
        ours: list[dict[str, float]] = []
        bare: list[dict[str, float]] = []
        run([py, "-c", OURS], env), run([py, "-c", BARE, url, password], env)  # warm-up: bytecode, caches
        for _ in range(opts.runs):
            ours.append(run([py, "-c", OURS], env))
            bare.append(run([py, "-c", BARE, url, password], env))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)
    results = {f"ours_{k}": statistics.median(m[k] for m in ours) for k in ("imported", "built", "mounted", "rows")}
    results |= {f"bare_{k}": statistics.median(m[k] for m in bare) for k in ("imported", "mounted", "rows")}
    print(f"CPU time to each phase, medians of {opts.runs} runs (seconds from the start of the process):")
    for who in ("ours", "bare"):
        phases = [k.removeprefix(f"{who}_") for k in results if k.startswith(f"{who}_")]
        shown = "  ".join(f"{p} {results[f'{who}_{p}']:.3f}" for p in phases)
        print(f"  {'ccnow-tui' if who == 'ours' else 'bare app + POST':<16} {shown}")
    print(f"  ccnow-tui over the bare app + POST: {results['ours_rows'] - results['bare_rows']:+.3f} s")
    print(json.dumps({k: round(v, 4) for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
