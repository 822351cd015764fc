"""Start-up, measured as a user meets it (not part of the test run):

    .venv/bin/python tests/benchmarks/startup.py [--runs 5] [--skip-fetch]

Every figure is a whole process, started from nothing, timed from before it is spawned
to its end (or its first frame with orders), the median of ``--runs`` runs after one
warm-up run of each (the warm-up also writes the bytecode caches a pip install would
have; PYTHONDONTWRITEBYTECODE is removed for the children). The anchors run in the same
loop, interleaved with what they anchor, so both see the same machine; the ratios are
the figures that matter on a busy machine.

- ``pass``: ``python -c pass``; ``httpx``: ``python -c 'import httpx'`` (the floor with
  the network stack chosen); ``cli_import``: ``python -c 'import ccnow_tui.cli'`` (what
  ``--help``, ``init``, ``journal`` and ``staged`` pay before their own work).
- ``pending_40``: ``ccnow-tui pending`` against a sandbox on loopback (a separate
  process, 40 orders), output to /dev/null; ``curl_40``: curl's own ``%{time_total}``
  for the same request (its process start-up is not counted against it);
  ``httpx_post_40``: a bare script posting the same request with ``httpx.AsyncClient``
  and reading the answer (what any program pays for one request with this stack:
  ``import httpx`` alone does not load httpcore, h11 or anyio, which the request does).
- ``help``: ``ccnow-tui --help``; ``journal``: ``ccnow-tui journal`` on an empty store.
- First paint, in tmux at 100x30: ``bare_textual``: a bare Textual app (Header, 20 lines,
  Footer) until its 20th line is on the screen; ``demo_first_paint``: ``ccnow-tui --demo``
  until an order number is on the screen; ``profile_first_paint``: ``ccnow-tui`` with a
  real profile (config.toml, password from the environment) against the loopback
  sandbox, until an order number is on the screen. The screen is read with
  ``tmux capture-pane`` every ``POLL_S`` seconds (no hook in the app: the process is
  timed from outside), so a figure may be late by up to one poll, on both sides alike.
  ``demo_first_frame`` and ``profile_first_frame``: the same, until the queue's frame (its
  column header) is on the screen, orders or not: the demo's embedded sandbox starts
  serving only after that frame, so the demo's frame should come as soon as the profile's.
- ``fetch_100k_vs_curl``: bench.py's fetch + parse of 100,000 pending orders against
  curl (best of several, as bench.py measures it).

The processes timed from the outside (all but the tmux ones) are also given as CPU time
(user + system, from the kernel's accounting of each child): on a machine other work
keeps busy, that moves less than the wall clock, and the ratios of both are printed.

Prints the table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PY = sys.executable  # set to the as-installed interpreter by installed_python() in main()
CCNOW = [PY, "-m", "ccnow_tui"]
SIZE = (100, 30)
POLL_S = 0.01
PAINT_TIMEOUT_S = 30.0
ORDER = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
FRAME = re.compile(r"\border +status +staged\b")  # the queue's column header

BARE_APP = r"""
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class Bare(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        for n in range(1, 21):
            yield Static(f"bare line {n:02d}")
        yield Footer()


Bare().run()
"""
BARE_DONE = re.compile(r"bare line 20")

HTTPX_POST = r"""
import asyncio, sys
import httpx


async def main():
    async with httpx.AsyncClient(trust_env=False) as client:
        r = await client.post(sys.argv[1], data={"x_clientid": "demo", "x_password": sys.argv[2]})
        sys.stdout.write(r.text)


asyncio.run(main())
"""


# The least any Textual program pays for "first paint with orders" with this stack: a bare
# app whose first screen posts the same request with httpx and shows the answer's lines.
BARE_POST_APP = r"""
import sys

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class BarePost(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading", id="orders")
        yield Footer()

    def on_mount(self) -> None:
        self.run_worker(self.fetch())

    async def fetch(self) -> None:
        import httpx

        async with httpx.AsyncClient(trust_env=False) as client:
            r = await client.post(sys.argv[1], data={"x_clientid": "demo", "x_password": sys.argv[2]})
        self.query_one("#orders", Static).update("\n".join(r.text.splitlines()[:20]))


BarePost().run()
"""

# The same request with httpx's synchronous client: no asyncio, no anyio.
HTTPX_SYNC_POST = r"""
import sys
import httpx

with httpx.Client(trust_env=False) as client:
    r = client.post(sys.argv[1], data={"x_clientid": "demo", "x_password": sys.argv[2]})
    sys.stdout.write(r.text)
"""


def installed_python(root: Path) -> str:
    """An interpreter that imports ccnow-tui as a user's install does.

    The project's venv has it as an editable install, whose import hook (setuptools'
    ``__editable__`` finder, run from a ``.pth`` file at every start) costs every process
    there tens of milliseconds a ``pip install`` never pays, ``python -c pass`` included.
    A venv made here instead lists the project's folder and the venv's site-packages in a
    plain ``.pth`` file: a path listed that way is searched, but its own ``.pth`` files are
    not run (``site`` runs them only in site directories), so nothing else runs at start-up.
    """
    import site
    import venv

    target = root / "installed"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(target)
    (lib,) = (target / "lib").glob("python3*")
    here = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (lib / "site-packages" / "ccnow_bench.pth").write_text("\n".join([str(ROOT), *here]) + "\n")
    return str(target / "bin" / "python")


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["XDG_DATA_HOME"] = str(home / "data")
    env["TERM"] = "xterm-256color"
    return env


CPU: dict[str, list[float]] = {}  # the CPU time (user + system) of each whole process, by figure


def timed(argv: list[str], env: dict[str, str], name: str = "") -> float:
    """Wall seconds of the whole process; its CPU seconds go to CPU[name] (a second view,
    less moved by other work on the machine than the wall clock)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if name:
        CPU.setdefault(name, []).append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall


def curl_time(url: str, password: str) -> float:
    out = subprocess.run(
        [
            "curl",
            "-s",
            "-S",
            "-o",
            os.devnull,
            "-w",
            "%{time_total}",
            url,
            "-d",
            "x_clientid=demo",
            "-d",
            f"x_password={password}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def first_paint(argv: list[str], env: dict[str, str], done: re.Pattern[str]) -> float:
    """Seconds from spawning ``argv`` in a new tmux session (100x30) to ``done`` showing."""
    session = f"ccnow-startup-{os.getpid()}-{time.monotonic_ns()}"
    command = " ".join(_quote(a) for a in argv)
    env_args = [
        x for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "SHOP_PW", "PATH") if k in env for x in ("-e", f"{k}={env[k]}")
    ]
    for tries in range(3):  # tmux's server may be busy with other sessions: try again, timed afresh
        t = time.perf_counter()
        started = subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                session,
                "-x",
                str(SIZE[0]),
                "-y",
                str(SIZE[1]),
                *env_args,
                f"cd {_quote(str(ROOT))} && exec {command}",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if started.returncode == 0:
            break
        if tries == 2:
            raise SystemExit(f"tmux new-session failed: {started.stderr.strip()}")
    try:
        while True:
            pane = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, env=env
            ).stdout
            if done.search(pane):
                return time.perf_counter() - t
            if time.perf_counter() - t > PAINT_TIMEOUT_S:
                raise SystemExit(f"no first paint within {PAINT_TIMEOUT_S:g} s for {command}:\n{pane}")
            time.sleep(POLL_S)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], env=env, stderr=subprocess.DEVNULL)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def start_sandbox(orders: int, env: dict[str, str], password: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*CCNOW, "sandbox", "--port", "0", "--orders", str(orders), "--seed", "1", "--password", password],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://\S+", line)
    if match is None:
        proc.kill()
        raise SystemExit(f"sandbox did not start: {line!r}")
    return proc, match.group(0)


def write_profile(env: dict[str, str], url: str) -> None:
    path = Path(env["XDG_CONFIG_HOME"]) / "ccnow-tui" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(
        f'default_profile = "shop"\n\n[profiles.shop]\nclient_id = "demo"\nurl = "{url}"\npassword_env = "SHOP_PW"\n'
    )
    path.chmod(0o600)


def measure(runs: int, fetch: bool) -> dict[str, float]:
    global PY, CCNOW
    home = Path(tempfile.mkdtemp(prefix="ccnow-startup-"))
    PY = installed_python(home)
    CCNOW = [PY, "-m", "ccnow_tui"]
    env = child_env(home)
    password = "bench-startup-pw"
    env["SHOP_PW"] = password
    proc, url = start_sandbox(40, env, password)
    try:
        write_profile(env, url)
        steps = {
            "pass": lambda: timed([PY, "-c", "pass"], env, "pass"),
            "httpx": lambda: timed([PY, "-c", "import httpx"], env, "httpx"),
            "cli_import": lambda: timed([PY, "-c", "import ccnow_tui.cli"], env, "cli_import"),
            "pending_40": lambda: timed([*CCNOW, "pending"], env, "pending_40"),
            "httpx_post_40": lambda: timed([PY, "-c", HTTPX_POST, url, password], env, "httpx_post_40"),
            "httpx_sync_post_40": lambda: timed([PY, "-c", HTTPX_SYNC_POST, url, password], env, "httpx_sync_post_40"),
            "help": lambda: timed([*CCNOW, "--help"], env, "help"),
            "journal": lambda: timed([*CCNOW, "journal"], env, "journal"),
            "curl_40": lambda: curl_time(url, password),
            "bare_textual": lambda: first_paint([PY, "-c", BARE_APP], env, BARE_DONE),
            "bare_textual_post": lambda: first_paint([PY, "-c", BARE_POST_APP, url, password], env, ORDER),
            "demo_first_paint": lambda: first_paint([*CCNOW, "--demo"], env, ORDER),
            "profile_first_paint": lambda: first_paint([*CCNOW], env, ORDER),
            "demo_first_frame": lambda: first_paint([*CCNOW, "--demo"], env, FRAME),
            "profile_first_frame": lambda: first_paint([*CCNOW], env, FRAME),
        }
        samples: dict[str, list[float]] = {k: [] for k in steps}
        for step in steps.values():  # warm-up: bytecode caches, the page cache, the sandbox
            step()
        CPU.clear()
        for _ in range(runs):  # interleaved: each run of a figure sits next to its anchor's
            for name, step in steps.items():
                samples[name].append(step())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)
    results = {k: statistics.median(v) for k, v in samples.items()}
    results.update({f"{k}_cpu": statistics.median(v) for k, v in CPU.items()})
    results["pending_vs_httpx_cpu"] = results["pending_40_cpu"] / results["httpx_cpu"]
    results["pending_vs_httpx_post_cpu"] = results["pending_40_cpu"] / results["httpx_post_40_cpu"]
    results["cli_import_vs_pass_cpu"] = results["cli_import_cpu"] / results["pass_cpu"]
    results["pending_vs_httpx"] = results["pending_40"] / results["httpx"]
    results["pending_vs_curl"] = results["pending_40"] / results["curl_40"]
    results["pending_vs_httpx_post"] = results["pending_40"] / results["httpx_post_40"]
    results["httpx_post_vs_httpx"] = results["httpx_post_40"] / results["httpx"]
    results["cli_import_vs_pass"] = results["cli_import"] / results["pass"]
    results["demo_vs_bare"] = results["demo_first_paint"] / results["bare_textual"]
    results["profile_vs_bare"] = results["profile_first_paint"] / results["bare_textual"]
    results["bare_post_vs_bare"] = results["bare_textual_post"] / results["bare_textual"]
    results["demo_vs_bare_post"] = results["demo_first_paint"] / results["bare_textual_post"]
    results["profile_vs_bare_post"] = results["profile_first_paint"] / results["bare_textual_post"]
    results["demo_frame_vs_bare"] = results["demo_first_frame"] / results["bare_textual"]
    results["profile_frame_vs_bare"] = results["profile_first_frame"] / results["bare_textual"]
    results["demo_frame_vs_profile_frame"] = results["demo_first_frame"] / results["profile_first_frame"]
    results["httpx_sync_post_vs_httpx"] = results["httpx_sync_post_40"] / results["httpx"]
    if fetch:
        results.update(fetch_ratio())
    return results


def fetch_ratio() -> dict[str, float]:
    import asyncio

    import bench

    port = bench.free_port()
    proc = bench.start_sandbox(port)
    try:
        out = asyncio.run(bench.bench_network(f"http://127.0.0.1:{port}/cgi-local/oapi_receive.cgi"))
        floor = asyncio.run(bare_fetch(f"http://127.0.0.1:{port}/cgi-local/oapi_receive.cgi"))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return {
        "fetch_100k_s": out["pending_100k_fetch_s"],
        "curl_100k_s": out["curl_100k_fetch_s"],
        "fetch_100k_vs_curl": out["pending_100k_vs_curl"],
        "bare_fetch_100k_s": floor,
        "fetch_100k_vs_bare": out["pending_100k_fetch_s"] / floor,
        "bare_fetch_vs_curl": floor / out["curl_100k_fetch_s"],
    }


async def bare_fetch(url: str, repeat: int = 5) -> float:
    """The least Python with httpx pays for the same fetch: the answer read as it streams
    and each line made into a tuple (order, status, line), with no check at all (no
    limits, no deadline, no validation, no order-number type). Best of ``repeat``."""
    import httpx

    best = float("inf")
    async with httpx.AsyncClient(trust_env=False, timeout=60) as client:
        for _ in range(repeat + 1):  # the first warms the connection
            t = time.perf_counter()
            records: list[tuple[str, ...]] = []
            rest = b""
            async with client.stream("POST", url, data={"x_clientid": "demo", "x_password": "demo"}) as r:
                async for chunk in r.aiter_raw():
                    lines = (rest + chunk).split(b"\n")
                    rest = lines.pop()
                    records += [(*line.split(" ", 1), line) for line in b"\n".join(lines).decode().split("\n")]
            if rest:
                records.append((*rest.decode().split(" ", 1), rest.decode()))
            best = min(best, time.perf_counter() - t)
            assert len(records) > 90_000, len(records)  # bench.py shipped 1,000 of them
    return best


ROWS = [
    # (what, figure, anchor, ratio, floor)
    ("ccnow-tui pending, 40 orders, whole process", "pending_40", "httpx", "pending_vs_httpx", 1.3),
    ("python -c 'import ccnow_tui.cli'", "cli_import", "pass", "cli_import_vs_pass", None),
    ("first paint with orders, --demo, tmux 100x30", "demo_first_paint", "bare_textual", "demo_vs_bare", 1.5),
    ("first paint with orders, real profile, loopback", "profile_first_paint", "bare_textual", "profile_vs_bare", 1.5),
    ("fetch + parse 100k pending (bench.py)", "fetch_100k_s", "curl_100k_s", "fetch_100k_vs_curl", 2.0),
]
# The 0.04 s for `import ccnow_tui.cli` was taken where `python -c pass` took 0.011 s:
# what the import may add to the interpreter's own start-up, on any machine.
CLI_OVER_PASS = 0.029
STACK_ROWS = [
    # (what, figure, anchor, ratio): the anchors' own distance from the floors' anchors
    ("a bare httpx AsyncClient POST vs import httpx", "httpx_post_40", "httpx", "httpx_post_vs_httpx"),
    ("a bare httpx Client (sync) POST vs import httpx", "httpx_sync_post_40", "httpx", "httpx_sync_post_vs_httpx"),
    ("pending vs the bare AsyncClient POST", "pending_40", "httpx_post_40", "pending_vs_httpx_post"),
    ("a bare Textual app + one httpx POST vs bare", "bare_textual_post", "bare_textual", "bare_post_vs_bare"),
    ("first paint, --demo, vs that bare app + POST", "demo_first_paint", "bare_textual_post", "demo_vs_bare_post"),
    ("first paint, profile, vs bare app + POST", "profile_first_paint", "bare_textual_post", "profile_vs_bare_post"),
    ("a bare httpx read + a tuple per line vs curl", "bare_fetch_100k_s", "curl_100k_s", "bare_fetch_vs_curl"),
    ("fetch + parse vs that bare read", "fetch_100k_s", "bare_fetch_100k_s", "fetch_100k_vs_bare"),
    ("pending vs curl (time_total)", "pending_40", "curl_40", "pending_vs_curl"),
    ("the queue's first frame, profile, vs bare", "profile_first_frame", "bare_textual", "profile_frame_vs_bare"),
    ("the queue's first frame, --demo, vs bare", "demo_first_frame", "bare_textual", "demo_frame_vs_bare"),
    ("that frame, --demo vs the profile's", "demo_first_frame", "profile_first_frame", "demo_frame_vs_profile_frame"),
]


def report(results: dict[str, float]) -> None:
    print(f"{'what':<50} {'figure':>9} {'anchor':>9} {'ratio':>7}  floor")
    for what, figure, anchor, ratio, floor in ROWS:
        if figure not in results:
            continue
        mark = "" if floor is None else f"<= {floor:g}x {'ok' if results[ratio] <= floor else 'MISSED'}"
        print(f"{what:<50} {results[figure]:>8.3f}s {results[anchor]:>8.3f}s {results[ratio]:>6.2f}x  {mark}")
    over = results["cli_import"] - results["pass"]
    mark = "ok" if over <= CLI_OVER_PASS else "MISSED"
    what = "import ccnow_tui.cli, over python -c pass"
    print(f"{what:<50} {over:>8.3f}s {'':>9} {'':>7}  <= {CLI_OVER_PASS:g} s {mark}")
    print("The least this stack pays for the same work (what a floor above cannot go under):")
    for what, figure, anchor, ratio in STACK_ROWS:
        if figure in results:
            print(f"  {what:<48} {results[figure]:>8.3f}s {results[anchor]:>8.3f}s {results[ratio]:>6.2f}x")
    print("CPU time (user + system) of the same processes, medians:")
    for name, anchor in (
        ("pending_40", "httpx"),
        ("pending_40", "httpx_post_40"),
        ("pending_40", "httpx_sync_post_40"),
        ("cli_import", "pass"),
        ("help", "pass"),
        ("journal", "pass"),
        ("httpx_post_40", "httpx"),
        ("httpx_sync_post_40", "httpx"),
    ):
        a, b = results[f"{name}_cpu"], results[f"{anchor}_cpu"]
        print(f"  {name + ' against ' + anchor:<48} {a:>8.3f}s {b:>8.3f}s {a / b:>6.2f}x")
    for name in ("help", "journal"):
        print(
            f"{'ccnow-tui ' + ('--help' if name == 'help' else name):<50} {results[name]:>8.3f}s "
            f"{results['pass']:>8.3f}s {results[name] / results['pass']:>6.2f}x"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure after the warm-up (median)")
    parser.add_argument("--rounds", type=int, default=1, help="whole measurements; the report gives their medians")
    parser.add_argument("--skip-fetch", action="store_true", help="leave out the 100k fetch (bench.py's)")
    opts = parser.parse_args()
    if shutil.which("tmux") is None or shutil.which("curl") is None:
        raise SystemExit("tmux and curl are needed")
    rounds = []
    for n in range(opts.rounds):
        rounds.append(measure(opts.runs, not opts.skip_fetch))
        if opts.rounds > 1:
            print(f"round {n + 1}: " + json.dumps({k: round(v, 4) for k, v in rounds[-1].items()}), flush=True)
    results = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    if opts.rounds > 1:
        print(f"Medians of {opts.rounds} rounds (each a median of {opts.runs} runs):")
    report(results)
    print(json.dumps({k: round(v, 4) for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
